"""Plivo's rate limit and the fault knobs, observed on the wire."""

from __future__ import annotations

import asyncio
import time
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest

from console.simulator import Simulator
from console.simulator.config import DEMO_AUTH_ID, DEMO_AUTH_TOKEN
from tests.simulator.conftest import ACCOUNT, quiet_config

LIVE = {"status": "live"}


@pytest.mark.asyncio
async def test_301st_request_in_5_s_is_429_with_retry_after(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    results = await asyncio.gather(*(client.get("/Call/", params=LIVE) for _ in range(305)))
    codes = [r.status_code for r in results]
    assert codes.count(200) == 300 and codes.count(429) == 5
    refused = next(r for r in results if r.status_code == 429)
    assert refused.json()["error"] == "Too many requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 5
    assert sim.stats.rate_limited == 5 and sim.stats.count(kind="list_calls") == 305


@pytest.mark.asyncio
async def test_rate_limit_can_be_switched_off() -> None:
    sim = Simulator(quiet_config(rate_limit=False))
    await sim.start()
    try:
        async with httpx.AsyncClient(
            base_url=sim.base_url + ACCOUNT,
            auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN),
            timeout=httpx.Timeout(5.0, pool=60.0),
        ) as http:
            results = await asyncio.gather(*(http.get("/Call/", params=LIVE) for _ in range(320)))
        assert {r.status_code for r in results} == {200}
    finally:
        await sim.stop()


@pytest.mark.asyncio
async def test_error_rate_and_fail_next(sim: Simulator, client: httpx.AsyncClient) -> None:
    sim.faults.fail_next = 2
    sim.faults.error_status = 503
    codes = [(await client.get("/Call/", params=LIVE)).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    sim.faults.error_rate = 1.0
    failed = await client.get("/Call/", params=LIVE)
    assert failed.status_code == 503 and set(failed.json()) == {"api_id", "error"}
    sim.faults.error_rate = 0.5
    results = [(await client.get("/Call/", params=LIVE)).status_code for _ in range(200)]
    assert 60 <= results.count(503) <= 140  # a share, not all or nothing
    assert sim.stats.faults_injected == 3 + results.count(503)


@pytest.mark.asyncio
async def test_faults_can_target_one_endpoint_kind(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    sim.faults.update({"error_rate": 1.0, "kinds": ["start_stream"]})
    call = sim.live_call_uuids()[0]
    assert (await client.get("/Call/", params=LIVE)).status_code == 200
    started = await client.post(f"/Call/{call}/Stream/", json={"service_url": "ws://a.example"})
    assert started.status_code == 500
    assert sim.streams_of(call) == []  # the 5xx came before the handler: nothing was created


@pytest.mark.asyncio
async def test_forced_429_with_seconds_date_or_no_retry_after(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    sim.faults.force_429 = True
    sim.faults.retry_after = 120
    response = await client.get("/Call/", params=LIVE)
    assert response.status_code == 429 and response.headers["retry-after"] == "120"
    moment = format_datetime(parsedate_to_datetime("Wed, 21 Oct 2037 07:28:00 GMT"), usegmt=True)
    sim.faults.retry_after = moment
    response = await client.get("/Call/", params=LIVE)
    assert response.headers["retry-after"] == moment
    sim.faults.retry_after = None
    response = await client.get("/Call/", params=LIVE)
    assert response.status_code == 429 and "retry-after" not in response.headers
    sim.faults.reset()
    assert (await client.get("/Call/", params=LIVE)).status_code == 200


@pytest.mark.asyncio
async def test_latency_and_stall(sim: Simulator, client: httpx.AsyncClient) -> None:
    sim.faults.latency_s = 0.3
    began = time.perf_counter()
    assert (await client.get("/Call/", params=LIVE)).status_code == 200
    assert time.perf_counter() - began >= 0.25  # Qt timers may fire a few ms early
    sim.faults.reset()
    sim.faults.stall_s = 3.0
    # Headers arrive, the body does not: a read timeout fires (not a connect timeout).
    with pytest.raises(httpx.ReadTimeout):
        await client.get("/Call/", params=LIVE, timeout=httpx.Timeout(5.0, read=0.3))
    sim.faults.stall_s = 0.2
    began = time.perf_counter()
    response = await client.get("/Call/", params=LIVE)
    assert response.status_code == 200 and response.json()["calls"]
    assert time.perf_counter() - began >= 0.15


@pytest.mark.asyncio
async def test_dropped_connection_sends_nothing(sim: Simulator, client: httpx.AsyncClient) -> None:
    sim.faults.drop_connection = 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        await client.get("/Call/", params=LIVE)
    sim.faults.drop_connection = 0.0
    assert (await client.get("/Call/", params=LIVE)).status_code == 200


def test_fault_settings_are_validated() -> None:
    from console.simulator.faults import Faults

    faults = Faults()
    for bad in (
        {"error_rate": 2},
        {"error_status": 404},
        {"latency_s": -1},
        {"force_429": "yes"},
        {"kinds": ["nope"]},
        {"colour": "red"},
        {"retry_after": 1.5},
    ):
        with pytest.raises(ValueError):
            faults.update(bad)
    faults.update({"error_rate": 0.25, "retry_after": "Wed, 21 Oct 2037 07:28:00 GMT"})
    assert faults.as_dict()["error_rate"] == 0.25
    faults.reset()
    assert faults.as_dict()["error_rate"] == 0.0 and faults.retry_after == 1
