"""Cancellation churn (encode/httpcore#1093): a GUI cancels requests all
the time. 1,000 requests to a slow local server are cancelled at random moments; afterwards the
pool must still work: a normal request succeeds within 1 s, with no PoolTimeout and no rebuild."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from console.api import ApiError, ClientPolicy, PlivoClient, StaticToken
from tests.api.evil import evil_server
from tests.api.fakes import AUTH_ID, FAST, TOKEN

ROUNDS = 10
PER_ROUND = 100


@pytest.mark.timeout(120)
@pytest.mark.asyncio
async def test_random_cancellation_does_not_poison_the_pool() -> None:
    rng = random.Random(1093)
    policy = ClientPolicy(
        max_connections=10, background_slots=7, operator_slots=2, pool_timeout_s=1.0, rate=FAST
    )
    loop = asyncio.get_running_loop()
    cancelled = completed = failed = 0
    async with (
        evil_server() as server,
        PlivoClient(AUTH_ID, StaticToken(TOKEN), server.base_url, policy=policy) as client,
    ):
        for _ in range(ROUNDS):
            tasks = [asyncio.ensure_future(client.get_live_call("slow")) for _ in range(PER_ROUND)]
            for task in tasks:
                loop.call_later(rng.uniform(0.0, 0.3), task.cancel)
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, asyncio.CancelledError):
                    cancelled += 1
                elif isinstance(outcome, ApiError):
                    failed += 1
                else:
                    completed += 1
        started = time.monotonic()
        call = await client.get_live_call("ok")
        elapsed = time.monotonic() - started

    assert call.call_uuid == "ok"
    assert elapsed < 1.0
    assert failed == 0
    assert client.rebuilds == 0
    assert cancelled + completed == ROUNDS * PER_ROUND
    assert cancelled > 300 and completed > 50  # both paths were really exercised
    assert server.count("slow") > 100  # many cancellations hit requests already on the wire
