"""Contract: the official `plivo` SDK, unchanged, against the simulator.

Only the SDK's base-URI module constants are pointed at the simulator (tests only). The SDK is
synchronous (requests), so each call runs in the loop's executor while the simulator serves on the
test's loop. Each case asserts the result type or exception the SDK produces for Plivo's answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator
from tests.simulator.conftest import wait_for

plivo = pytest.importorskip("plivo")
from plivo import exceptions  # noqa: E402
from plivo.base import ResponseObject  # noqa: E402
from plivo.rest import client as plivo_client  # noqa: E402

T = TypeVar("T")
URL_CONSTANTS = (
    "PLIVO_API_BASE_URI",
    "API_VOICE_BASE_URI",
    "API_VOICE_BASE_URI_FALLBACK_1",
    "API_VOICE_BASE_URI_FALLBACK_2",
)


@pytest.fixture
def point_sdk_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    def point(base_url: str) -> None:
        for name in URL_CONSTANTS:
            monkeypatch.setattr(plivo_client, name, f"{base_url}/v1/Account")

    yield point


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: fn(*args, **kwargs))


def new_client(auth_id: str = DEMO_AUTH_ID, token: str = DEMO_AUTH_TOKEN) -> Any:
    return plivo.RestClient(auth_id, token)


@pytest.mark.asyncio
async def test_live_and_queued_calls(sim: Simulator, point_sdk_at: Callable[[str], None]) -> None:
    point_sdk_at(sim.base_url)
    client = new_client()
    ids = await run(client.live_calls.list_ids)
    assert isinstance(ids, ResponseObject) and ids.calls == sim.live_call_uuids()
    first = sim.live_call_uuids()[0]
    call = await run(client.live_calls.get, first)
    assert call.call_uuid == first and call.call_status == "in-progress"
    assert call.direction in ("inbound", "outbound") and isinstance(call.session_start, str)
    outbound = await run(client.live_calls.list_ids, call_direction="outbound", limit=5, offset=0)
    assert set(outbound.calls) <= set(sim.live_call_uuids())

    queued = sim.add_queued_calls(2)
    assert (await run(client.queued_calls.list_ids)).calls == queued
    assert (await run(client.queued_calls.get, queued[0])).call_status == "queued"

    with pytest.raises(exceptions.ResourceNotFoundError, match="Call not found"):
        await run(client.live_calls.get, "0f0f0f0f-0000-4000-8000-000000000000")
    sim.hangup(first)
    with pytest.raises(exceptions.ResourceNotFoundError):
        await run(client.live_calls.get, first)


@pytest.mark.asyncio
async def test_stream_operations(sim: Simulator, point_sdk_at: Callable[[str], None]) -> None:
    point_sdk_at(sim.base_url)
    client = new_client()
    call = sim.live_call_uuids()[0]
    started = await run(
        client.calls.start_stream,
        call,
        "wss://agent.example.com/audio",
        bidirectional=False,
        audio_track="both",
        stream_timeout=120,
        status_callback_url="https://cb.example.com/status",
        status_callback_method="POST",
        content_type="audio/x-mulaw;rate=8000",
        extra_headers="agent=7,team=blue",
    )
    assert started.message == "audio streaming started" and isinstance(started.api_id, str)
    stream_id = started.stream_id
    record = sim.stream(stream_id)
    assert (
        record.params.stream_timeout == 120 and record.params.extra_headers == "agent=7,team=blue"
    )

    listed = await run(client.calls.get_all_streams, call)
    assert [s.stream_id for s in listed.objects] == [stream_id]
    assert listed.meta.count == 1 and listed.meta.limit == 20
    await wait_for(lambda: record.status == "in-progress", what="stream start")
    one = await run(client.calls.get_details_of_specific_stream, call, stream_id)
    assert one.stream_id == stream_id and one.status == "in-progress"
    assert one.audio_track == "both" and one.bidirectional is False

    assert await run(client.calls.delete_specific_stream, call, stream_id) is None
    assert record.status == "completed" and record.end_reason == "api_request"
    with pytest.raises(exceptions.ValidationError, match="No active stream found"):
        await run(client.calls.delete_specific_stream, call, stream_id)

    for url in ("wss://a.example/1", "wss://a.example/2"):
        await run(client.calls.start_stream, call, url)
    assert await run(client.calls.delete_all_streams, call) is None
    assert all(not s.active for s in sim.streams_of(call))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_url": "https://not-a-websocket.example"}, "service_url"),
        (
            {"service_url": "wss://x.example", "bidirectional": True, "audio_track": "both"},
            "inbound",
        ),
        ({"service_url": "wss://x.example", "content_type": "audio/wav"}, "content_type"),
        ({"service_url": "wss://x.example", "extra_headers": "a-b=c"}, "extra_headers"),
        ({"service_url": "wss://x.example", "extra_headers": "k=" + "v" * 511}, "512"),
        ({"service_url": "wss://x.example", "stream_timeout": -1}, "stream_timeout"),
        ({"service_url": "wss://x.example", "status_callback_method": "PUT"}, "method"),
        ({"service_url": "wss://x.example", "audio_track": "sideways"}, "audio_track"),
    ],
)
async def test_start_rule_violations_raise_validation_error(
    sim: Simulator, point_sdk_at: Callable[[str], None], kwargs: dict[str, Any], message: str
) -> None:
    point_sdk_at(sim.base_url)
    call = sim.live_call_uuids()[0]
    with pytest.raises(exceptions.ValidationError, match=message):
        await run(new_client().calls.start_stream, call, **kwargs)
    assert sim.streams_of(call) == []


@pytest.mark.asyncio
async def test_duplicate_url_and_unknown_resources(
    sim: Simulator, point_sdk_at: Callable[[str], None]
) -> None:
    point_sdk_at(sim.base_url)
    client = new_client()
    call = sim.live_call_uuids()[0]
    await run(client.calls.start_stream, call, "wss://dup.example")
    with pytest.raises(exceptions.ValidationError, match="already exists"):
        await run(client.calls.start_stream, call, "wss://dup.example")
    with pytest.raises(exceptions.ResourceNotFoundError, match="Stream not found"):
        await run(client.calls.get_details_of_specific_stream, call, "nope")
    with pytest.raises(exceptions.ResourceNotFoundError):
        await run(client.calls.delete_specific_stream, call, "nope")
    with pytest.raises(exceptions.ResourceNotFoundError, match="Call not found"):
        await run(client.calls.get_all_streams, "nope")
    with pytest.raises(exceptions.ResourceNotFoundError):
        await run(client.calls.start_stream, "nope", "wss://x.example")
    with pytest.raises(exceptions.ResourceNotFoundError):
        await run(client.calls.delete_all_streams, "nope")


@pytest.mark.asyncio
async def test_auth_rate_limit_and_server_errors(
    sim: Simulator, point_sdk_at: Callable[[str], None]
) -> None:
    point_sdk_at(sim.base_url)
    with pytest.raises(exceptions.AuthenticationError, match="Authentication failed"):
        await run(new_client(token="wrong-token").live_calls.list_ids)

    sim.faults.force_429 = True
    with pytest.raises(exceptions.PlivoRestError, match="429") as refused:
        await run(new_client().live_calls.list_ids)
    assert type(refused.value) is exceptions.PlivoRestError  # no special class for 429
    sim.faults.reset()

    sim.stats.reset()
    sim.faults.error_rate = 1.0
    with pytest.raises(exceptions.PlivoServerError):
        await run(new_client().live_calls.list_ids)
    assert sim.stats.count(kind="list_calls") == 3  # the SDK's two voice fallbacks, as at Plivo
    sim.faults.reset()
    sim.faults.fail_next = 1
    ids = await run(new_client().live_calls.list_ids)
    assert ids.calls == sim.live_call_uuids()  # the first fallback succeeded


@pytest.mark.asyncio
async def test_subaccount_client(sim: Simulator, point_sdk_at: Callable[[str], None]) -> None:
    point_sdk_at(sim.base_url)
    sim.add_subaccount("SADEMOSUBACCOUNT0001", "SubToken-demo-0001")
    [own] = sim.add_live_calls(1, auth_id="SADEMOSUBACCOUNT0001")
    client = new_client("SADEMOSUBACCOUNT0001", "SubToken-demo-0001")
    assert (await run(client.live_calls.list_ids)).calls == [own]
    started = await run(client.calls.start_stream, own, "wss://sub.example")
    assert sim.stream(started.stream_id).auth_id == "SADEMOSUBACCOUNT0001"
