"""Plivo's server-side rules for a start-stream request, as the simulator enforces them.

Deliberately independent of the console's client-side validator (`console.domain.stream_rules`):
both are written from the documented rules (docs/stream-form.md), and a property test checks that
the client refuses everything this module refuses. The vocabulary (`stream_params`) is shared; the
checks are not.

Rules (each failure is a 400 with the message given here):
- `service_url`: required string; scheme `ws` or `wss` (any case); a host; a valid port if given;
  no whitespace or control characters. (No length limit is documented, so none is enforced.)
- `bidirectional`: JSON boolean, or the strings "true"/"false" (any case) from a form body.
- `audio_track`: exactly `inbound`, `outbound` or `both`; with bidirectional=true only `inbound`.
- `stream_timeout`: whole seconds from 1 to 2**63 - 1 (the largest the Go SDK's int64 carries;
  Plivo documents no maximum): a JSON number with no fraction or a string of digits; booleans,
  fractions and anything larger (a 400-digit number) are refused. The console's own validator
  stops earlier, at the Java SDK's int32.
- `status_callback_url`: empty means unset; else an http or https URL with a host.
- `status_callback_method`: `GET` or `POST` (any case).
- `content_type`: exactly one of the three documented values.
- `extra_headers`: empty means unset; else `key=value` pairs joined by `,`, keys and values of
  one or more `[A-Za-z0-9]`, the whole string at most 512 bytes in UTF-8.
- Unknown fields are ignored, as the SDKs send extras (`call_uuid`, `cx_bot`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from console.domain.stream_params import (
    DEFAULT_AUDIO_TRACK,
    DEFAULT_CALLBACK_METHOD,
    DEFAULT_CONTENT_TYPE,
    DEFAULT_STREAM_TIMEOUT_S,
    EXTRA_HEADERS_MAX_BYTES,
    AudioTrack,
    CallbackMethod,
    ContentType,
)

_E = TypeVar("_E", AudioTrack, ContentType)

_EXTRA_HEADERS = re.compile(r"[A-Za-z0-9]+=[A-Za-z0-9]+(?:,[A-Za-z0-9]+=[A-Za-z0-9]+)*")
_BAD_URL_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")
SERVER_MAX_TIMEOUT_S = 2**63 - 1
"""The largest stream_timeout accepted: Plivo documents none, and the Go SDK sends an int64
(the console's own validator stops at the Java SDK's int32, MAX_STREAM_TIMEOUT_S)."""
_TOO_LARGE = SERVER_MAX_TIMEOUT_S + 1


class RuleError(ValueError):
    """A request Plivo would answer with 400; `str()` is the `error` text."""


@dataclass(frozen=True, slots=True)
class StartParams:
    service_url: str
    bidirectional: bool = False
    audio_track: AudioTrack = DEFAULT_AUDIO_TRACK
    stream_timeout: int = DEFAULT_STREAM_TIMEOUT_S
    status_callback_url: str = ""
    status_callback_method: CallbackMethod = DEFAULT_CALLBACK_METHOD
    content_type: ContentType = DEFAULT_CONTENT_TYPE
    extra_headers: str = ""


def _url_ok(value: str, schemes: tuple[str, ...]) -> bool:
    if _BAD_URL_CHARS.search(value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme.lower() in schemes and bool(parts.hostname)


def _text(body: Mapping[str, object], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RuleError(f"{name} must be a string")
    return value


def _bool(body: Mapping[str, object], name: str) -> bool | None:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise RuleError(f"{name} must be true or false")


def _timeout(body: Mapping[str, object], name: str) -> int | None:
    """Whole seconds from 1 to SERVER_MAX_TIMEOUT_S; None when absent."""
    value = body.get(name)
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        # More digits than the bound has are too large whatever they say; int() of thousands
        # of digits would also refuse (and take time).
        digits = value.lstrip("0") or "0"
        number = int(digits) if len(digits) <= len(str(SERVER_MAX_TIMEOUT_S)) else _TOO_LARGE
    if number is None or number <= 0:
        raise RuleError(f"{name} must be a positive integer (seconds)")
    if number > SERVER_MAX_TIMEOUT_S:
        raise RuleError(f"{name} must be at most {SERVER_MAX_TIMEOUT_S} seconds")
    return number


def _choice(body: Mapping[str, object], name: str, enum: type[_E]) -> _E | None:
    value = _text(body, name)
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise RuleError(f"{name} must be one of: {allowed}") from None


def check_start(body: Mapping[str, object]) -> StartParams:
    """The start request's parameters with defaults applied, or RuleError with Plivo-style text."""
    service_url = _text(body, "service_url")
    if not service_url:
        raise RuleError("service_url is required")
    if not _url_ok(service_url, ("ws", "wss")):
        raise RuleError("service_url must be a valid ws:// or wss:// URL")

    bidirectional = _bool(body, "bidirectional") or False
    audio_track = _choice(body, "audio_track", AudioTrack) or DEFAULT_AUDIO_TRACK
    if bidirectional and audio_track is not AudioTrack.INBOUND:
        raise RuleError("audio_track must be inbound when bidirectional is true")

    stream_timeout = _timeout(body, "stream_timeout") or DEFAULT_STREAM_TIMEOUT_S

    callback_url = _text(body, "status_callback_url") or ""
    if callback_url and not _url_ok(callback_url, ("http", "https")):
        raise RuleError("status_callback_url must be a valid http:// or https:// URL")

    method_text = _text(body, "status_callback_method")
    method = DEFAULT_CALLBACK_METHOD
    if method_text is not None:
        try:
            method = CallbackMethod(method_text.upper())
        except ValueError:
            raise RuleError("status_callback_method must be GET or POST") from None

    content_type = _choice(body, "content_type", ContentType) or DEFAULT_CONTENT_TYPE

    extra_headers = _text(body, "extra_headers") or ""
    if extra_headers:
        if len(extra_headers.encode("utf-8")) > EXTRA_HEADERS_MAX_BYTES:
            raise RuleError(f"extra_headers must be at most {EXTRA_HEADERS_MAX_BYTES} bytes")
        if not _EXTRA_HEADERS.fullmatch(extra_headers):
            raise RuleError(
                "extra_headers must be key=value pairs separated by commas, "
                "with only letters and digits in keys and values"
            )

    return StartParams(
        service_url=service_url,
        bidirectional=bidirectional,
        audio_track=audio_track,
        stream_timeout=stream_timeout,
        status_callback_url=callback_url,
        status_callback_method=method,
        content_type=content_type,
        extra_headers=extra_headers,
    )
