"""The receiver against the real simulator's signed callbacks, and cross-checked with the official
plivo SDK's V3 validator in both directions (its signatures verify here, ours verify there)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plivo.utils.signature_v3 import (
    construct_get_url,
    construct_post_url,
    get_signature_v3,
    validate_v3_signature,
)

from console.domain.events import EventFilter, StoredEvent
from console.domain.signature import NONCE_HEADER, SIGNATURE_HEADER
from console.receiver.server import Credential
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator
from tests.receiver.conftest import AUTH_ID, FORM, PUBLIC, TOKEN, Rig, wait_for
from tests.simulator.conftest import ACCOUNT, quiet_config


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(quiet_config())
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def events(rig: Rig) -> list[StoredEvent]:
    return list(reversed(await rig.log.newest(EventFilter(), limit=100)))


def sdk_accepts(event: StoredEvent, token: str) -> bool:
    ok: bool = validate_v3_signature(
        event.method,
        event.url,
        event.headers[NONCE_HEADER],
        token,
        event.headers[SIGNATURE_HEADER],
        dict(event.params),
    )
    return ok


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_simulator_callbacks_arrive_verified_and_stored(
    rig: Rig, sim: Simulator, method: str
) -> None:
    # Demo wiring: the public URL is the receiver's own loopback URL.
    rig.creds[:] = [Credential(DEMO_AUTH_ID, DEMO_AUTH_TOKEN, rig.url)]
    call = sim.live_call_uuids()[0]
    async with httpx.AsyncClient(
        base_url=sim.base_url + ACCOUNT, auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN), timeout=5.0
    ) as api:
        started = await api.post(
            f"/Call/{call}/Stream/",
            json={
                "service_url": "wss://agent.example/a",
                "status_callback_url": rig.url,
                "status_callback_method": method,
            },
        )
        assert started.status_code == 201, started.text
        stream_id = started.json()["stream_id"]
        await wait_for(lambda: rig.receiver.stats.accepted == 1, what="StartStream")
        assert (await api.delete(f"/Call/{call}/Stream/{stream_id}/")).status_code == 204
        await wait_for(lambda: rig.receiver.stats.accepted == 2, what="StopStream")
    start, stop = await events(rig)
    assert [start.event, stop.event] == ["StartStream", "StopStream"]
    for event in (start, stop):
        assert event.stream_id == stream_id and event.call_uuid == call
        assert event.account == DEMO_AUTH_ID and event.method == method
        assert event.params["ServiceURL"] == "wss://agent.example/a" and event.params["Timestamp"]
        assert sdk_accepts(event, DEMO_AUTH_TOKEN)
        assert not sdk_accepts(event, "some-other-token")
    assert stop.error == "api_request"
    assert rig.receiver.stats.rejected == 0
    assert sim.stats.callbacks_delivered == 2


@pytest.mark.asyncio
async def test_a_dropped_stream_brings_its_error(rig: Rig, sim: Simulator) -> None:
    rig.creds[:] = [Credential(DEMO_AUTH_ID, DEMO_AUTH_TOKEN, rig.url)]
    call = sim.live_call_uuids()[1]
    async with httpx.AsyncClient(
        base_url=sim.base_url + ACCOUNT, auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN), timeout=5.0
    ) as api:
        started = await api.post(
            f"/Call/{call}/Stream/",
            json={"service_url": "wss://agent.example/a", "status_callback_url": rig.url},
        )
        stream_id = started.json()["stream_id"]
    await wait_for(lambda: rig.receiver.stats.accepted == 1, what="StartStream")
    await sim.drop_stream(stream_id, error="websocket closed: 1011")
    await wait_for(lambda: rig.receiver.stats.accepted == 2, what="DroppedStream")
    dropped = (await events(rig))[-1]
    assert dropped.event == "DroppedStream" and dropped.error == "websocket closed: 1011"


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=30)
_params = st.dictionaries(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz_-", min_size=1, max_size=12), _text,
    min_size=1, max_size=8,
)  # fmt: skip


_SERIAL = itertools.count()


@pytest.mark.asyncio
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    p=_params,
    method=st.sampled_from(["POST", "GET"]),
    nonce=st.from_regex(r"[0-9]{20}", fullmatch=True),
)
async def test_sdk_signed_requests_are_accepted(
    rig: Rig, p: dict[str, str], method: str, nonce: str
) -> None:
    # The rig's log lives across examples and a nonce is used once per log: a repeated nonce
    # with other parameters would rightly be refused as forged (tests/receiver/test_integrity.py).
    nonce = nonce[:14] + f"{next(_SERIAL):06d}"
    url = PUBLIC + "/plivo/stream-status"
    build = construct_get_url if method == "GET" else construct_post_url
    signed_url = build(url, dict(p))
    signature = get_signature_v3(TOKEN.encode(), signed_url.decode(), nonce.encode()).decode()
    headers = {NONCE_HEADER: nonce, SIGNATURE_HEADER: signature}
    before = rig.receiver.stats.accepted + rig.receiver.stats.replays
    replays_before = rig.receiver.stats.replays
    if method == "GET":
        async with rig.http.get(rig.url + "?" + urlencode(p), headers=headers) as r:
            status = r.status
    else:
        headers["Content-Type"] = FORM
        async with rig.http.post(rig.url, data=urlencode(p), headers=headers) as r:
            status = r.status
    assert status == 200
    assert rig.receiver.stats.accepted + rig.receiver.stats.replays == before + 1
    newest = (await rig.log.newest(EventFilter(), limit=1))[0]
    assert newest.account == AUTH_ID
    if rig.receiver.stats.replays == replays_before:  # hypothesis may repeat an example
        assert dict(newest.params) == p
