"""The bucket: the whole window at once but never more (whatever the latency), tokens back one
window after the answer, priority and a reserve for operator actions, pauses after a 429, and
cancellation taking nothing."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from console.api import Priority, RateLimit, TokenBucket
from console.api.ratelimit import shared_bucket
from tests.api.fakes import FakeClock


def most_in_a_window(spans: list[tuple[float, float]], window: float) -> int:
    """The most requests the server could count in one window [t, t + window), when it counts
    each at any moment between its grant and its answer (spans of (granted, answered))."""
    return max(
        sum(1 for granted, answered in spans if granted < start + window and answered >= start)
        for start in {answered for _, answered in spans}
    )


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


def test_limit_settings_are_checked() -> None:
    assert RateLimit().limit == 300 and RateLimit().window_s == 5.0
    assert RateLimit().background_share == 300 - RateLimit().operator_reserve
    with pytest.raises(ValueError):
        RateLimit(limit=10, operator_reserve=10)
    with pytest.raises(ValueError):
        RateLimit(window_s=0)


@pytest.mark.asyncio
async def test_the_whole_window_goes_out_at_once_and_not_one_more() -> None:
    clock = FakeClock()
    limit = RateLimit()
    bucket = TokenBucket(limit, clock)
    background = [await bucket.acquire() for _ in range(limit.background_share)]
    operator = [await bucket.acquire(Priority.OPERATOR) for _ in range(limit.operator_reserve)]
    assert all(g.waited_s == 0 for g in background + operator)
    assert clock.now == 1_000.0 and bucket.in_use() == 300
    for grant in background + operator:
        bucket.release(grant)
    late = await bucket.acquire(Priority.OPERATOR)  # the 301st: once the first token is back
    assert late.waited_s == pytest.approx(5.0 + limit.margin_s)


@pytest.mark.asyncio
async def test_any_latency_keeps_every_window_within_the_limit() -> None:
    """Requests answered after random delays: however the server places each in its span, no
    window holds more than the limit, and the tokens are not held longer than needed."""
    clock = FakeClock()
    limit = RateLimit(limit=30, operator_reserve=4)
    bucket = TokenBucket(limit, clock)
    rng = random.Random(3)
    spans: list[tuple[float, float]] = []
    in_flight: list[tuple[float, float, object]] = []
    for n in range(300):
        priority = Priority.OPERATOR if n % 7 == 0 else Priority.BACKGROUND
        grant = await bucket.acquire(priority)
        in_flight.append((clock.now + rng.uniform(0.0, 0.8), clock.now, grant))
        in_flight.sort(key=lambda item: item[0])
        while in_flight and (
            in_flight[0][0] <= clock.now or bucket.in_use() >= limit.background_share
        ):
            answered, granted, done = in_flight.pop(0)
            clock.now = max(clock.now, answered)
            bucket.release(done)  # type: ignore[arg-type]
            spans.append((granted, clock.now))
    assert most_in_a_window(spans, limit.window_s) <= limit.limit
    assert clock.now - 1_000.0 < (300 / limit.background_share) * (limit.window_s + 0.8 + 0.1)


@pytest.mark.asyncio
async def test_a_token_comes_back_one_window_after_its_answer() -> None:
    clock = FakeClock()
    limit = RateLimit(limit=2, operator_reserve=0)
    bucket = TokenBucket(limit, clock)
    first, second = await bucket.acquire(), await bucket.acquire()
    waiter = asyncio.ensure_future(bucket.acquire())
    await until(lambda: bucket.waiting == 1)
    assert not waiter.done()  # both requests still in flight: nothing to count on yet
    clock.now += 2.0  # the answer to `first` comes 2 s after it was sent
    bucket.release(first)
    third = await waiter
    assert third.waited_s == pytest.approx(2.0 + 5.0 + limit.margin_s)
    bucket.release(second)
    bucket.release(second)  # a second release gives nothing back
    assert bucket.in_use() == 2


@pytest.mark.asyncio
async def test_operator_goes_ahead_of_queued_background_requests() -> None:
    limit = RateLimit(limit=4, window_s=0.2, operator_reserve=2, margin_s=0.0)
    bucket = TokenBucket(limit)  # real clock
    order: list[str] = []

    async def take(name: str, priority: Priority) -> None:
        grant = await bucket.acquire(priority)
        order.append(name)
        bucket.release(grant)

    # The first two background requests use the background's share; queue more.
    tasks = [asyncio.ensure_future(take(f"bg{i}", Priority.BACKGROUND)) for i in range(5)]
    await until(lambda: order == ["bg0", "bg1"] and bucket.waiting == 3)
    tasks.append(asyncio.ensure_future(take("op", Priority.OPERATOR)))
    await asyncio.gather(*tasks)
    assert order[2] == "op"  # served from the reserve at once, ahead of bg2..bg4
    assert order[3:] == ["bg2", "bg3", "bg4"]


@pytest.mark.asyncio
async def test_a_cancelled_waiter_takes_nothing() -> None:
    gate = asyncio.Event()

    class GatedClock(FakeClock):
        async def sleep(self, seconds: float) -> None:
            await gate.wait()
            await super().sleep(seconds)

    gated = GatedClock()
    bucket = TokenBucket(RateLimit(limit=1, operator_reserve=0), gated)
    bucket.release(await bucket.acquire())
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
    grant = await bucket.acquire(Priority.OPERATOR)
    assert grant.waited_s == pytest.approx(4.0)


def test_one_bucket_per_account() -> None:
    a = shared_bucket("http://h/", "MA1")
    assert shared_bucket("http://H", "MA1") is a
    assert shared_bucket("http://h", "MA2") is not a
