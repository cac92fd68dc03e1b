"""The WebSocket media side against a real loopback service: start/media framing, formats and
lengths, real-time pacing, tracks, close on stop, retries then DroppedStream, bidirectional
playAudio/checkpoint/clearAudio, and the slow-consumer monitor."""

from __future__ import annotations

import asyncio
import base64
import itertools
import math
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from console.domain.stream_params import ContentType
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator
from console.simulator.audio import l16_decode, mulaw_decode
from tests.simulator.conftest import ACCOUNT, quiet_config, wait_for
from tests.simulator.receivers import CallbackReceiver, Connection, WsService


@pytest_asyncio.fixture
async def msim() -> AsyncIterator[Simulator]:
    sim = Simulator(quiet_config(media=True))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest_asyncio.fixture
async def mclient(msim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=msim.base_url + ACCOUNT, auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
    ) as client:
        yield client


@pytest_asyncio.fixture
async def service() -> AsyncIterator[WsService]:
    svc = await WsService().start()
    try:
        yield svc
    finally:
        await svc.stop()


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    rec = await CallbackReceiver().start()
    try:
        yield rec
    finally:
        await rec.stop()


async def start(client: httpx.AsyncClient, call: str, **body: object) -> str:
    response = await client.post(f"/Call/{call}/Stream/", json=body)
    assert response.status_code == 201, response.text
    stream_id: str = response.json()["stream_id"]
    return stream_id


