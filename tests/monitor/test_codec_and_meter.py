"""The codecs against G.711's definition, resampling and tones, and the meter's timing figures
on arrivals whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from console.domain import audio_codec as codec
from console.monitor.meter import LATE_S, TrackMeter


def test_mulaw_round_trips_every_code_and_known_values() -> None:
    codes = bytes(range(256))
    decoded = codec.mulaw_decode(codes)
    assert decoded.dtype == np.int16 and decoded.size == 256
    again = codec.mulaw_encode(decoded)
    assert [i for i in range(256) if again[i] != i] == [0x7F]  # the second zero code
    assert codec.mulaw_decode(b"\xff\x7f\x00\x80").tolist() == [0, 0, -32124, 32124]
    x = np.arange(-32768, 32768, 7, dtype=np.int16)
    error = np.abs(codec.mulaw_decode(codec.mulaw_encode(x)).astype(np.int32) - x)
    assert error.max() <= 1024  # the largest G.711 step is 1024
    assert int(error[np.abs(x.astype(np.int32)) < 100].max()) <= 8


def test_l16_is_little_endian_and_ignores_a_trailing_byte() -> None:
    assert codec.l16_decode(b"\x01\x00\xff\xff\x00\x80\x07").tolist() == [1, -1, -32768]
    assert codec.l16_encode([1, -2]) == b"\x01\x00\xfe\xff"
    with pytest.raises(ValueError, match="unsupported"):
        codec.decode("audio/x-opus", b"")


def test_resampled_tone_keeps_its_length_and_pitch() -> None:
    tone8 = codec.tone(500.0, 1.0, 8000)
    tone16 = codec.resample(tone8, 8000, 16000)
    assert tone16.size == 16000
    spectrum = np.abs(np.fft.rfft(tone16.astype(np.float64)))
    assert abs(int(np.argmax(spectrum)) - 500) <= 1  # 1 Hz per bin over one second
    down = codec.resample(tone16, 16000, 8000)
    assert down.size == 8000
    assert codec.rms_dbfs(tone8) == pytest.approx(-15.0, abs=0.2)  # a -12 dBFS sine: 3 dB less RMS
    assert codec.rms_dbfs(np.zeros(10, dtype=np.int16)) == codec.SILENCE_DBFS


def _frame(level: int, n: int = 160) -> np.ndarray:
    return np.full(n, level, dtype=np.int16)


def test_meter_counts_gaps_late_frames_and_jitter() -> None:
    meter = TrackMeter("inbound", 8000)
    t = 100.0
    for chunk in range(1, 11):  # 10 frames exactly on time
        meter.feed(_frame(1000), t + (chunk - 1) * 0.02, chunk)
    assert meter.frames == 10 and meter.samples == 1600 and meter.gaps == 0 and meter.late == 0
    assert meter.jitter_s < 1e-9
    meter.feed(_frame(1000), t + 10 * 0.02, 14)  # chunks 11-13 never came
    assert meter.gaps == 3
    meter.feed(_frame(1000), t + 11 * 0.02 + LATE_S + 0.05, 15)  # far behind its audio time
    assert meter.late == 1 and meter.jitter_s > 0.001
    snap = meter.snapshot(t + 0.5)
    assert snap.frames_per_s == 12 and snap.gaps == 3 and snap.late == 1
    assert snap.level_dbfs == pytest.approx(20 * np.log10(1000 / 32768), abs=0.01)


def test_meter_waveform_scrolls_and_silence_is_timed_from_the_last_energy() -> None:
    meter = TrackMeter("outbound", 16000)
    meter.feed(_frame(16384, 320), 1.0, 1)
    for i in range(2, 100):
        meter.feed(_frame(0, 320), 1.0 + i * 0.02, i)
    snap = meter.snapshot(3.0)
    assert snap.waveform.shape == (99 * 2, 2)
    assert snap.waveform[0].tolist() == [0.5, 0.5] and not snap.waveform[2:].any()
    assert snap.silent_for_s == pytest.approx(2.0)
    assert meter.snapshot(3.0).level_dbfs == codec.SILENCE_DBFS  # the hold was reset


def test_a_batch_is_measured_frame_by_frame() -> None:
    """Frames of different sizes measured in one flush: the loudest frame sets the level (not
    the batch's average), the last frame with energy times the silence, the audio comes back
    joined in order."""
    meter = TrackMeter("inbound", 8000)
    frames = [_frame(100, 160), _frame(8000, 80), _frame(0, 160), _frame(3000, 240), _frame(0)]
    for i, frame in enumerate(frames):
        meter.feed(frame, 10.0 + i * 0.02, i + 1)
    assert meter.pending == 5
    joined = meter.flush()
    assert joined is not None and np.array_equal(joined, np.concatenate(frames))
    assert meter.pending == 0 and meter.flush() is None
    snap = meter.snapshot(11.0)
    assert snap.level_dbfs == pytest.approx(20 * np.log10(8000 / 32768), abs=0.01)
    assert snap.silent_for_s == pytest.approx(11.0 - 10.06)  # the 3000-level frame, 4th
    assert snap.samples == 800 and snap.last_frame_samples == 160
