from __future__ import annotations

import pytest

from console.domain.durations import format_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (1, "1 s"),
        (59, "59 s"),
        (60, "1 min"),
        (90, "1 min 30 s"),
        (3600, "1 h"),
        (5400, "1 h 30 min"),
        (86400, "24 h"),  # Plivo's default, written as its docs write it
        (100_000, "27 h 46 min 40 s"),
        (172_800, "2 d"),
        (2_147_483_647, "24855 d 3 h 14 min 7 s"),
        (-5, "-5 s"),
    ],
)
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
