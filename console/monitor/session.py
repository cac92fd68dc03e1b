"""One monitored stream: what Plivo announced vs what the console requested, per-track meters,
DTMF, counters of bad frames, recording, listening, and the service's half of the protocol
(playAudio, checkpoint, clearAudio) with the round trip of each confirmation.

`receive` never raises: a frame that cannot be used is counted, described, and skipped, and the
stream goes on. Frames are received on the endpoint's loop; the widgets' side (snapshots, silence
checks, recording switches) may call from another thread, so state is touched under one lock.
Audio reaches recorders and listeners in batches (at most `MAX_BATCH` frames late, `LISTEN_BATCH`
while someone listens), measured in one go (console/monitor/meter.py says why).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from console.domain.audio_codec import Samples, decode, encode, resample
from console.domain.monitoring import Requested, SessionSnapshot, describe
from console.monitor import protocol
from console.monitor.meter import TrackMeter
from console.monitor.wav import WavRecorder

log = logging.getLogger(__name__)

DEFAULT_SILENCE_S = 5.0
MAX_PLAY_CHUNK_S = 1.0  # one playAudio message carries at most this much audio
MAX_EVENTS = 200
MAX_BATCH = 10  # frames per track kept before measuring (200 ms of 20 ms frames)
LISTEN_BATCH = 2  # while a listener waits for audio (a speaker buffers 200 ms)


@dataclass(slots=True)
class _Pending:
    sent_at: float
    what: str


Sender = Callable[[str], Awaitable[None]]
Listener = Callable[[str, Samples, int], None]


class MonitorSession:
    def __init__(
        self,
        key: str,
        *,
        requested: Requested | None = None,
        send: Sender | None = None,
        clock: Callable[[], float],
        peer: str = "",
    ) -> None:
        self.key = key
        self.requested = requested
        self.peer = peer
        self._send = send
        self._clock = clock
        self.start: protocol.Start | None = None
        self.meters: dict[str, TrackMeter] = {}
        self.dtmf = ""
        self.malformed = 0
        self.unknown = 0
        self.oversized = 0
        self.last_problem = ""
        self.silence_after_s = DEFAULT_SILENCE_S
        self._silent: set[str] = set()
        self.events: deque[str] = deque(maxlen=MAX_EVENTS)
        self.ended = False
        self.end_reason = ""
        self.listeners: list[Listener] = []
        self.recorders: dict[str, WavRecorder] = {}
        self._checkpoints: dict[str, _Pending] = {}
        self._clears: deque[_Pending] = deque()
        self.confirmed: list[tuple[str, float]] = []  # (checkpoint name, round trip s)
        self.cleared: list[float] = []  # round trips of clearAudio
        self._checkpoint_serial = 0
        self.opened_at = clock()
        self.changes = 0  # bumped on anything the panel shows besides the meters
        self._lock = threading.RLock()
        self.event_count = 0

    # --- receiving ------------------------------------------------------------------------------
    def receive(self, text: str, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        with self._lock:
            try:
                message = protocol.parse(text)
                if isinstance(message, protocol.Media):
                    self._media(message, now)
                else:
                    self._other(message, now)
            except protocol.Malformed as exc:
                self.problem(str(exc))
            except Exception as exc:  # input nobody foresaw must not end the stream
                log.exception("monitor %s: frame not handled", self.key)
                self.problem(f"frame not handled ({type(exc).__name__})")

    def problem(self, reason: str, *, oversized: bool = False) -> None:
        with self._lock:
            if oversized:
                self.oversized += 1
            else:
                self.malformed += 1
            self.last_problem = reason
            self.changes += 1

    def _media(self, media: protocol.Media, now: float) -> None:
        start = self.start
        if start is None:
            raise protocol.Malformed("media before start")
        if media.track not in start.tracks:
            raise protocol.Malformed(f"media on the {media.track} track, which was not announced")
        meter = self.meters[media.track]
        meter.feed(decode(start.encoding, media.payload), now, media.chunk)
        if meter.pending >= (LISTEN_BATCH if self.listeners else MAX_BATCH):
            self.flush()

    def flush(self) -> None:
        """Measure the frames waiting and hand their audio to the recorder and the listeners."""
        with self._lock:
            start = self.start
            if start is None:
                return
            for track, meter in self.meters.items():
                data = meter.flush()
                if data is None:
                    continue
                recorder = self.recorders.get(track)
                if recorder is not None:
                    recorder.write(data)
                for listener in list(self.listeners):
                    try:
                        listener(track, data, start.sample_rate)
                    except Exception:  # a speaker that fails must not stop the metering
                        log.exception("monitor %s: a listener failed; removed", self.key)
                        self.listeners.remove(listener)

    def _other(self, message: protocol.Message, now: float) -> None:
        self.changes += 1
        if isinstance(message, protocol.Start):
            if self.start is not None:
                raise protocol.Malformed("a second start frame")
            self.start = message
            self.meters = {t: TrackMeter(t, message.sample_rate) for t in message.tracks}
            self._event(
                now, f"start: {describe(message.encoding, message.sample_rate, message.tracks)}"
            )
            for problem in self.mismatches():
                self._event(now, f"format mismatch: {problem}")
        elif isinstance(message, protocol.Dtmf):
            self.dtmf = (self.dtmf + message.digits)[-64:]
            self._event(now, f"DTMF {message.digits}")
        elif isinstance(message, protocol.Played):
            pending = self._checkpoints.pop(message.name, None)
            if pending is None:
                self._event(now, f"playedStream for unknown checkpoint {message.name!r}")
            else:
                rtt = now - pending.sent_at
                self.confirmed.append((message.name, rtt))
                self._event(now, f"checkpoint {message.name!r} played, confirmed after {rtt:.2f} s")
        elif isinstance(message, protocol.Cleared):
            pending = self._clears.popleft() if self._clears else None
            if pending is None:
                self._event(now, "clearedAudio without a clearAudio")
            else:
                rtt = now - pending.sent_at
                self.cleared.append(rtt)
                self._event(now, f"clearAudio confirmed after {rtt:.2f} s")
        elif isinstance(message, protocol.Stop):
            self._event(now, "stop")
        elif isinstance(message, protocol.Unknown):
            self.unknown += 1
            self.last_problem = f"unknown event {message.event!r}"

    def _event(self, now: float, text: str) -> None:
        with self._lock:
            self.events.append(f"{now - self.opened_at:7.2f} s  {text}")
            self.event_count += 1
            self.changes += 1

    def mismatches(self) -> list[str]:
        """How what Plivo announced differs from what was requested (empty: same, or unknown)."""
        start, want = self.start, self.requested
        if start is None or want is None:
            return []
        out = []
        if start.encoding != want.encoding:
            out.append(f"encoding {start.encoding}, requested {want.encoding}")
        if start.sample_rate != want.sample_rate:
            out.append(f"sample rate {start.sample_rate} Hz, requested {want.sample_rate} Hz")
        if set(start.tracks) != set(want.tracks):
            out.append(f"tracks {'+'.join(start.tracks)}, requested {'+'.join(want.tracks)}")
        return out

    def end(self, reason: str) -> None:
        with self._lock:
            if not self.ended:
                self.flush()
                self.ended = True
                self.end_reason = reason
                self._event(self._clock(), f"ended: {reason}")
                self.stop_recording()

    # --- silence ----------------------------------------------------------------------------------
    def check_silence(self, now: float | None = None) -> tuple[str, ...]:
        """Tracks with no energy for `silence_after_s`; each new one is logged once."""
        now = self._clock() if now is None else now
        with self._lock:
            self.flush()
            limit = self.silence_after_s
            silent = set()
            if not self.ended:
                silent = {
                    t for t, m in self.meters.items() if m.frames and m.silent_for(now) >= limit
                }
            for track in sorted(silent - self._silent):
                self._event(now, f"one-way audio? no sound on {track} for {limit:g} s")
            for track in sorted(self._silent - silent):
                self._event(now, f"sound on {track} again")
            self._silent = silent
            return tuple(sorted(silent))

    @property
    def silent_tracks(self) -> tuple[str, ...]:
        """The tracks the last `check_silence` found silent (the endpoint checks 4 times a s)."""
        return tuple(sorted(self._silent))

    # --- recording ----------------------------------------------------------------------------
    def start_recording(self, directory: Path, stem: str = "") -> list[Path]:
        """Record each track from the frames still waiting to be measured on (at most a batch
        before the click), so a listener and the file hear exactly the same samples."""
        with self._lock:
            start = self.start
            if start is None:
                raise RuntimeError("nothing to record before the stream has started")
            self.stop_recording()
            base = stem or (start.stream_id or self.key)
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in base)[:80]
            for track in start.tracks:
                path = directory / f"{safe}-{track}.wav"
                self.recorders[track] = WavRecorder(path, start.sample_rate)
            names = ", ".join(r.path.name for r in self.recorders.values())
            self._event(self._clock(), "recording to " + names)
            return [r.path for r in self.recorders.values()]

    def stop_recording(self) -> None:
        """Close the files after writing every frame received so far."""
        with self._lock:
            if self.recorders:
                self.flush()
            recorders, self.recorders = self.recorders, {}
            for recorder in recorders.values():
                recorder.close()
            if recorders:
                self._event(self._clock(), "recording stopped")

    # --- talking back (bidirectional streams) -------------------------------------------------
    @property
    def can_talk_back(self) -> bool:
        want = self.requested
        return (
            self._send is not None
            and self.start is not None
            and not self.ended
            and (want is None or want.bidirectional)
        )

    async def play(self, samples: npt.ArrayLike, sample_rate: int) -> int:
        """Send audio as playAudio in the stream's own format (resampled and encoded); returns
        the number of messages sent."""
        start = self._ready()
        mono: Samples = resample(
            np.asarray(samples, dtype=np.int16), sample_rate, start.sample_rate
        )
        step = int(MAX_PLAY_CHUNK_S * start.sample_rate)
        count = 0
        for i in range(0, max(1, mono.size), step):
            raw = encode(start.encoding, mono[i : i + step])
            await self._send_text(protocol.play_audio(start.encoding, start.sample_rate, raw))
            count += 1
        self._event(self._clock(), f"playAudio: {mono.size / start.sample_rate:.2f} s sent")
        return count

    async def checkpoint(self, name: str = "") -> str:
        start = self._ready()
        if not name:
            self._checkpoint_serial += 1
            name = f"check-{self._checkpoint_serial}"
        self._checkpoints[name] = _Pending(self._clock(), name)
        await self._send_text(protocol.checkpoint(start.stream_id, name))
        self._event(self._clock(), f"checkpoint {name!r} sent")
        return name

    async def clear(self) -> None:
        start = self._ready()
        self._clears.append(_Pending(self._clock(), "clear"))
        await self._send_text(protocol.clear_audio(start.stream_id))
        self._event(self._clock(), "clearAudio sent")

    def pending_checkpoints(self) -> list[str]:
        return list(self._checkpoints)

    def _ready(self) -> protocol.Start:
        if self.start is None or self._send is None or self.ended:
            raise RuntimeError("the stream is not connected")
        return self.start

    async def _send_text(self, text: str) -> None:
        assert self._send is not None
        await self._send(text)

    # --- for the widgets --------------------------------------------------------------------------
    def snapshot(self, now: float | None = None) -> SessionSnapshot:
        now = self._clock() if now is None else now
        with self._lock:
            return self._snapshot(now)

    def _snapshot(self, now: float) -> SessionSnapshot:
        silent = self.check_silence(now)
        start = self.start
        return SessionSnapshot(
            key=self.key,
            stream_id=start.stream_id if start else "",
            call_id=start.call_id if start else "",
            announced=describe(start.encoding, start.sample_rate, start.tracks) if start else "",
            requested=self.requested.describe() if self.requested else "",
            mismatches=tuple(self.mismatches()),
            tracks=tuple(m.snapshot(now) for m in self.meters.values()),
            dtmf=self.dtmf,
            malformed=self.malformed,
            unknown=self.unknown,
            oversized=self.oversized,
            last_problem=self.last_problem,
            silent_tracks=silent,
            silence_after_s=self.silence_after_s,
            events=tuple(self.events),
            can_talk_back=self.can_talk_back,
            recording=tuple(str(r.path) for r in self.recorders.values()),
            ended=self.ended,
            end_reason=self.end_reason,
            event_count=self.event_count,
        )


__all__ = ["DEFAULT_SILENCE_S", "MonitorSession", "Requested", "SessionSnapshot"]
