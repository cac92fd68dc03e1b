"""Synthetic speech-like audio for simulated streams (encoded with console.domain.audio_codec).

Not silence and not a tone: a glottal pulse train (pitch with a falling intonation per phrase and a
little jitter) through three formant resonators whose vowel changes every syllable, shaped by a
syllable-rate envelope, grouped into phrases with pauses, over faint background noise. A level
meter, a VAD or a spectrogram in the console reacts to it as to a voice.

Built once per (format, voice) and cut into base64 frames, so a hundred streams cost only string
formatting. Building takes a few hundred ms of pure Python, so `frames()` is meant to be called
through `loop.run_in_executor` the first time (see media.py); later calls hit the cache.
"""

from __future__ import annotations

import base64
import math
import random
from functools import lru_cache

from console.domain import audio_codec
from console.domain.stream_params import ContentType

LOOP_S = 8.0
VOICES = ((118.0, 0.92), (205.0, 1.12))  # (mean pitch Hz, formant scale): a low and a high voice
# Formant frequencies (Hz) of five vowels: a, e, i, o, u.
_VOWELS = (
    (730, 1090, 2440),
    (530, 1840, 2480),
    (270, 2290, 3010),
    (570, 840, 2410),
    (300, 870, 2240),
)
_BANDWIDTHS = (90.0, 110.0, 170.0)


def _resonator(freq: float, bandwidth: float, rate: int) -> tuple[float, float, float]:
    """Coefficients (gain, a1, a2) of a two-pole resonator y = g*x + a1*y1 + a2*y2."""
    r = math.exp(-math.pi * bandwidth / rate)
    a1 = 2 * r * math.cos(2 * math.pi * freq / rate)
    a2 = -r * r
    return 1 - r, a1, a2


def _schedule(rng: random.Random) -> list[tuple[float, float, int]]:
    """Syllables as (start s, length s, vowel index), grouped in phrases with pauses."""
    syllables: list[tuple[float, float, int]] = []
    t = rng.uniform(0.1, 0.3)
    while t < LOOP_S - 0.5:
        for _ in range(rng.randint(3, 9)):
            length = rng.uniform(0.12, 0.28)
            if t + length > LOOP_S - 0.3:
                break
            syllables.append((t, length, rng.randrange(len(_VOWELS))))
            t += length + rng.uniform(0.0, 0.06)
        t += rng.uniform(0.25, 0.7)  # pause between phrases
    return syllables


def synthesize(rate: int, voice: int = 0) -> list[int]:
    """`LOOP_S` seconds of 16-bit samples at `rate` Hz."""
    rng = random.Random(7919 + voice)
    pitch, scale = VOICES[voice % len(VOICES)]
    n = int(LOOP_S * rate)
    out = [0.0] * n
    for start, length, vowel in _schedule(rng):
        first, count = int(start * rate), int(length * rate)
        coeffs = [
            _resonator(min(f * scale, rate * 0.45), bw, rate)
            for f, bw in zip(_VOWELS[vowel], _BANDWIDTHS, strict=True)
        ]
        states = [[0.0, 0.0] for _ in coeffs]
        f0 = pitch * rng.uniform(0.9, 1.15)
        phase = 0.0
        for i in range(count):
            progress = i / count
            env = math.sin(math.pi * progress) ** 0.6
            phase += f0 * (1.0 - 0.12 * progress) * rng.uniform(0.99, 1.01) / rate
            pulse = 1.0 if phase >= 1.0 else 0.0
            phase -= pulse
            sample = 0.0
            for (g, a1, a2), st in zip(coeffs, states, strict=True):
                y = g * pulse + a1 * st[0] + a2 * st[1]
                st[1], st[0] = st[0], y
                sample += y
            out[first + i] = sample * env
    peak = max(abs(x) for x in out) or 1.0
    gain = 0.5 * 32767 / peak
    return [max(-32768, min(32767, int(x * gain + rng.gauss(0, 40)))) for x in out]


def mulaw_encode(samples: list[int]) -> bytes:
    return audio_codec.mulaw_encode(samples)


def mulaw_decode(data: bytes) -> list[int]:
    """G.711 mu-law bytes to 16-bit samples (used by tests and the media sink)."""
    return [int(x) for x in audio_codec.mulaw_decode(data)]


def l16_encode(samples: list[int]) -> bytes:
    """16-bit signed little-endian PCM (Plivo does not state the order; see docs/monitor.md)."""
    return audio_codec.l16_encode(samples)


def l16_decode(data: bytes) -> list[int]:
    return [int(x) for x in audio_codec.l16_decode(data)]


def frame_bytes(content_type: ContentType, frame_ms: int = 20) -> int:
    return content_type.sample_rate * frame_ms // 1000 * content_type.bytes_per_sample


@lru_cache(maxsize=16)
def frames(content_type: ContentType, voice: int = 0, frame_ms: int = 20) -> tuple[str, ...]:
    """The loop as base64 payloads of `frame_ms` each, ready to drop into a media message."""
    samples = synthesize(content_type.sample_rate, voice)
    mulaw = content_type is ContentType.MULAW_8K
    raw = mulaw_encode(samples) if mulaw else l16_encode(samples)
    size = frame_bytes(content_type, frame_ms)
    return tuple(
        base64.b64encode(raw[i : i + size]).decode("ascii")
        for i in range(0, len(raw) - size + 1, size)
    )
