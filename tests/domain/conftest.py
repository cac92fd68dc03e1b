"""A simulator shared by the module's synchronous tests, with no churn, media or rate limit."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, SimulatorConfig
from tests.domain.threaded_simulator import ThreadedSimulator


@pytest.fixture(scope="module")
def threaded_sim() -> Iterator[ThreadedSimulator]:
    sim = ThreadedSimulator(
        SimulatorConfig(calls=3, seed=1, churn=False, media=False, rate_limit=False)
    )
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def sim_http(threaded_sim: ThreadedSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{threaded_sim.base_url}/v1/Account/{DEMO_AUTH_ID}",
        auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN),
        timeout=10.0,
    ) as client:
        yield client
