"""The sliding 5-second window, on a fake clock so the edges are exact."""

from __future__ import annotations

from console.simulator.ratelimit import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_slides_and_refusals_do_not_count() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(3, 5.0, clock)
    assert [limiter.allow("MA1") for _ in range(3)] == [True, True, True]
    clock.now += 1.0
    assert limiter.allow("MA1") is False
    assert limiter.retry_after("MA1") == 4.0
    assert limiter.retry_after_header("MA1") == "4"
    clock.now = 1004.999
    assert limiter.allow("MA1") is False  # the first three are 4.999 s old: still in the window
    clock.now = 1005.0
    assert limiter.allow("MA1") is True  # exactly 5 s old: out (refusals were not logged)
    assert limiter.in_window("MA1") == 1


def test_accounts_are_counted_separately() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, 5.0, clock)
    assert limiter.allow("MA1") and limiter.allow("MA2")
    assert not limiter.allow("MA1")
    limiter.reset()
    assert limiter.allow("MA1")


def test_retry_after_header_is_at_least_one_second() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, 5.0, clock)
    limiter.allow("MA1")
    clock.now += 4.9
    assert limiter.retry_after_header("MA1") == "1"
    assert limiter.retry_after("MA1") < 0.11
