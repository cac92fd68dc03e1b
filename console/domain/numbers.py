"""Phone numbers shown one way everywhere.

Plivo writes the same kind of number two ways: `from` often as `+14155550100`, `to` as
`447700900508` (E.164 digits without the plus). Shown side by side that reads as two kinds of
number, so a bare run of 8 to 15 digits (the length of an E.164 number) gets its `+`. Anything
else (SIP URIs, short codes, extensions, numbers already written with `+` or spaces) is shown as
Plivo sent it.
"""

from __future__ import annotations


def display_number(raw: str | None) -> str:
    """`447700900508` -> `+447700900508`; every other value unchanged ("" for None)."""
    if not raw:
        return ""
    if raw.isascii() and raw.isdigit() and 8 <= len(raw) <= 15:
        return "+" + raw
    return raw