def rms(samples: list[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@pytest.mark.asyncio
@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("content_type", "size", "decode"),
    [
        (ContentType.MULAW_8K, 160, mulaw_decode),
        (ContentType.L16_8K, 320, l16_decode),
        (ContentType.L16_16K, 640, l16_decode),
    ],
)
async def test_start_then_paced_media_frames_in_the_announced_format(
    msim: Simulator,
    mclient: httpx.AsyncClient,
    service: WsService,
    content_type: ContentType,
    size: int,
    decode: object,
) -> None:
    call = msim.live_call_uuids()[0]
    stream_id = await start(
        mclient,
        call,
        service_url=service.ws_url + "/media",
        content_type=content_type.value,
        extra_headers="agent=7",
    )
    await wait_for(lambda: service.connections and len(service.connections[0].messages) >= 76)
    conn = service.connections[0]
    start_msg = conn.messages[0]
    assert start_msg["event"] == "start" and start_msg["sequenceNumber"] == 1
    assert start_msg["extra_headers"] == "agent=7"
    assert start_msg["start"] == {
        "callId": call,
        "streamId": stream_id,
        "accountId": DEMO_AUTH_ID,
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": content_type.encoding, "sampleRate": content_type.sample_rate},
    }
    media = conn.messages[1:76]
    assert [m["sequenceNumber"] for m in media] == list(range(2, 77))
    assert [m["media"]["chunk"] for m in media] == list(range(1, 76))
    assert all(m["event"] == "media" and m["streamId"] == stream_id for m in media)
    stamps = [int(m["media"]["timestamp"]) for m in media]
    assert isinstance(media[0]["media"]["timestamp"], str)
    assert [b - a for a, b in itertools.pairwise(stamps)] == [20] * 74
    loud = 0
    for m in media:
        raw = base64.b64decode(m["media"]["payload"])
        assert len(raw) == size
        samples = decode(raw)  # type: ignore[operator]
        assert len(samples) == content_type.sample_rate // 50
        loud += rms(samples) > 300
    assert loud >= 10  # speech-like, not silence
    # Real time: 75 frames of 20 ms span about 1.5 s on the receiver's clock.
    span = conn.arrivals[75] - conn.arrivals[1]
    assert 1.2 <= span <= 2.2, span
    assert msim.stream(stream_id).status == "in-progress"


@pytest.mark.asyncio
async def test_both_tracks_are_sent_each_tick(
    msim: Simulator, mclient: httpx.AsyncClient, service: WsService
) -> None:
    call = msim.live_call_uuids()[0]
    await start(mclient, call, service_url=service.ws_url, audio_track="both")
    await wait_for(lambda: service.connections and len(service.connections[0].messages) >= 21)
    conn = service.connections[0]
    assert conn.messages[0]["start"]["tracks"] == ["inbound", "outbound"]
    media = conn.messages[1:21]
    assert [m["media"]["track"] for m in media] == ["inbound", "outbound"] * 10
    inbound = [m["media"] for m in media if m["media"]["track"] == "inbound"]
    outbound = [m["media"] for m in media if m["media"]["track"] == "outbound"]
    assert [m["chunk"] for m in inbound] == [m["chunk"] for m in outbound] == list(range(1, 11))
    assert inbound[5]["payload"] != outbound[5]["payload"]  # two different voices


@pytest.mark.asyncio
async def test_stop_closes_the_socket_and_hangup_too(
    msim: Simulator, mclient: httpx.AsyncClient, service: WsService, receiver: CallbackReceiver
) -> None:
    first, second = msim.live_call_uuids()[:2]
    stream_id = await start(
        mclient, first, service_url=service.ws_url, status_callback_url=receiver.base_url
    )
    await start(mclient, second, service_url=service.ws_url, status_callback_url=receiver.base_url)
    await wait_for(
        lambda: len(service.connections) == 2 and receiver.events() == ["StartStream"] * 2
    )
    by_path = {c.messages[0]["start"]["streamId"]: c for c in service.connections}
    stopped = by_path.pop(stream_id)
    (hung,) = by_path.values()
    assert (await mclient.delete(f"/Call/{first}/Stream/{stream_id}/")).status_code == 204
    await asyncio.wait_for(stopped.closed.wait(), 5)
    assert stopped.close_code == 1000
    msim.hangup(second)
    await asyncio.wait_for(hung.closed.wait(), 5)
    await msim.drain_callbacks()
    assert receiver.events() == ["StartStream", "StartStream", "StopStream"]


@pytest.mark.asyncio
async def test_unreachable_service_is_tried_three_times_then_dropped(
    msim: Simulator, mclient: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    refusing = await WsService(refuse=True).start()
    try:
        call = msim.live_call_uuids()[0]
        stream_id = await start(
            mclient, call, service_url=refusing.ws_url + "/x", status_callback_url=receiver.base_url
        )
        await wait_for(lambda: receiver.events() == ["DroppedStream"], timeout=10)
        assert refusing.attempts == 3  # the first try and Plivo's two retries
        assert "after 3 attempts" in receiver.received[0].params["Error"]
        record = msim.stream(stream_id)
        assert record.status == "failed" and record.start_time is None
    finally:
        await refusing.stop()


@pytest.mark.asyncio
async def test_service_closing_the_socket_is_a_dropped_stream(
    msim: Simulator, mclient: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    closer = await WsService(close_after=5).start()
    try:
        call = msim.live_call_uuids()[0]
        stream_id = await start(
            mclient, call, service_url=closer.ws_url, status_callback_url=receiver.base_url
        )
        await wait_for(lambda: receiver.events() == ["StartStream", "DroppedStream"])
        assert "closed by the service" in receiver.received[1].params["Error"]
        assert msim.stream(stream_id).status == "failed"
    finally:
        await closer.stop()


@pytest.mark.asyncio
async def test_drop_on_demand_closes_with_1011(
    msim: Simulator, mclient: httpx.AsyncClient, service: WsService
) -> None:
    call = msim.live_call_uuids()[0]
    stream_id = await start(mclient, call, service_url=service.ws_url)
    await wait_for(lambda: service.connections and len(service.connections[0].messages) > 2)
    await msim.drop_stream(stream_id)
    await asyncio.wait_for(service.connections[0].closed.wait(), 5)
    assert service.connections[0].close_code == 1011
    assert msim.stream(stream_id).status == "failed"


def play(
    seconds: float, content_type: str = "audio/x-mulaw", rate: int = 8000
) -> dict[str, object]:
    width = 1 if content_type == "audio/x-mulaw" else 2
    payload = base64.b64encode(b"\xff" * int(seconds * rate * width)).decode()
    media = {"contentType": content_type, "sampleRate": rate, "payload": payload}
    return {"event": "playAudio", "media": media}


@pytest.mark.asyncio
@pytest.mark.timeout(30)
async def test_bidirectional_play_checkpoint_and_clear(
    msim: Simulator, mclient: httpx.AsyncClient, service: WsService
) -> None:
    call = msim.live_call_uuids()[0]
    stream_id = await start(mclient, call, service_url=service.ws_url, bidirectional=True)
    await wait_for(lambda: service.connections and service.connections[0].messages)
    conn: Connection = service.connections[0]
    loop = asyncio.get_running_loop()

    sent_at = loop.time()
    await conn.send(play(0.3))
    await conn.send(play(0.2, "audio/x-l16", 16000))
    await conn.send({"event": "checkpoint", "streamId": stream_id, "name": "greeting"})
    await wait_for(lambda: conn.of("playedStream"), timeout=5)
    index = next(i for i, m in enumerate(conn.messages) if m["event"] == "playedStream")
    waited = conn.arrivals[index] - sent_at
    assert 0.45 <= waited <= 1.5, waited  # answered once 0.5 s of queued audio had played
    assert conn.of("playedStream")[0]["name"] == "greeting"
    assert conn.of("playedStream")[0]["streamId"] == stream_id

    await conn.send(play(30.0))
    await conn.send({"event": "checkpoint", "streamId": stream_id, "name": "long"})
    await asyncio.sleep(0.1)
    assert len(conn.of("playedStream")) == 1  # 30 s queued ahead of it
    cleared_at = loop.time()
    await conn.send({"event": "clearAudio", "streamId": stream_id})
    await wait_for(lambda: conn.of("clearedAudio") and len(conn.of("playedStream")) == 2)
    assert conn.of("clearedAudio")[0]["streamId"] == stream_id
    late = conn.arrivals[[m["event"] for m in conn.messages].index("clearedAudio")]
    assert late - cleared_at < 1.0
    # Malformed or unknown messages are ignored, the stream carries on.
    await conn.ws.send_str("not json")
    await conn.send(
        {
            "event": "playAudio",
            "media": {"contentType": "audio/x-mulaw", "sampleRate": 16000, "payload": "AA=="},
        }
    )
    count = len(conn.messages)
    await wait_for(lambda: len(conn.messages) > count + 5)
    assert msim.stream(stream_id).status == "in-progress"
    session = msim.engine.sessions[stream_id]
    assert 0.5 <= session.played_s < 30.0


@pytest.mark.asyncio
async def test_play_audio_is_ignored_on_a_one_way_stream(
    msim: Simulator, mclient: httpx.AsyncClient, service: WsService
) -> None:
    call = msim.live_call_uuids()[0]
    stream_id = await start(mclient, call, service_url=service.ws_url)
    await wait_for(lambda: service.connections and service.connections[0].messages)
    conn = service.connections[0]
    await conn.send(play(0.1))
    await conn.send({"event": "checkpoint", "streamId": stream_id, "name": "x"})
    await wait_for(lambda: msim.stats.ws_messages_received == 2)
    count = len(conn.messages)
    await wait_for(lambda: len(conn.messages) > count + 20)
    assert conn.of("playedStream") == []


class FakeSession:
    """Stands in for a MediaSession whose sends are blocked by a consumer that stopped reading:
    filling loopback TCP buffers for real would take minutes of audio."""

    def __init__(self, backlog: float) -> None:
        self.backlog = backlog
        self.degraded_level = 0
        self.aborted = False

    def backlog_s(self, now: float) -> float:
        return self.backlog

    async def abort(self) -> None:
        self.aborted = True

    async def close(self) -> None:
        pass


@pytest.mark.asyncio
@pytest.mark.timeout(20)
async def test_slow_consumer_degrades_then_drops(
    msim: Simulator, mclient: httpx.AsyncClient, service: WsService, receiver: CallbackReceiver
) -> None:
    call = msim.live_call_uuids()[0]
    stream_id = await start(
        mclient, call, service_url=service.ws_url, status_callback_url=receiver.base_url
    )
    await wait_for(lambda: receiver.events() == ["StartStream"])
    real = msim.engine.sessions[stream_id]
    await real.close()
    fake = FakeSession(backlog=13.0)  # 32 % of the 40 s buffer
    msim.engine.sessions[stream_id] = fake  # type: ignore[assignment]
    await wait_for(lambda: receiver.events()[-1:] == ["DegradedStream"])
    fake.backlog = 37.0  # 92 %: the 60 and 90 marks are both passed; one event, the highest
    await wait_for(lambda: len(receiver.received) == 3)
    fake.backlog = 40.0
    await wait_for(lambda: receiver.events()[-1:] == ["DroppedStream"])
    levels = [c.params.get("BufferUsage") for c in receiver.received[1:3]]
    assert levels == ["30", "90"]
    assert "did not keep up" in receiver.received[3].params["Error"]
    assert fake.aborted and msim.stream(stream_id).status == "failed"


@pytest.mark.asyncio
async def test_media_sink_counts_frames(msim: Simulator, mclient: httpx.AsyncClient) -> None:
    call = msim.live_call_uuids()[0]
    await start(mclient, call, service_url=msim.media_sink_url)
    await start(mclient, call, service_url=msim.media_sink_url + "?second=1")
    await wait_for(lambda: msim.stats.sink_connections == 2 and msim.stats.sink_frames > 20)
    assert all(s.status == "in-progress" for s in msim.streams_of(call))
