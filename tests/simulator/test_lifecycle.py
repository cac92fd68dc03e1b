"""Stream lifecycle and signed status callbacks (media off: the WebSocket side is in test_media).
Signatures are checked with the official SDK's validator, not with our own maths."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from plivo.utils.signature_v3 import validate_v3_signature

from console.domain.signature import MAIN_ACCOUNT_SIGNATURE_HEADER, NONCE_HEADER, SIGNATURE_HEADER
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator
from tests.simulator.conftest import ACCOUNT, quiet_config, wait_for
from tests.simulator.receivers import Callback, CallbackReceiver


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    rec = await CallbackReceiver().start()
    try:
        yield rec
    finally:
        await rec.stop()


def signed_by(cb: Callback, url: str, token: str, header: str = SIGNATURE_HEADER) -> bool:
    result: bool = validate_v3_signature(
        cb.method, url, cb.headers[NONCE_HEADER], token, cb.headers[header], dict(cb.params)
    )
    return result


async def start(client: httpx.AsyncClient, call: str, **body: object) -> str:
    response = await client.post(f"/Call/{call}/Stream/", json=body)
    assert response.status_code == 201, response.text
    stream_id: str = response.json()["stream_id"]
    return stream_id


@pytest.mark.asyncio
async def test_post_callbacks_are_form_encoded_signed_and_ordered(
    sim: Simulator, client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    call = sim.live_call_uuids()[0]
    url = receiver.base_url + "/status?tenant=blue"
    stream_id = await start(
        client,
        call,
        service_url="wss://agent.example/a",
        status_callback_url=url,
        extra_headers="agent=7",
    )
    await wait_for(lambda: receiver.events() == ["StartStream"], what="StartStream")
    assert (await client.delete(f"/Call/{call}/Stream/{stream_id}/")).status_code == 204
    await wait_for(lambda: len(receiver.received) == 2, what="StopStream")
    first, second = receiver.received
    assert receiver.events() == ["StartStream", "StopStream"]
    for cb in (first, second):
        assert cb.method == "POST" and cb.content_type == "application/x-www-form-urlencoded"
        assert cb.params["StreamID"] == stream_id and cb.params["CallUUID"] == call
        assert cb.params["ServiceURL"] == "wss://agent.example/a"
        assert cb.params["ExtraHeaders"] == "agent=7" and cb.params["Timestamp"]
        assert len(cb.headers[NONCE_HEADER]) == 20 and cb.headers[NONCE_HEADER].isdigit()
        assert signed_by(cb, url, DEMO_AUTH_TOKEN)
        assert signed_by(cb, url, DEMO_AUTH_TOKEN, MAIN_ACCOUNT_SIGNATURE_HEADER)
        assert not signed_by(cb, url, "another-token")
        assert not signed_by(cb, url.replace("blue", "red"), DEMO_AUTH_TOKEN)
    assert second.params["Reason"] == "api_request"
    # The receiver records a request before its answer reaches the emitter.
    await wait_for(lambda: sim.stats.callbacks_delivered == 2, what="the deliveries counted")


@pytest.mark.asyncio
async def test_get_callbacks_carry_params_in_the_query(
    sim: Simulator, client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    call = sim.live_call_uuids()[0]
    url = receiver.base_url + "/cb?a=1"
    await start(
        client,
        call,
        service_url="ws://x.example",
        status_callback_url=url,
        status_callback_method="GET",
    )
    await wait_for(lambda: receiver.received, what="StartStream")
    cb = receiver.received[0]
    assert cb.method == "GET" and cb.params["Event"] == "StartStream" and cb.params["a"] == "1"
    params = {k: v for k, v in cb.params.items() if k != "a"}  # the URL's own query is in `url`
    nonce, header = cb.headers[NONCE_HEADER], cb.headers[SIGNATURE_HEADER]
    assert validate_v3_signature("GET", url, nonce, DEMO_AUTH_TOKEN, header, params)


@pytest.mark.asyncio
async def test_status_moves_from_initiated_to_in_progress() -> None:
    sim = Simulator(quiet_config(start_without_media_s=0.3))
    await sim.start()
    try:
        call = sim.live_call_uuids()[0]
        async with httpx.AsyncClient(
            base_url=sim.base_url + ACCOUNT, auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
        ) as client:
            stream_id = await start(client, call, service_url="ws://x.example")
            first = (await client.get(f"/Call/{call}/Stream/{stream_id}/")).json()
            assert first["status"] == "initiated" and first["start_time"] is None
            await wait_for(lambda: sim.stream(stream_id).status == "in-progress")
            later = (await client.get(f"/Call/{call}/Stream/{stream_id}/")).json()
            assert later["start_time"] is not None and later["end_time"] is None
    finally:
        await sim.stop()


@pytest.mark.asyncio
async def test_hangup_ends_streams_without_stop_callback(
    sim: Simulator, client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    call = sim.live_call_uuids()[0]
    stream_id = await start(
        client, call, service_url="ws://x.example", status_callback_url=receiver.base_url
    )
    await wait_for(lambda: receiver.events() == ["StartStream"])
    sim.hangup(call)
    record = sim.stream(stream_id)
    assert record.status == "completed" and record.end_reason == "call_hangup"
    # The stream stays readable after the hang-up, with its end time.
    ended = (await client.get(f"/Call/{call}/Stream/{stream_id}/")).json()
    assert ended["status"] == "completed" and ended["end_time"] is not None
    # A later event proves the emitter is idle, not slow: only StartStream ever arrived.
    other = sim.live_call_uuids()[0]
    await start(client, other, service_url="ws://y.example", status_callback_url=receiver.base_url)
    await wait_for(lambda: len(receiver.received) == 2)
    assert receiver.events() == ["StartStream", "StartStream"]
    stopped = await client.delete(f"/Call/{call}/Stream/{stream_id}/")
    assert stopped.status_code == 400


@pytest.mark.asyncio
@pytest.mark.timeout(20)
async def test_stream_timeout_stops_the_stream_with_a_callback(
    sim: Simulator, client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    call = sim.live_call_uuids()[0]
    stream_id = await start(
        client,
        call,
        service_url="ws://x.example",
        stream_timeout=1,
        status_callback_url=receiver.base_url,
    )
    await wait_for(lambda: receiver.events() == ["StartStream", "StopStream"], timeout=5)
    assert receiver.received[1].params["Reason"] == "stream_timeout"
    record = sim.stream(stream_id)
    assert record.status == "completed" and record.start_time and record.end_time
    assert 0.9 <= (record.end_time - record.start_time).total_seconds() <= 3.0


@pytest.mark.asyncio
async def test_failed_delivery_is_retried_once_with_a_fresh_nonce(
    sim: Simulator, client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    receiver.statuses = [503]
    call = sim.live_call_uuids()[0]
    await start(client, call, service_url="ws://x.example", status_callback_url=receiver.base_url)
    await wait_for(lambda: len(receiver.received) == 2, what="the retry")
    first, retry = receiver.received
    assert first.params == retry.params
    assert first.headers[NONCE_HEADER] != retry.headers[NONCE_HEADER]
    assert signed_by(retry, receiver.base_url, DEMO_AUTH_TOKEN)
    await wait_for(lambda: sim.stats.callbacks_delivered == 1, what="the delivery counted")
    assert sim.stats.callbacks_sent == 2


@pytest.mark.asyncio
async def test_a_4xx_answer_is_final(
    sim: Simulator, client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    receiver.statuses = [403]
    call = sim.live_call_uuids()[0]
    await start(client, call, service_url="ws://x.example", status_callback_url=receiver.base_url)
    await wait_for(lambda: sim.stats.callbacks_failed == 1)
    await sim.drain_callbacks()
    assert len(receiver.received) == 1


@pytest.mark.asyncio
async def test_subaccount_callbacks_sign_with_both_tokens(
    sim: Simulator, receiver: CallbackReceiver
) -> None:
    sub_id, sub_token = "SADEMOSUBACCOUNT0001", "SubToken-demo-0001"
    sim.add_subaccount(sub_id, sub_token)
    [call] = sim.add_live_calls(1, auth_id=sub_id)
    async with httpx.AsyncClient(
        base_url=f"{sim.base_url}/v1/Account/{sub_id}", auth=(sub_id, sub_token)
    ) as client:
        await start(
            client, call, service_url="ws://s.example", status_callback_url=receiver.base_url
        )
    await wait_for(lambda: receiver.received)
    cb = receiver.received[0]
    assert signed_by(cb, receiver.base_url, sub_token)
    assert not signed_by(cb, receiver.base_url, DEMO_AUTH_TOKEN)
    assert signed_by(cb, receiver.base_url, DEMO_AUTH_TOKEN, MAIN_ACCOUNT_SIGNATURE_HEADER)


@pytest.mark.asyncio
async def test_drop_stream_on_demand_sends_dropped_stream(
    sim: Simulator, client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    call = sim.live_call_uuids()[0]
    stream_id = await start(
        client, call, service_url="ws://x.example", status_callback_url=receiver.base_url
    )
    await wait_for(lambda: sim.stream(stream_id).status == "in-progress")
    await sim.drop_stream(stream_id, "trainer pulled the plug")
    await wait_for(lambda: receiver.events() == ["StartStream", "DroppedStream"])
    assert receiver.received[1].params["Error"] == "trainer pulled the plug"
    assert sim.stream(stream_id).status == "failed"
    with pytest.raises(ValueError, match="not active"):
        await sim.drop_stream(stream_id)
    with pytest.raises(KeyError):
        await sim.drop_stream("unknown")


@pytest.mark.asyncio
@pytest.mark.timeout(30)
async def test_churn_hangs_calls_up_and_brings_new_ones() -> None:
    sim = Simulator(
        quiet_config(churn=True, calls=4, call_duration_s=(0.2, 0.4), churn_tick_s=0.05)
    )
    first = set(sim.live_call_uuids())
    await sim.start()
    try:
        await wait_for(lambda: not first & set(sim.live_call_uuids()), timeout=10)
        await wait_for(lambda: len(sim.live_call_uuids()) >= 2, timeout=10)
    finally:
        await sim.stop()
    assert sim.stats.total == 0
