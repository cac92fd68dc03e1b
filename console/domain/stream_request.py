"""The start-stream request as the console builds it, and its exact JSON body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from console.domain.stream_params import (
    DEFAULT_AUDIO_TRACK,
    DEFAULT_CALLBACK_METHOD,
    DEFAULT_CONTENT_TYPE,
    DEFAULT_STREAM_TIMEOUT_S,
    AudioTrack,
    CallbackMethod,
    ContentType,
)

E = TypeVar("E", AudioTrack, CallbackMethod, ContentType)

BODY_FIELDS = (
    "service_url",
    "bidirectional",
    "audio_track",
    "stream_timeout",
    "status_callback_url",
    "status_callback_method",
    "content_type",
    "extra_headers",
)


@dataclass(frozen=True, slots=True)
class StreamRequest:
    """What an agent asks for. `None` means "not set: Plivo's default applies", and is left out of
    the body, as the official SDKs do. Values are kept as typed; the validator
    (`console.domain.stream_rules`) decides whether they may be sent."""

    service_url: str
    bidirectional: bool | None = None
    audio_track: AudioTrack | None = None
    stream_timeout: int | None = None
    status_callback_url: str | None = None
    status_callback_method: CallbackMethod | None = None
    content_type: ContentType | None = None
    extra_headers: str | None = None

    def to_body(self) -> dict[str, object]:
        """The JSON body for `POST /Call/{uuid}/Stream/`, unset optionals omitted."""
        body: dict[str, object] = {"service_url": self.service_url}
        if self.bidirectional is not None:
            body["bidirectional"] = self.bidirectional
        if self.audio_track is not None:
            body["audio_track"] = str(self.audio_track)
        if self.stream_timeout is not None:
            body["stream_timeout"] = self.stream_timeout
        if self.status_callback_url:
            body["status_callback_url"] = self.status_callback_url
        if self.status_callback_method is not None:
            body["status_callback_method"] = str(self.status_callback_method)
        if self.content_type is not None:
            body["content_type"] = str(self.content_type)
        if self.extra_headers:
            body["extra_headers"] = self.extra_headers
        return body

    @classmethod
    def from_body(cls, body: Mapping[str, object]) -> StreamRequest:
        """The inverse of `to_body` for a body this console produced (history, tests). Raises
        ValueError on a body of the wrong shape; use the validator for untrusted input."""
        unknown = set(body) - set(BODY_FIELDS)
        if unknown:
            raise ValueError(f"unknown stream parameters: {', '.join(sorted(unknown))}")
        url = body.get("service_url")
        if not isinstance(url, str):
            raise ValueError("service_url must be a string")
        bidirectional = body.get("bidirectional")
        if bidirectional is not None and not isinstance(bidirectional, bool):
            raise ValueError("bidirectional must be a boolean")
        timeout = body.get("stream_timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int)):
            raise ValueError("stream_timeout must be an integer")
        return cls(
            service_url=url,
            bidirectional=bidirectional,
            audio_track=_enum(AudioTrack, body.get("audio_track")),
            stream_timeout=timeout,
            status_callback_url=_text(body, "status_callback_url"),
            status_callback_method=_enum(CallbackMethod, body.get("status_callback_method")),
            content_type=_enum(ContentType, body.get("content_type")),
            extra_headers=_text(body, "extra_headers"),
        )

    def without_defaults(self) -> StreamRequest:
        """The same request with every value that equals Plivo's documented default unset, so
        the body and the code snippets show only what the agent changed."""
        return replace(
            self,
            bidirectional=True if self.bidirectional else None,
            audio_track=None if self.audio_track == DEFAULT_AUDIO_TRACK else self.audio_track,
            stream_timeout=(
                None if self.stream_timeout == DEFAULT_STREAM_TIMEOUT_S else self.stream_timeout
            ),
            status_callback_url=self.status_callback_url or None,
            status_callback_method=(
                None
                if self.status_callback_method == DEFAULT_CALLBACK_METHOD
                else self.status_callback_method
            ),
            content_type=None if self.content_type == DEFAULT_CONTENT_TYPE else self.content_type,
            extra_headers=self.extra_headers or None,
        )


def _enum(kind: type[E], value: object) -> E | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{kind.__name__} must be a string")
    return kind(value)


def _text(body: Mapping[str, object], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value
