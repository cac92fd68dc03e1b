"""Numbers are written one way: E.164 digits get their +, everything else stays as sent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.domain.numbers import display_number


def test_e164_digits_get_their_plus_and_nothing_else_changes() -> None:
    assert display_number("447700900508") == "+447700900508"
    assert display_number("+14155550100") == "+14155550100"
    assert display_number("14155550100") == "+14155550100"
    for kept in ("1234", "sip:alice@example.com", "+1 415 555 0100", "anonymous", "٤٤٧٧٠٠٩٠٠٥٠٨"):
        assert display_number(kept) == kept
    assert display_number(None) == display_number("") == ""


@given(st.text(max_size=20))
def test_showing_a_number_only_ever_adds_one_leading_plus(raw: str) -> None:
    shown = display_number(raw)
    assert shown in (raw, "+" + raw)
    assert display_number(shown) == shown  # shown twice, still the same
