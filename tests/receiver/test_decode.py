"""The form is decoded at once when it is well formed, part by part otherwise: both readings
must give the same pairs, and the same refusal, for any body."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.receiver.decode import (
    MAX_PARAMS,
    Malformed,
    _decoded_by_part,
    check_form,
    parse_form,
)

# Pieces a hostile or odd form is made of: escapes of every kind (line breaks, controls, bytes
# that are not UTF-8 alone or together), separators, pluses, non-ASCII text.
_BITS = st.sampled_from(
    ["a", "Z", "0", "=", "&", "+", "%", "%0A", "%0a", "%00", "%7F", "%26", "%3D", "%2B", "%20",
     "%C3", "%A9", "%C3%A9", "%E2%82%AC", "%FF", "%2", "é", "€", "\n", "\r", "\t", " ", "-"]
)  # fmt: skip
_FORMS = st.lists(_BITS, max_size=40).map("".join)


def _by_part(raw: str) -> list[tuple[str, str]] | str:
    try:
        check_form(raw)
        return _decoded_by_part(raw)
    except Malformed as exc:
        return str(exc)


def _reading(raw: str) -> list[tuple[str, str]] | str:
    try:
        return parse_form(raw)
    except Malformed as exc:
        return str(exc)


@settings(max_examples=3000, deadline=None)
@given(_FORMS)
def test_at_once_reads_what_part_by_part_reads(raw: str) -> None:
    assert _reading(raw) == _by_part(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "Event=StartStream&ServiceURL=wss%3A%2F%2Fa.example%2Faudio&Timestamp=2026-12-02+17%3A00",
        "a=%0Ab&c=d",  # a line break in a value: kept, read part by part
        "a=1&&b=2&c",
        "a=%C3&b=%A9",  # halves of one character in two values: not UTF-8
        "=x",
        "a=%00",
        "&".join(f"k{i}=v" for i in range(MAX_PARAMS)),
        "&".join(f"k{i}=v" for i in range(MAX_PARAMS + 1)),
    ],
)
def test_known_forms(raw: str) -> None:
    assert _reading(raw) == _by_part(raw)
