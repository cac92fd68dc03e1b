"""The start-stream request as the console builds it, and its exact JSON body."""

from __future__ import annotations

from dataclasses import dataclass

from console.domain.stream_params import AudioTrack, CallbackMethod, ContentType


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
            body["audio_track"] = self.audio_track.value
        if self.stream_timeout is not None:
            body["stream_timeout"] = self.stream_timeout
        if self.status_callback_url:
            body["status_callback_url"] = self.status_callback_url
        if self.status_callback_method is not None:
            body["status_callback_method"] = self.status_callback_method.value
        if self.content_type is not None:
            body["content_type"] = self.content_type.value
        if self.extra_headers:
            body["extra_headers"] = self.extra_headers
        return body
