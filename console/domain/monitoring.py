"""What the stream monitor shows and compares, shared by the monitor service and its widgets:
the format the console requested (carried in the monitor URL's query), and the snapshots the
widgets paint from. Pure data: no Qt, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:  # only for the annotation: the widgets import this module at start-up
    import numpy as np
    import numpy.typing as npt

FORMATS = {
    "mulaw-8000": ("audio/x-mulaw", 8000),
    "l16-8000": ("audio/x-l16", 8000),
    "l16-16000": ("audio/x-l16", 16000),
}


@dataclass(frozen=True, slots=True)
class Requested:
    """The format the console asked Plivo for, carried in the monitor URL's query
    (`?format=l16-16000&tracks=both&bidi=1`) so the endpoint can compare."""

    encoding: str
    sample_rate: int
    tracks: tuple[str, ...]
    bidirectional: bool = False

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Requested | None:
        fmt = FORMATS.get(query.get("format", ""))
        if fmt is None:
            return None
        track = query.get("tracks", "inbound")
        tracks = {"both": ("inbound", "outbound"), "inbound": ("inbound",)}.get(
            track, ("outbound",) if track == "outbound" else ()
        )
        if not tracks:
            return None
        return cls(fmt[0], fmt[1], tracks, query.get("bidi", "") in ("1", "true"))

    @staticmethod
    def query(content_type: str, audio_track: str, bidirectional: bool) -> str:
        """The query for a stream request's content_type (`audio/x-l16;rate=16000`) and track."""
        kind, _, rate = content_type.partition(";rate=")
        name = f"{kind.removeprefix('audio/x-')}-{rate or '8000'}"
        params = {"format": name, "tracks": audio_track}
        if bidirectional:
            params["bidi"] = "1"
        return urlencode(params)

    def describe(self) -> str:
        return describe(self.encoding, self.sample_rate, self.tracks)


def describe(encoding: str, rate: int, tracks: tuple[str, ...]) -> str:
    return f"{encoding} {rate} Hz, {' + '.join(tracks)}"


@dataclass(frozen=True, slots=True)
class TrackSnapshot:
    track: str
    level_dbfs: float  # loudest frame RMS since the previous snapshot
    peak: float  # 0..1, largest sample magnitude since the previous snapshot
    waveform: npt.NDArray[np.float32]  # (n, 2) min/max pairs in -1..1, oldest first
    frames: int
    samples: int
    last_frame_samples: int
    frames_per_s: float
    jitter_ms: float
    gaps: int
    late: int
    silent_for_s: float  # since the last frame with energy (or since the first frame)


@dataclass(frozen=True, slots=True)
class SessionSnapshot:
    key: str
    stream_id: str
    call_id: str
    announced: str  # "" before `start`
    requested: str  # "" when the URL did not say
    mismatches: tuple[str, ...]
    tracks: tuple[TrackSnapshot, ...]
    dtmf: str
    malformed: int
    unknown: int
    oversized: int
    last_problem: str
    silent_tracks: tuple[str, ...]  # silent for at least `silence_after_s`
    silence_after_s: float
    events: tuple[str, ...]
    can_talk_back: bool
    recording: tuple[str, ...]  # paths being written
    ended: bool
    end_reason: str
    event_count: int = 0  # events logged since the stream opened (`events` keeps the last 200)
