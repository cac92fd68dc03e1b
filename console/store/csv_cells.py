"""CSV cells a spreadsheet shows as text and never runs (every export: events, activity).

Callback parameters, Plivo's error texts and caller-controlled numbers end up in CSV files that
agents open in spreadsheets; a cell starting with `=` (or `+`, `-`, `@`, tab, CR) would run as a
formula there. A phone number such as `+14155550100` therefore gains a leading `'` too: text,
exactly as typed.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_AFTER_SEMICOLON = re.compile(r";(\s*)([=+\-@\t\r])")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula: a leading `'` when the text
    starts with `=`, `+`, `-`, `@`, tab or CR, after any leading spaces or line breaks too; and a
    `'` after each `;` followed by one of them, for spreadsheets that split cells on `;`."""
    if value.startswith(_FORMULA_START) or value.lstrip().startswith(_FORMULA_START):
        value = "'" + value
    if ";" in value:
        value = _AFTER_SEMICOLON.sub(r";\1'\2", value)
    return value
