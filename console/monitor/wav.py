"""Recording a monitored track to a mono 16-bit WAV file, exactly the samples decoded."""

from __future__ import annotations

import threading
import wave
from pathlib import Path

from console.domain.audio_codec import Samples, l16_encode


class WavRecorder:
    """Open on construction; `write` decoded samples; `close` once (idempotent). Small writes go
    straight to the file: a track is at most 32 KB/s."""

    def __init__(self, path: Path, sample_rate: int) -> None:
        self.path = path
        self.sample_rate = sample_rate
        self.samples = 0
        self._lock = threading.Lock()  # written on the monitor's thread, closed from the GUI's
        self._file: wave.Wave_write | None = wave.open(str(path), "wb")  # noqa: SIM115
        self._file.setnchannels(1)
        self._file.setsampwidth(2)
        self._file.setframerate(sample_rate)

    @property
    def open(self) -> bool:
        return self._file is not None

    def write(self, samples: Samples) -> None:
        with self._lock:
            if self._file is not None:
                self._file.writeframesraw(l16_encode(samples))
                self.samples += int(samples.size)

    def close(self) -> None:
        with self._lock:
            file, self._file = self._file, None
            if file is not None:
                file.close()
