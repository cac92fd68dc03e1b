"""Per-track metering: level, a scrolling min/max waveform, timing (frames/s, jitter, gaps, late
frames) and how long the track has been silent.

Two halves, because a monitor takes thousands of frames a second and numpy calls cost the same
few microseconds whether they see 320 samples or 3,200: `feed` runs once per frame and does only
the timing arithmetic in plain Python, keeping the samples; `flush` (once per repaint tick, or
when a few frames are waiting) measures all kept frames in a handful of vectorised calls and hands
the joined samples back for recording and listening. The level a snapshot shows is still the
loudest single frame since the previous snapshot, so batching never hides a burst.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from console.domain.audio_codec import SILENCE_DBFS, Samples
from console.domain.monitoring import TrackSnapshot

BUCKETS_PER_S = 100  # waveform resolution: one min/max pair per 10 ms
WAVEFORM_S = 5.0
LATE_S = 0.06  # a frame arriving this much later than its audio time says is "late"
VOICE_DBFS = -50.0  # above this a frame has energy (the simulator's room noise is near -58)
_FULL_SCALE_SQ = 32768.0 * 32768.0


class TrackMeter:
    def __init__(self, track: str, sample_rate: int) -> None:
        self.track = track
        self.rate = sample_rate
        self.bucket = max(1, sample_rate // BUCKETS_PER_S)
        size = int(WAVEFORM_S * BUCKETS_PER_S)
        self._wave = np.zeros((size, 2), dtype=np.float32)
        self._wave_pos = 0
        self._wave_filled = 0
        self._carry: Samples = np.zeros(0, dtype=np.int16)
        self.frames = 0
        self.samples = 0
        self.last_frame_samples = 0
        self.gaps = 0
        self.late = 0
        self.jitter_s = 0.0
        self._arrivals: deque[float] = deque(maxlen=512)
        self._last_arrival: float | None = None
        self._last_duration = 0.0
        self._last_chunk: int | None = None
        self._audio_s = 0.0
        self._base_offset: float | None = None
        self._first_at: float | None = None
        self._voice_at: float | None = None
        self._level = SILENCE_DBFS
        self._peak = 0.0
        self._pending: list[Samples] = []  # frames fed since the last flush (none empty)
        self._pending_at: list[float] = []  # their arrival times

    @property
    def pending(self) -> int:
        """Frames fed but not yet measured."""
        return len(self._pending)

    def feed(self, samples: Samples, arrival: float, chunk: int | None = None) -> None:
        n = int(samples.size)
        duration = n / self.rate
        self.frames += 1
        self.samples += n
        self.last_frame_samples = n
        self._arrivals.append(arrival)
        if self._first_at is None:
            self._first_at = arrival
        # gaps: the per-track chunk counter skipped numbers (frames Plivo never sent us)
        if chunk is not None and self._last_chunk is not None and chunk > self._last_chunk + 1:
            self.gaps += chunk - self._last_chunk - 1
        if chunk is not None:
            self._last_chunk = chunk
        # jitter (RFC 3550 style): how far inter-arrival times stray from the audio's own pace
        if self._last_arrival is not None:
            d = abs((arrival - self._last_arrival) - self._last_duration)
            self.jitter_s += (d - self.jitter_s) / 16
        self._last_arrival, self._last_duration = arrival, duration
        # late: arrival behind the audio clock by more than LATE_S (the earliest frame sets 0)
        offset = arrival - self._audio_s
        if self._base_offset is None or offset < self._base_offset:
            self._base_offset = offset
        elif offset - self._base_offset > LATE_S:
            self.late += 1
        self._audio_s += duration
        if n:
            self._pending.append(samples)
            self._pending_at.append(arrival)

    def flush(self) -> Samples | None:
        """Measure the frames fed since the last flush: per-frame RMS (the loudest is held for
        the next snapshot; the last one above VOICE_DBFS ends a silence), the waveform. Returns
        the frames joined (what a recorder or speaker wants), or None when there were none."""
        frames, arrivals = self._pending, self._pending_at
        if not frames:
            return None
        self._pending, self._pending_at = [], []
        data = frames[0] if len(frames) == 1 else np.concatenate(frames)
        wide = data.astype(np.float64)
        if len(frames) == 1:
            energy = np.array([float(np.dot(wide, wide)) / data.size])
        else:
            sizes = np.fromiter((f.size for f in frames), dtype=np.int64, count=len(frames))
            starts = np.zeros(len(frames), dtype=np.int64)
            np.cumsum(sizes[:-1], out=starts[1:])
            energy = np.add.reduceat(wide * wide, starts) / sizes
        loudest = float(energy.max())
        if loudest > 0:
            level = max(SILENCE_DBFS, 10 * float(np.log10(loudest / _FULL_SCALE_SQ)))
            if level > self._level:
                self._level = level
        voiced = np.flatnonzero(energy > _FULL_SCALE_SQ * 10 ** (VOICE_DBFS / 10))
        if voiced.size:
            self._voice_at = arrivals[int(voiced[-1])]
        self._add_wave(data)
        return data

    def _add_wave(self, samples: Samples) -> None:
        """Min/max per 10 ms into the ring (a 20 ms frame is two whole buckets: no copies)."""
        data = np.concatenate((self._carry, samples)) if self._carry.size else samples
        whole = data.size - data.size % self.bucket
        if whole != data.size:
            self._carry = data[whole:].copy()
        elif self._carry.size:
            self._carry = data[:0]
        if not whole:
            return
        blocks = data[:whole].reshape(-1, self.bucket)
        low, high = blocks.min(axis=1), blocks.max(axis=1)
        peak = max(-int(low.min()), int(high.max())) / 32768
        if peak > self._peak:
            self._peak = peak
        size = self._wave.shape[0]
        count = min(len(low), size)
        pos = self._wave_pos
        end = pos + count
        if end <= size:
            self._wave[pos:end, 0] = low[-count:]
            self._wave[pos:end, 1] = high[-count:]
        else:
            first = size - pos
            self._wave[pos:, 0] = low[-count:][:first]
            self._wave[pos:, 1] = high[-count:][:first]
            self._wave[: end - size, 0] = low[-count:][first:]
            self._wave[: end - size, 1] = high[-count:][first:]
        self._wave_pos = end % size
        self._wave_filled = min(size, self._wave_filled + count)

    def frames_per_s(self, now: float) -> float:
        """Frames that arrived in the last second."""
        return float(sum(1 for t in self._arrivals if t > now - 1.0))

    def silent_for(self, now: float) -> float:
        since = self._voice_at if self._voice_at is not None else self._first_at
        return 0.0 if since is None else max(0.0, now - since)

    def snapshot(self, now: float) -> TrackSnapshot:
        """What the widgets show; resets the level/peak hold. Measures what is still pending
        (a session flushes first, so its recorder and listeners get those samples)."""
        self.flush()
        size = self._wave.shape[0]
        if self._wave_filled < size:
            wave = self._wave[: self._wave_filled] / 32768.0
        else:
            wave = np.roll(self._wave, -self._wave_pos, axis=0) / 32768.0
        snap = TrackSnapshot(
            track=self.track,
            level_dbfs=self._level,
            peak=self._peak,
            waveform=wave,
            frames=self.frames,
            samples=self.samples,
            last_frame_samples=self.last_frame_samples,
            frames_per_s=self.frames_per_s(now),
            jitter_ms=self.jitter_s * 1000,
            gaps=self.gaps,
            late=self.late,
            silent_for_s=self.silent_for(now),
        )
        self._level, self._peak = SILENCE_DBFS, 0.0
        return snap
