"""Shared pieces for simulator tests: a running simulator on the test's (qasync) loop, an httpx
client pointed at its account, and a deadline-bounded wait helper."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest_asyncio

from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator, SimulatorConfig

ACCOUNT = f"/v1/Account/{DEMO_AUTH_ID}"


async def wait_for(condition: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    """Poll `condition` on the loop until it is truthy; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await asyncio.sleep(0.005)


def quiet_config(**overrides: object) -> SimulatorConfig:
    """A still simulator: no churn, no media unless asked, fast retries."""
    values: dict[str, object] = {
        "calls": 3,
        "queued_calls": 0,
        "seed": 7,
        "churn": False,
        "media": False,
        "start_without_media_s": 0.01,
        "media_retry_delay_s": 0.05,
        "callback_retry_delay_s": 0.05,
    }
    values.update(overrides)
    return SimulatorConfig(**values)  # type: ignore[arg-type]


# A request may wait for one of the pool's connections while a burst of 300 is served; on a busy
# 2-core machine that wait alone can pass 5 s (pytest-timeout still bounds every test).
BURST_TIMEOUT = httpx.Timeout(10.0, pool=None)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(quiet_config())
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest_asyncio.fixture
async def client(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=sim.base_url + ACCOUNT, auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN), timeout=BURST_TIMEOUT
    ) as http:
        yield http
