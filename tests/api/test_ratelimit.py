"""The token bucket: the window bound that keeps us under Plivo's 300 per 5 s, priority for
operator actions, the operator reserve, pauses after a 429, and cancellation taking nothing."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import pytest

from console.api import Priority, RateLimit, TokenBucket
from console.api.ratelimit import shared_bucket
from tests.api.fakes import FakeClock


def worst_window(times: list[float], window: float) -> int:
    """The most grants inside any half-open interval [t, t + window)."""
    best, inside = 0, deque[float]()
    for t in sorted(times):
        inside.append(t)
        while inside[0] <= t - window:
            inside.popleft()
        best = max(best, len(inside))
    return best


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


def test_default_limit_leaves_margin_under_plivos() -> None:
    limit = RateLimit()
    assert limit.worst_window <= 300 - 10
    with pytest.raises(ValueError, match="300"):
        RateLimit(rate=60, burst=5)
    with pytest.raises(ValueError):
        RateLimit(burst=2, operator_reserve=2)


@pytest.mark.asyncio
async def test_grants_never_exceed_the_window_bound() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(), clock)
    times: list[float] = []

    async def worker(priority: Priority) -> None:
        for _ in range(150):
            await bucket.acquire(priority)
            times.append(clock.monotonic())

    await asyncio.gather(*(worker(Priority(i % 2)) for i in range(8)))
    assert len(times) == 1200
    assert worst_window(times, 5.0) <= RateLimit().worst_window
    elapsed = max(times) - min(times)
    assert elapsed == pytest.approx((1200 - 10) / 55, rel=0.02)  # and not slower than needed


@pytest.mark.asyncio
async def test_operator_goes_ahead_of_queued_background_requests() -> None:
    bucket = TokenBucket(RateLimit(rate=5, burst=3, operator_reserve=2))  # real clock
    order: list[str] = []

    async def take(name: str, priority: Priority) -> None:
        await bucket.acquire(priority)
        order.append(name)

    # The first background request drains the bucket down to the reserve; queue more.
    tasks = [asyncio.ensure_future(take(f"bg{i}", Priority.BACKGROUND)) for i in range(4)]
    await until(lambda: order == ["bg0"] and bucket.waiting == 3)
    tasks.append(asyncio.ensure_future(take("op", Priority.OPERATOR)))
    await asyncio.gather(*tasks)
    assert order[0] == "bg0"
    assert order[1] == "op"  # served from the reserve at once, ahead of bg1..bg3
    assert order[2:] == ["bg1", "bg2", "bg3"]


@pytest.mark.asyncio
async def test_a_cancelled_waiter_takes_nothing() -> None:
    gate = asyncio.Event()

    class GatedClock(FakeClock):
        async def sleep(self, seconds: float) -> None:
            await gate.wait()
            await super().sleep(seconds)

    gated = GatedClock()
    bucket = TokenBucket(RateLimit(rate=1, burst=1, operator_reserve=0), gated)
    await bucket.acquire()
    waiter = asyncio.ensure_future(bucket.acquire())
    follower = asyncio.ensure_future(bucket.acquire())
    await until(lambda: bucket.waiting == 2)
    waiter.cancel()
    gate.set()
    await follower
    assert bucket.granted == 2 and bucket.waiting == 0
    assert waiter.cancelled()


@pytest.mark.asyncio
async def test_pause_holds_every_grant_until_it_ends() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(), clock)
    bucket.pause_until(clock.monotonic() + 4.0)
    waited = await bucket.acquire(Priority.OPERATOR)
    assert waited == pytest.approx(4.0)


def test_one_bucket_per_account() -> None:
    a = shared_bucket("http://h/", "MA1")
    assert shared_bucket("http://H", "MA1") is a
    assert shared_bucket("http://h", "MA2") is not a
