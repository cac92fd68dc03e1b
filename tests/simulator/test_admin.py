"""The `/_sim/` admin API a trainer drives with curl."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator


@pytest_asyncio.fixture
async def admin(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=sim.base_url + "/_sim", auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
    ) as http:
        yield http


@pytest.mark.asyncio
async def test_admin_needs_the_main_account_credentials(sim: Simulator) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        assert (await http.get("/_sim/")).status_code == 401
        bad = await http.get("/_sim/faults", auth=(DEMO_AUTH_ID, "nope"))
        assert bad.status_code == 401 and bad.json()["error"] == "Authentication failed"


@pytest.mark.asyncio
async def test_summary(sim: Simulator, admin: httpx.AsyncClient) -> None:
    summary = (await admin.get("/")).json()
    assert summary["auth_id"] == DEMO_AUTH_ID and summary["live_calls"] == 3
    assert summary["base_url"] == sim.base_url and summary["media_sink_url"] == sim.media_sink_url
    assert DEMO_AUTH_TOKEN not in str(summary)


@pytest.mark.asyncio
async def test_faults_read_set_reset(
    sim: Simulator, admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    assert (await admin.get("/faults")).json()["error_rate"] == 0.0
    changed = await admin.patch("/faults", json={"error_rate": 1.0, "error_status": 502})
    assert changed.status_code == 200 and changed.json()["error_status"] == 502
    assert (await client.get("/Call/", params={"status": "live"})).status_code == 502
    assert (await admin.get("/stats")).status_code == 200  # admin itself is never faulted
    refused = await admin.post("/faults", json={"error_rate": 7})
    assert refused.status_code == 400 and "between 0 and 1" in refused.json()["error"]
    assert (await admin.patch("/faults", content=b"[1]")).status_code == 400
    assert (await admin.delete("/faults")).json()["error_rate"] == 0.0
    assert (await client.get("/Call/", params={"status": "live"})).status_code == 200


@pytest.mark.asyncio
async def test_stats_read_and_reset(admin: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    await client.get("/Call/", params={"status": "live"})
    stats = (await admin.get("/stats")).json()
    assert stats["total"] == 1
    assert stats["requests"] == [{"method": "GET", "kind": "list_calls", "count": 1}]
    assert (await admin.delete("/stats")).json()["total"] == 0


@pytest.mark.asyncio
async def test_calls_add_list_hangup(sim: Simulator, admin: httpx.AsyncClient) -> None:
    added = await admin.post("/calls", json={"count": 2, "caller_name": "Trainee One"})
    assert added.status_code == 201
    uuids = added.json()["call_uuids"]
    listed = {c["call_uuid"]: c for c in (await admin.get("/calls")).json()["calls"]}
    assert listed[uuids[0]]["caller_name"] == "Trainee One" and len(listed) == 5
    queued = await admin.post("/calls", json={"count": 1, "queued": True})
    assert queued.json()["call_uuids"] == sim.queued_call_uuids()
    assert (await admin.delete(f"/calls/{uuids[0]}")).status_code == 204
    assert uuids[0] not in sim.live_call_uuids()
    assert (await admin.delete("/calls/unknown")).status_code == 404
    for bad in ({"count": 0}, {"count": "2"}, {"count": 1, "colour": "red"}):
        assert (await admin.post("/calls", json=bad)).status_code == 400


@pytest.mark.asyncio
async def test_streams_list_and_drop(
    sim: Simulator, admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    call = sim.live_call_uuids()[0]
    started = await client.post(
        f"/Call/{call}/Stream/", json={"service_url": "ws://a.example", "stream_timeout": 50}
    )
    stream_id = started.json()["stream_id"]
    [stream] = (await admin.get("/streams")).json()["streams"]
    assert stream["stream_id"] == stream_id and stream["stream_timeout"] == 50
    assert (await admin.post(f"/streams/{stream_id}/drop")).status_code == 204
    assert sim.stream(stream_id).status == "failed"
    assert (await admin.post(f"/streams/{stream_id}/drop")).status_code == 400
    assert (await admin.post("/streams/unknown/drop")).status_code == 404
