"""Listening to a monitored track on this computer's speakers, when it can be done.

Qt's audio output (QtMultimedia's QAudioSink) ships in PySide6-Addons, not in the Essentials the
console depends on, so it is an optional extra (`pip install stream-console[audio]`). Without it,
or without an output device, `SpeakerOutput.problem` says why and listening is simply not offered:
nothing else depends on it. Push mode with a short buffer: audio that cannot be played at once is
dropped rather than queued, so the speakers never lag the stream by more than ~200 ms.
"""

from __future__ import annotations

import importlib
from typing import Any

BUFFER_MS = 200


def output_problem() -> str:
    """ "" when there is somewhere to play audio; otherwise a sentence for the tooltip."""
    try:
        multimedia = importlib.import_module("PySide6.QtMultimedia")
    except ImportError:
        return "Listening needs Qt Multimedia (install the 'audio' extra: PySide6-Addons)."
    if multimedia.QMediaDevices.defaultAudioOutput().isNull():
        return "No audio output device on this computer."
    return ""


class SpeakerOutput:
    """int16 mono PCM at `sample_rate` to the default output device."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.problem = output_problem()
        self._sink: Any = None
        self._io: Any = None
        if self.problem:
            return
        mm = importlib.import_module("PySide6.QtMultimedia")
        device = mm.QMediaDevices.defaultAudioOutput()
        fmt = mm.QAudioFormat()
        fmt.setSampleRate(sample_rate)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(mm.QAudioFormat.SampleFormat.Int16)
        if not device.isFormatSupported(fmt):
            self.problem = f"The audio device cannot play {sample_rate} Hz mono."
            return
        self._sink = mm.QAudioSink(device, fmt)
        self._sink.setBufferSize(sample_rate * 2 * BUFFER_MS // 1000)
        self._io = self._sink.start()

    @property
    def available(self) -> bool:
        return self._io is not None

    def write(self, pcm: bytes) -> int:
        """Queue what fits; the rest is dropped (the stream is live, catching up is pointless)."""
        if self._io is None or self._sink is None:
            return 0
        room = int(self._sink.bytesFree())
        chunk = pcm[: room - room % 2]
        return int(self._io.write(chunk)) if chunk else 0

    def close(self) -> None:
        sink, self._sink, self._io = self._sink, None, None
        if sink is not None:
            sink.stop()
