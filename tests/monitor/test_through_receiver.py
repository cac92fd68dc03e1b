"""A real account's tunnel reaches only the callback receiver's port: the receiver relays
`/plivo/stream-monitor` to the monitor's own endpoint. A WebSocket client connecting to the
receiver's port gets a monitored session, hears the monitor's checkpoint, and its close ends the
session; the callback path itself still answers; without a monitor the relay refuses cleanly."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from console.monitor import MONITOR_PATH
from console.monitor.forward import MonitorForwarder
from console.receiver.server import CALLBACK_PATH, CallbackReceiver, Credential
from console.receiver.thread import ThreadedReceiver
from console.store.event_log import EventLog
from tests.monitor.conftest import START, Monitor, media, wait_for

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]
KEY = "per-run-key-0123456789"


@dataclass
class Relay:
    receiver: CallbackReceiver | ThreadedReceiver
    forwarder: MonitorForwarder
    http: aiohttp.ClientSession

    def url(self, query: str = "", key: str = KEY) -> str:
        base = self.receiver.local_url.replace("http://", "ws://") + MONITOR_PATH
        return f"{base}?key={key}&{query}" if query else f"{base}?key={key}"


@pytest_asyncio.fixture(params=["on this loop", "on its own thread"])
async def relay(
    monitor: Monitor, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Relay]:
    """The receiver as tests build it, and as the console runs it (its own thread and loop)."""
    log = EventLog(tmp_path / "events.sqlite3", maintenance_interval_s=0)
    await log.open()
    creds = [Credential("MA1", "token", "https://cb.example.com" + CALLBACK_PATH)]
    forwarder = MonitorForwarder(lambda: monitor.url, key=KEY)
    kind = CallbackReceiver if request.param == "on this loop" else ThreadedReceiver
    receiver = kind(log, lambda: creds, port=0, routes={MONITOR_PATH: forwarder.handle})
    await receiver.start()
    http = aiohttp.ClientSession()
    try:
        yield Relay(receiver, forwarder, http)
    finally:
        await http.close()
        await forwarder.close()
        await receiver.stop(drain_s=1.0)
        await log.close()


async def test_a_stream_through_the_receivers_port_is_monitored(
    relay: Relay, monitor: Monitor
) -> None:
    query = "format=l16-8000&tracks=inbound&bidi=1"
    async with relay.http.ws_connect(relay.url(query)) as ws:
        await ws.send_str(json.dumps(START))
        for chunk in range(1, 6):
            await ws.send_str(media(chunk))
        await wait_for(lambda: monitor.seen, what="a session on the monitor")
        session = monitor.seen[0]
        await wait_for(
            lambda: "inbound" in session.meters and session.meters["inbound"].frames == 5
        )
        snap = session.snapshot()
        assert snap.stream_id == "s-1" and snap.mismatches == ()
        assert snap.requested == "audio/x-l16 8000 Hz, inbound"  # the query came through
        assert snap.tracks[0].last_frame_samples == 160 and snap.malformed == 0
        assert session.can_talk_back
        # the monitor talks back through the relay
        name = await session.checkpoint()
        sent = json.loads((await ws.receive(timeout=5.0)).data)
        assert sent == {"event": "checkpoint", "streamId": "s-1", "name": name}
        await ws.send_str(json.dumps({"event": "playedStream", "name": name}))
        await wait_for(lambda: session.confirmed, what="the checkpoint confirmed")
        assert relay.forwarder.open_connections == 1
    await wait_for(lambda: session.ended, what="the close relayed")
    assert session.end_reason == "closed by Plivo"
    await wait_for(lambda: relay.forwarder.open_connections == 0, what="relay closed")
    assert relay.forwarder.forwarded == 1


async def test_closing_the_relay_from_the_console_closes_plivos_socket(
    relay: Relay, monitor: Monitor
) -> None:
    """The console closes the relay from its own loop, whichever loop the relay runs on."""
    async with relay.http.ws_connect(relay.url("format=l16-8000&tracks=inbound")) as ws:
        await ws.send_str(json.dumps(START))
        await wait_for(lambda: relay.forwarder.open_connections == 1, what="relay open")
        await relay.forwarder.close()
        closing = await ws.receive(timeout=5.0)
        assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 1001
    await wait_for(lambda: relay.forwarder.open_connections == 0, what="relay closed")


async def test_a_stranger_without_the_key_is_refused(relay: Relay, monitor: Monitor) -> None:
    for url in (relay.url(key=""), relay.url(key="guess"), relay.url().split("?")[0]):
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await relay.http.ws_connect(url)
        assert caught.value.status == 403
    assert relay.forwarder.refused == 3 and not monitor.seen


async def test_the_callback_path_still_answers_and_other_paths_are_refused(
    relay: Relay,
) -> None:
    base = relay.receiver.local_url
    async with relay.http.post(base + CALLBACK_PATH, data={"a": "1"}) as unsigned:
        assert unsigned.status == 403  # still the receiver, still checking signatures
    async with relay.http.get(base + MONITOR_PATH) as plain:
        assert plain.status == 403  # no key
    async with relay.http.get(f"{base}{MONITOR_PATH}?key={KEY}") as plain:
        assert plain.status == 400  # the key, but not a WebSocket request
    async with relay.http.get(base + "/plivo/stream-monitor/x") as other:
        assert other.status == 404


async def test_without_a_monitor_the_relay_refuses_with_503(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.sqlite3", maintenance_interval_s=0)
    await log.open()
    forwarder = MonitorForwarder(lambda: None, key=KEY)
    receiver = CallbackReceiver(log, list, port=0, routes={MONITOR_PATH: forwarder.handle})
    await receiver.start()
    try:
        url = receiver.local_url.replace("http://", "ws://") + f"{MONITOR_PATH}?key={KEY}"
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
                await http.ws_connect(url)
        assert caught.value.status == 503 and forwarder.refused == 1
    finally:
        await forwarder.close()
        await receiver.stop(drain_s=1.0)
        await log.close()
