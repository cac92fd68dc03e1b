"""A hostile or sloppy peer on the monitor endpoint: every bad frame is counted and described,
the stream goes on; documented variants (dtmf fields, `played`, `stop`) are understood; limits."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from console.monitor import MonitorEndpoint, MonitorServer, MonitorSession
from console.monitor.thread import ThreadedMonitor
from tests.monitor.conftest import START, Monitor, media, wait_for

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_bad_frames_are_counted_and_the_stream_goes_on(
    monitor: Monitor, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(monitor.url) as ws:
        await ws.send_str(media(1))  # before start
        await ws.send_str(json.dumps(START))
        await ws.send_str(media(1))
        bad = [
            "not json",
            "[1, 2]",
            json.dumps({"no": "event"}),
            json.dumps({"event": "media"}),
            json.dumps({"event": "media", "media": {"track": "inbound", "payload": "%%%"}}),
            media(2, track="sideways"),
            media(3, track="outbound"),  # a track that was not announced
            json.dumps(START),  # a second start
            json.dumps({"event": "dtmf", "dtmf": {"digit": "Z"}}),
        ]
        for frame in bad:
            await ws.send_str(frame)
        await ws.send_bytes(b"\x00\x01")
        await ws.send_str("x" * (300 * 1024))  # over the per-frame limit: skipped
        await ws.send_str(json.dumps({"event": "mystery", "x": 1}))
        await ws.send_str(json.dumps({"event": "dtmf", "dtmf": {"digit": "1"}}))
        await ws.send_str(json.dumps({"event": "dtmf", "digit": "#"}))
        await ws.send_str(json.dumps({"event": "stop"}))
        for chunk in range(4, 14):
            await ws.send_str(media(chunk))
        session = monitor.seen[0]

        def good_frames() -> int:
            meter = session.meters.get("inbound")
            return meter.frames if meter else 0

        await wait_for(lambda: good_frames() == 11, what="the good frames")
        snap = session.snapshot()
        assert snap.malformed == len(bad) + 2  # + media before start, + the binary frame
        assert snap.oversized == 1 and snap.unknown == 1
        assert snap.last_problem == "unknown event 'mystery'"
        assert snap.dtmf == "1#"
        assert session.meters["inbound"].gaps == 2  # chunks 2 and 3 never arrived whole
        assert not ws.closed and not snap.ended
        assert any(e.endswith("stop") for e in snap.events)
    await wait_for(lambda: session.ended, what="close seen")
    assert session.end_reason == "closed by Plivo"
    assert not monitor.endpoint.sessions


async def test_played_variant_and_an_unknown_checkpoint_name(
    monitor: Monitor, http: aiohttp.ClientSession
) -> None:
    start = json.loads(json.dumps(START))
    start["start"]["mediaFormat"] = {"encoding": "audio/x-mulaw", "sampleRate": "8000"}
    async with http.ws_connect(monitor.url + "&format=mulaw-8000&tracks=inbound&bidi=1") as ws:
        await ws.send_str(json.dumps(start))
        await wait_for(lambda: monitor.seen and monitor.seen[0].start is not None)
        session = monitor.seen[0]
        name = await session.checkpoint()
        sent = json.loads((await ws.receive()).data)
        assert sent == {"event": "checkpoint", "streamId": "s-1", "name": name}
        await ws.send_str(json.dumps({"event": "played", "streamId": "s-1", "name": name}))
        await ws.send_str(json.dumps({"event": "playedStream", "name": "other"}))
        await wait_for(lambda: len(session.events) >= 4)
        assert [n for n, _ in session.confirmed] == [name]
        assert any("unknown checkpoint 'other'" in e for e in session.events)
        await session.play([1000] * 8000, 8000)
        played = json.loads((await ws.receive()).data)
        assert played["event"] == "playAudio"
        assert played["media"]["contentType"] == "audio/x-mulaw"
        assert played["media"]["sampleRate"] == 8000
        assert len(base64.b64decode(played["media"]["payload"])) == 8000


async def test_a_local_process_without_the_key_cannot_inject_a_stream(
    http: aiohttp.ClientSession,
) -> None:
    """Served as the console serves it (its own thread and loop): any local process can reach
    the loopback port, but only the URL the console hands out carries the key."""
    seen: list[MonitorSession] = []
    monitor = ThreadedMonitor(on_session=seen.append)
    url = await monitor.start()
    try:
        base, _, query = url.partition("?")
        assert query.startswith("key=") and len(query) > 20
        for stranger in (base, base + "?format=l16-16000", base + "?key=", base + "?key=guess",
                         f"{url}x", base + "?key=" + query[4:].upper()):  # fmt: skip
            with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
                await http.ws_connect(stranger)
            assert caught.value.status == 403, stranger
        async with http.get(base.replace("ws://", "http://")) as plain:
            assert plain.status == 403  # no hint that a WebSocket would be taken
        assert monitor.endpoint.refused == 7 and not monitor.endpoint.sessions
        async with http.ws_connect(url + "&format=l16-16000&tracks=inbound") as ws:
            await ws.send_str(json.dumps(START))
            await wait_for(lambda: seen and seen[0].start is not None, what="the session")
        requested = seen[0].snapshot().requested
        assert requested.startswith("audio/x-l16 16000 Hz") and "key" not in requested
        assert len(seen) == 1
    finally:
        await monitor.stop()


async def test_plain_http_is_refused_and_so_is_one_stream_too_many(
    http: aiohttp.ClientSession,
) -> None:
    server = MonitorServer(MonitorEndpoint(max_sessions=1))
    url = await server.start()
    try:
        async with http.get(url.replace("ws://", "http://")) as response:
            assert response.status == 400
            assert "WebSocket endpoint" in await response.text()
        async with http.ws_connect(url):
            await wait_for(lambda: server.endpoint.sessions)
            with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
                await http.ws_connect(url)
            assert caught.value.status == 503
        assert server.endpoint.refused == 1
    finally:
        await server.stop()


async def test_the_endpoint_measures_and_checks_silence_without_being_asked(
    monitor: Monitor, http: aiohttp.ClientSession
) -> None:
    """The GUI only reads: the endpoint itself measures waiting frames and raises the alarm."""
    async with http.ws_connect(monitor.url) as ws:
        await ws.send_str(json.dumps(START))
        await wait_for(lambda: monitor.seen and monitor.seen[0].start is not None)
        session = monitor.seen[0]
        session.silence_after_s = 0.3
        await ws.send_str(media(1, payload=b"\x00\x10" * 160))  # 4096: well above -50 dBFS
        await ws.send_str(media(2, payload=b"\x00\x00" * 160))
        await wait_for(lambda: session.meters["inbound"].frames == 2, what="two frames")
        assert session.silent_tracks == ()
        await wait_for(lambda: session.meters["inbound"].pending == 0, what="measured")
        await wait_for(lambda: session.silent_tracks == ("inbound",), what="the alarm")
        assert any("one-way audio? no sound on inbound" in e for e in session.events)
