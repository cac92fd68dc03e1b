"""The WebSocket side of a stream: Plivo connecting to `service_url` and streaming audio
(messages: docs/monitor.md).

One `MediaSession` per stream: connect (retrying twice, then give up: DroppedStream), send `start`,
then `media` frames of `frame_ms` paced on the loop clock against a fixed origin (no drift: a late
tick sends the frames it owes, as Plivo delivers buffered audio). One frame per track per tick.
Bidirectional streams accept `playAudio` (queued and "played" in real time), `checkpoint`
(answered with `playedStream` once the audio queued before it has played) and `clearAudio`
(queued audio dropped, answered with `clearedAudio`). A track named in `silent_tracks` carries
digital silence instead of speech (one-way audio, for testing a monitor). The socket is closed
(1000) on stop; no `stop` message is sent, as none is documented.

A consumer that cannot keep up makes sends block; `backlog_s()` grows and the engine's monitor
turns it into DegradedStream / DroppedStream the way Plivo's 40-second buffer would.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp

from console.domain.stream_params import AudioTrack, ContentType
from console.simulator import audio
from console.simulator.faults import Stats
from console.simulator.rules import StartParams

log = logging.getLogger(__name__)

_PLAY_FORMATS = {("audio/x-l16", 8000): 2, ("audio/x-l16", 16000): 2, ("audio/x-mulaw", 8000): 1}


def tracks_for(track: AudioTrack) -> tuple[str, ...]:
    if track is AudioTrack.BOTH:
        return ("inbound", "outbound")
    return (track.value,)


class MediaSession:
    def __init__(
        self,
        *,
        stream_id: str,
        call_uuid: str,
        account_id: str,
        params: StartParams,
        client: aiohttp.ClientSession,
        stats: Stats,
        on_connected: Callable[[], None],
        on_dropped: Callable[[str], None],
        on_failed: Callable[[BaseException], None] | None = None,
        connect_timeout_s: float = 5.0,
        retries: int = 2,
        retry_delay_s: float = 1.0,
        frame_ms: int = 20,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.stream_id = stream_id
        self.call_uuid = call_uuid
        self.account_id = account_id
        self.params = params
        self._client = client
        self._stats = stats
        self._on_connected = on_connected
        self._on_dropped = on_dropped
        self._on_failed = on_failed
        self._connect_timeout_s = connect_timeout_s
        self._retries = retries
        self._retry_delay_s = retry_delay_s
        self._frame_s = frame_ms / 1000
        self._frame_ms = frame_ms
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._seq = 0
        self._next_deadline: float | None = None
        self._queue: deque[list[Any]] = deque()  # [seconds left] or ["checkpoint", name]
        self.connect_attempts = 0
        self.played_s = 0.0
        self.frames_sent = 0
        self.degraded_level = 0
        self._closing = False
        self.silent_tracks: set[str] = set()
        self._extra = json.dumps(params.extra_headers)

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._task = self._loop.create_task(self._run())
        self._task.add_done_callback(self._supervise)

    def _supervise(self, task: asyncio.Task[Any]) -> None:
        """A media or reader task that died of an unexpected exception ends the stream (through
        `on_failed`, else as a drop) instead of leaving it active with no audio."""
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None or self._closing:
            return
        self._closing = True
        if isinstance(exc, aiohttp.ClientError | ConnectionError):
            self._on_dropped(f"WebSocket connection lost ({exc or type(exc).__name__})")
        elif self._on_failed is not None:
            self._on_failed(exc)
        else:
            log.error("stream %s: media task failed", self.stream_id, exc_info=exc)
            self._on_dropped(f"internal simulator error ({type(exc).__name__})")
        main = self._task
        if main is not None and main is not task:
            main.cancel()

    async def close(self) -> None:
        """Normal end: stop sending and close the socket with 1000."""
        self._closing = True
        await self._cancel()
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(code=1000), 2.0)

    async def abort(self) -> None:
        """Abrupt end (DroppedStream on demand): close with 1011 (internal error)."""
        self._closing = True
        await self._cancel()
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(code=1011), 1.0)

    def _drop(self, reason: str) -> None:
        """Report the stream as dropped, once, unless we are closing it ourselves."""
        if not self._closing:
            self._closing = True
            self._on_dropped(reason)

    async def _cancel(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def backlog_s(self, now: float) -> float:
        """How far the audio sent lags real time (0 before streaming starts)."""
        return 0.0 if self._next_deadline is None else max(0.0, now - self._next_deadline)

    # ---- connection ------------------------------------------------------------------------
    async def _connect(self) -> aiohttp.ClientWebSocketResponse | None:
        error = "no attempt made"
        for attempt in range(self._retries + 1):
            if attempt:
                await asyncio.sleep(self._retry_delay_s)
            self.connect_attempts += 1
            try:
                return await asyncio.wait_for(
                    self._client.ws_connect(
                        self.params.service_url, autoping=True, max_msg_size=8 * 1024 * 1024
                    ),
                    self._connect_timeout_s,
                )
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                log.debug(
                    "stream %s: connect attempt %d failed: %s", self.stream_id, attempt, error
                )
        attempts = self._retries + 1
        self._drop(f"could not connect to service_url after {attempts} attempts ({error})")
        return None

    async def _run(self) -> None:
        ws = await self._connect()
        if ws is None:
            return
        self._ws = ws
        reader = self._loop.create_task(self._read(ws))
        reader.add_done_callback(self._supervise)
        try:
            await self._send_start(ws)
            self._on_connected()
            await self._pump(ws)
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
            self._drop(f"WebSocket connection lost ({exc or type(exc).__name__})")
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    # ---- Plivo -> service ------------------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    async def _send_start(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        ct = self.params.content_type
        message = {
            "event": "start",
            "sequenceNumber": self._next_seq(),
            "start": {
                "callId": self.call_uuid,
                "streamId": self.stream_id,
                "accountId": self.account_id,
                "tracks": list(tracks_for(self.params.audio_track)),
                "mediaFormat": {"encoding": ct.encoding, "sampleRate": ct.sample_rate},
            },
            "extra_headers": self.params.extra_headers,
        }
        await ws.send_str(json.dumps(message))

    async def _pump(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        loop = self._loop
        ct: ContentType = self.params.content_type
        tracks = tracks_for(self.params.audio_track)
        loops = [
            await loop.run_in_executor(None, audio.frames, ct, voice, self._frame_ms)
            for voice in range(len(tracks))
        ]
        quiet = b"\xff" if ct is ContentType.MULAW_8K else b"\x00\x00"
        silence = base64.b64encode(quiet * (ct.sample_rate * self._frame_ms // 1000)).decode()
        head = f'{{"event":"media","sequenceNumber":%d,"streamId":"{self.stream_id}","media":'
        tail = f',"extra_headers":{self._extra}}}'
        period, wall0 = self._frame_s, int(time.time() * 1000)
        origin = loop.time()
        n = 0
        while True:
            deadline = origin + n * period
            self._next_deadline = deadline
            delay = deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            stamp = wall0 + n * self._frame_ms
            for index, track in enumerate(tracks):
                frames = loops[index]
                payload = silence if track in self.silent_tracks else frames[n % len(frames)]
                self._seq += 1
                body = (
                    f'{{"track":"{track}","timestamp":"{stamp}","chunk":{n + 1},'
                    f'"payload":"{payload}"}}'
                )
                await ws.send_str(head % self._seq + body + tail)
            self.frames_sent += len(tracks)
            self._stats.media_frames_sent += len(tracks)
            if self._queue:
                await self._play(ws, period)
            n += 1

    async def _play(self, ws: aiohttp.ClientWebSocketResponse, period: float) -> None:
        """Advance queued playAudio by one frame; answer checkpoints that have been reached."""
        budget = period
        while self._queue:
            head = self._queue[0]
            if head[0] == "checkpoint":
                self._queue.popleft()
                reply: dict[str, object] = {
                    "event": "playedStream",
                    "streamId": self.stream_id,
                    "name": head[1],
                    "sequenceNumber": self._next_seq(),
                }
                await ws.send_str(json.dumps(reply))
                continue
            if budget <= 0:
                break
            used = min(budget, head[0])
            head[0] -= used
            budget -= used
            self.played_s += used
            if head[0] <= 1e-9:
                self._queue.popleft()

    # ---- service -> Plivo ------------------------------------------------------------------
    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                self._stats.ws_messages_received += 1
                if self.params.bidirectional:
                    await self._handle(ws, msg.data)
            elif msg.type is aiohttp.WSMsgType.ERROR:
                break
        if not self._closing:
            self._drop(f"WebSocket closed by the service (code {ws.close_code})")
            task = self._task
            if task is not None:
                task.cancel()

    async def _handle(self, ws: aiohttp.ClientWebSocketResponse, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        event = message.get("event")
        if event == "playAudio":
            seconds = _play_seconds(message.get("media"))
            if seconds is not None:
                self._queue.append([seconds])
        elif event == "checkpoint":
            name = message.get("name")
            if isinstance(name, str):
                self._queue.append(["checkpoint", name])
        elif event == "clearAudio":
            self._queue = deque(item for item in self._queue if item[0] == "checkpoint")
            reply = {
                "event": "clearedAudio",
                "streamId": self.stream_id,
                "sequenceNumber": self._next_seq(),
            }
            await ws.send_str(json.dumps(reply))


def _play_seconds(media: object) -> float | None:
    """Duration of a playAudio payload, or None when the message is malformed."""
    if not isinstance(media, dict):
        return None
    content_type, rate = media.get("contentType"), media.get("sampleRate")
    payload = media.get("payload")
    if not (isinstance(content_type, str) and isinstance(rate, int) and isinstance(payload, str)):
        return None
    width = _PLAY_FORMATS.get((content_type, rate))
    if width is None:
        return None
    try:
        size = len(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError):
        return None
    return float(size) / (rate * width)
