"""Spans in messages are rounded for people, never "9.50713 s"."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.domain.durations import format_seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (9.50713, "9.5 s"),
        (0.3, "0.3 s"),
        (0.04, "0.1 s"),
        (2.0, "2 s"),
        (9.96, "10 s"),
        (12.4, "12 s"),
        (20.0, "20 s"),
        (65.2, "1 min 5 s"),
        (3600.0, "1 h"),
        (0.0, "0 s"),
        (-3.0, "0 s"),
        (math.nan, "an unknown time"),
        (math.inf, "an unknown time"),
    ],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_format_seconds_is_short_for_any_float(seconds: float) -> None:
    text = format_seconds(seconds)
    digits = [part for part in text.replace(".", "").split() if part.isdigit()]
    assert all(len(d) <= 2 for d in digits[1:]), text  # only the largest unit may be long
    assert "e+" not in text and "e-" not in text
