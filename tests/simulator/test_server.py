"""Embedding contract: loopback bind, port 0, idempotent stop, seeded population, no secret in
reprs, and a clean shutdown with streams, media and callbacks in flight."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from console.simulator import (
    DEMO_AUTH_ID,
    DEMO_AUTH_TOKEN,
    Simulator,
    SimulatorConfig,
)
from tests.simulator.conftest import ACCOUNT, quiet_config, wait_for


def test_demo_account_shape_and_no_token_in_repr() -> None:
    assert len(DEMO_AUTH_ID) == 20 and DEMO_AUTH_ID.startswith("MA")
    config = SimulatorConfig()
    assert DEMO_AUTH_TOKEN not in repr(config)
    assert (config.calls, config.churn, config.rate_limit, config.media) == (12, True, True, True)
    with pytest.raises(ValueError):
        SimulatorConfig(list_meta_count="nope")


def test_same_seed_same_population() -> None:
    first, second = Simulator(SimulatorConfig(seed=42)), Simulator(SimulatorConfig(seed=42))
    assert first.live_call_uuids() == second.live_call_uuids()
    assert len(first.live_call_uuids()) == 12
    a, b = (s.state.calls[s.live_call_uuids()[0]] for s in (first, second))
    assert (a.from_number, a.to_number, a.caller_name) == (
        b.from_number,
        b.to_number,
        b.caller_name,
    )
    assert Simulator(SimulatorConfig(seed=43)).live_call_uuids() != first.live_call_uuids()


@pytest.mark.asyncio
async def test_binds_loopback_on_a_free_port_and_stops_idempotently() -> None:
    sim = Simulator(quiet_config())
    with pytest.raises(RuntimeError):
        _ = sim.base_url
    base = await sim.start()
    try:
        parts = urlsplit(base)
        assert parts.hostname == "127.0.0.1" and parts.port and parts.port > 0
        assert sim.media_sink_url == f"ws://127.0.0.1:{parts.port}/_sim/media-sink"
        with pytest.raises(RuntimeError, match="already running"):
            await sim.start()
        with socket.create_connection(("127.0.0.1", parts.port), timeout=2):
            pass
    finally:
        await sim.stop()
    await sim.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", parts.port), timeout=2):
        pass
    with pytest.raises(ValueError, match="explicit host"):
        await Simulator(quiet_config()).start(host="")


@pytest.mark.asyncio
async def test_stop_with_media_and_callbacks_in_flight_leaves_no_task() -> None:
    sim = Simulator(quiet_config(media=True, calls=5))
    await sim.start()
    async with httpx.AsyncClient(
        base_url=sim.base_url + ACCOUNT, auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
    ) as client:
        for i, call in enumerate(sim.live_call_uuids()):
            body = {"service_url": sim.media_sink_url + f"/{i}", "bidirectional": i % 2 == 0}
            body["status_callback_url"] = "http://127.0.0.1:9/unreachable"  # retried, never lands
            assert (await client.post(f"/Call/{call}/Stream/", json=body)).status_code == 201
        await wait_for(lambda: sim.stats.sink_frames > 100)
    before = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
    await sim.stop()
    await asyncio.sleep(0)
    left = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} - before
    pending = [t for t in before | left if not t.done()]
    assert pending == [], pending
    assert sim.engine.sessions == {}
