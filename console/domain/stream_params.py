"""The documented vocabulary of Plivo's Stream API: allowed values and defaults
(docs/stream-form.md)."""

from __future__ import annotations

from enum import StrEnum

DEFAULT_STREAM_TIMEOUT_S = 86_400
EXTRA_HEADERS_MAX_BYTES = 512


class AudioTrack(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    BOTH = "both"


class CallbackMethod(StrEnum):
    GET = "GET"
    POST = "POST"


class ContentType(StrEnum):
    L16_8K = "audio/x-l16;rate=8000"
    L16_16K = "audio/x-l16;rate=16000"
    MULAW_8K = "audio/x-mulaw;rate=8000"

    @property
    def encoding(self) -> str:
        """The `mediaFormat.encoding` Plivo announces on the WebSocket (`audio/x-l16`...)."""
        return self.value.split(";", 1)[0]

    @property
    def sample_rate(self) -> int:
        return int(self.value.rsplit("=", 1)[1])

    @property
    def bytes_per_sample(self) -> int:
        return 1 if self is ContentType.MULAW_8K else 2


DEFAULT_AUDIO_TRACK = AudioTrack.INBOUND
DEFAULT_CALLBACK_METHOD = CallbackMethod.POST
DEFAULT_CONTENT_TYPE = ContentType.L16_8K

# Plivo documents no maximum. This is the largest value the Java SDK can carry (a 32-bit
# Integer); anything above is certainly a typo (it is over 68 years).
MAX_STREAM_TIMEOUT_S = 2_147_483_647
