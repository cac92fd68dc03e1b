"""G.711 mu-law and L16 (16-bit signed little-endian PCM) as Plivo streams them, plus the little
signal work the stream monitor needs: resampling, a test tone, level in dBFS.

Vectorised with numpy because a monitor decodes thousands of 20 ms frames a second; the sample
type is always int16 (what the codecs carry and what a speaker or a WAV file takes). The mu-law
coder is the classic biased G.711 one (bias 0x84, clip 32635): encode(decode(b)) == b for every
byte but the second zero code (0x7F), and decode(encode(x)) is within the codec's step of x.
Facts: docs/monitor.md.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.int16]

MULAW_BIAS = 0x84
MULAW_CLIP = 32635
SILENCE_DBFS = -120.0


def _mulaw_table() -> Samples:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    magnitude = (((u & 0x0F) << 3) + MULAW_BIAS) << ((u >> 4) & 0x07)
    return np.where(u & 0x80, MULAW_BIAS - magnitude, magnitude - MULAW_BIAS).astype(np.int16)


_MULAW_DECODE = _mulaw_table()


def mulaw_decode(data: bytes) -> Samples:
    """mu-law bytes to int16 samples (one per byte)."""
    return _MULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def mulaw_encode(samples: npt.ArrayLike) -> bytes:
    """int16 samples to mu-law bytes."""
    x = np.asarray(samples, dtype=np.int32)
    sign = np.where(x < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(x), MULAW_CLIP) + MULAW_BIAS
    exponent = np.maximum(0, _bit_length(magnitude) - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    coded = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)
    return bytes(coded.tobytes())


def _bit_length(values: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Bit length of positive ints below 2**16 (values here are 0x84..0x7FFF+0x84)."""
    out = np.zeros_like(values)
    v = values.copy()
    for shift in (8, 4, 2, 1):
        big = v >= (1 << shift)
        out = np.where(big, out + shift, out)
        v = np.where(big, v >> shift, v)
    return np.asarray(out + (v > 0), dtype=np.int32)


def l16_decode(data: bytes) -> Samples:
    """Little-endian 16-bit PCM bytes to samples; a trailing odd byte is ignored."""
    usable = len(data) - len(data) % 2
    raw = np.frombuffer(data if usable == len(data) else data[:usable], dtype="<i2")
    return raw.astype(np.int16, copy=False)  # read-only, no copy on little-endian machines


def l16_encode(samples: npt.ArrayLike) -> bytes:
    return np.asarray(samples, dtype=np.int16).astype("<i2").tobytes()


def decode(encoding: str, data: bytes) -> Samples:
    """Decode by `mediaFormat.encoding` (`audio/x-mulaw` or `audio/x-l16`); ValueError otherwise."""
    if encoding == "audio/x-mulaw":
        return mulaw_decode(data)
    if encoding == "audio/x-l16":
        return l16_decode(data)
    raise ValueError(f"unsupported encoding {encoding!r}")


def encode(encoding: str, samples: npt.ArrayLike) -> bytes:
    if encoding == "audio/x-mulaw":
        return mulaw_encode(samples)
    if encoding == "audio/x-l16":
        return l16_encode(samples)
    raise ValueError(f"unsupported encoding {encoding!r}")


def bytes_per_sample(encoding: str) -> int:
    return 1 if encoding == "audio/x-mulaw" else 2


def resample(samples: npt.ArrayLike, from_rate: int, to_rate: int) -> Samples:
    """Linear-interpolation resampling (what a test tone or a voice prompt needs; not hi-fi).
    Downsampling first averages over the rate ratio so it does not alias badly."""
    x = np.asarray(samples, dtype=np.float64)
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError("sample rates must be positive")
    if from_rate == to_rate or x.size == 0:
        return np.asarray(np.clip(np.rint(x), -32768, 32767), dtype=np.int16)
    if to_rate < from_rate:
        width = max(1, round(from_rate / to_rate))
        if width > 1:
            x = np.convolve(x, np.full(width, 1.0 / width), mode="same")
    n_out = max(1, round(x.size * to_rate / from_rate))
    positions = np.arange(n_out) * (from_rate / to_rate)
    y = np.interp(positions, np.arange(x.size), x)
    return np.asarray(np.clip(np.rint(y), -32768, 32767), dtype=np.int16)


def to_mono(samples: npt.ArrayLike, channels: int) -> Samples:
    """Average interleaved channels into one."""
    x = np.asarray(samples, dtype=np.int16)
    if channels <= 1:
        return x
    usable = x.size - x.size % channels
    mixed = x[:usable].reshape(-1, channels).astype(np.int32).mean(axis=1)
    return np.asarray(np.rint(mixed), dtype=np.int16)


def tone(freq_hz: float, seconds: float, rate: int, level_dbfs: float = -12.0) -> Samples:
    """A sine test tone with 10 ms fades (no clicks)."""
    n = max(0, int(seconds * rate))
    t = np.arange(n) / rate
    amplitude = 32767 * 10 ** (level_dbfs / 20)
    y = amplitude * np.sin(2 * math.pi * freq_hz * t)
    fade = min(n // 2, int(0.01 * rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        y[:fade] *= ramp
        y[n - fade :] *= ramp[::-1]
    return np.asarray(np.rint(y), dtype=np.int16)


def rms_dbfs(samples: Samples) -> float:
    """RMS level relative to full scale (a full-scale sine is about -3 dBFS)."""
    if samples.size == 0:
        return SILENCE_DBFS
    x = samples.astype(np.float64)
    rms = math.sqrt(float(np.dot(x, x)) / x.size)
    return max(SILENCE_DBFS, 20 * math.log10(rms / 32768)) if rms > 0 else SILENCE_DBFS
