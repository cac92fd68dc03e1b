"""Plivo's stream messages, read strictly: every frame becomes a typed message or `Malformed`.

Plivo -> service: `start` (once), `media` (continuous), `dtmf`, `playedStream` (also seen as
`played`), `clearedAudio`, and possibly `stop` (not documented; the socket is normally just
closed). Where Plivo's documentation is unsure (the dtmf field name, played vs playedStream), both
variants are accepted (docs/monitor.md). Payloads are base64 of raw audio in the announced format.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

ENCODINGS = ("audio/x-mulaw", "audio/x-l16")
RATES = (8000, 16000)
TRACKS = ("inbound", "outbound")
DTMF_KEYS = frozenset("0123456789*#ABCDabcd")
MAX_TEXT = 200  # characters of any id or name kept


class Malformed(ValueError):
    """The frame is not a message we can use; the text says why (shown to the agent)."""


@dataclass(frozen=True, slots=True)
class Start:
    stream_id: str
    call_id: str
    account_id: str
    tracks: tuple[str, ...]
    encoding: str
    sample_rate: int
    extra_headers: str


@dataclass(frozen=True, slots=True)
class Media:
    track: str
    chunk: int | None
    timestamp_ms: int | None
    payload: bytes


@dataclass(frozen=True, slots=True)
class Dtmf:
    digits: str


@dataclass(frozen=True, slots=True)
class Played:
    name: str


@dataclass(frozen=True, slots=True)
class Cleared:
    pass


@dataclass(frozen=True, slots=True)
class Stop:
    pass


@dataclass(frozen=True, slots=True)
class Unknown:
    event: str


Message = Start | Media | Dtmf | Played | Cleared | Stop | Unknown


def _text(value: object, what: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise Malformed(f"{what} is not a string")
    return value[:MAX_TEXT]


def _int(value: object) -> int | None:
    """A number Plivo may send as a number or as a string (timestamp); None when absent/bad."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 20:
        return int(value)
    return None


def parse(text: str) -> Message:
    """One text frame to a message; `Malformed` when it cannot be used."""
    try:
        data: Any = json.loads(text)
    except ValueError as exc:
        raise Malformed("not JSON") from exc
    if not isinstance(data, dict):
        raise Malformed("not a JSON object")
    event = data.get("event")
    if not isinstance(event, str):
        raise Malformed("no event name")
    if event == "media":
        return _media(data.get("media"))
    if event == "start":
        return _start(data)
    if event == "dtmf":
        return _dtmf(data)
    if event in ("playedStream", "played"):
        return Played(_text(data.get("name"), "checkpoint name"))
    if event == "clearedAudio":
        return Cleared()
    if event == "stop":
        return Stop()
    return Unknown(event[:MAX_TEXT])


def _media(media: object) -> Media:
    if not isinstance(media, dict):
        raise Malformed("media frame without a media object")
    track = media.get("track", "inbound")
    if track not in TRACKS:
        raise Malformed("media frame for an unknown track")
    payload = media.get("payload")
    if not isinstance(payload, str):
        raise Malformed("media frame without a payload")
    try:
        raw = binascii.a2b_base64(payload, strict_mode=True)  # b64decode's check is a regex
    except (binascii.Error, ValueError) as exc:
        raise Malformed("media payload is not base64") from exc
    return Media(track, _int(media.get("chunk")), _int(media.get("timestamp")), raw)


def _start(data: dict[str, Any]) -> Start:
    start = data.get("start")
    if not isinstance(start, dict):
        raise Malformed("start frame without a start object")
    fmt = start.get("mediaFormat")
    if not isinstance(fmt, dict):
        raise Malformed("start frame without mediaFormat")
    encoding = fmt.get("encoding")
    rate = _int(fmt.get("sampleRate"))
    if encoding not in ENCODINGS:
        raise Malformed("start frame with an unsupported encoding")
    if rate not in RATES or (encoding == "audio/x-mulaw" and rate != 8000):
        raise Malformed("start frame with an unsupported sample rate")
    tracks = start.get("tracks", ["inbound"])
    if (
        not isinstance(tracks, list)
        or not tracks
        or len(tracks) > 2
        or not all(t in TRACKS for t in tracks)
    ):
        raise Malformed("start frame with unknown tracks")
    extra = data.get("extra_headers", start.get("extra_headers"))
    return Start(
        stream_id=_text(start.get("streamId"), "streamId"),
        call_id=_text(start.get("callId"), "callId", required=False),
        account_id=_text(start.get("accountId"), "accountId", required=False),
        tracks=tuple(dict.fromkeys(tracks)),
        encoding=str(encoding),
        sample_rate=int(rate),
        extra_headers=extra[:MAX_TEXT] if isinstance(extra, str) else "",
    )


def _dtmf(data: dict[str, Any]) -> Dtmf:
    body = data.get("dtmf")
    candidates = [data.get("digit"), data.get("digits")]
    if isinstance(body, dict):
        candidates[:0] = [body.get("digit"), body.get("digits")]
    elif isinstance(body, str):
        candidates.insert(0, body)
    for value in candidates:
        if isinstance(value, str) and 0 < len(value) <= 32 and set(value) <= DTMF_KEYS:
            return Dtmf(value.upper())
    raise Malformed("dtmf frame without a valid digit")


def play_audio(encoding: str, sample_rate: int, payload: bytes) -> str:
    """The `playAudio` message for raw audio already in the stream's format."""
    return json.dumps(
        {
            "event": "playAudio",
            "media": {
                "contentType": encoding,
                "sampleRate": sample_rate,
                "payload": base64.b64encode(payload).decode("ascii"),
            },
        }
    )


def checkpoint(stream_id: str, name: str) -> str:
    return json.dumps({"event": "checkpoint", "streamId": stream_id, "name": name})


def clear_audio(stream_id: str) -> str:
    return json.dumps({"event": "clearAudio", "streamId": stream_id})
