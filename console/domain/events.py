"""Stream status callbacks (spec §3): the events Plivo posts to `status_callback_url`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class StreamEventName(StrEnum):
    START = "StartStream"
    STOP = "StopStream"
    DROPPED = "DroppedStream"
    DEGRADED = "DegradedStream"


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    """One received callback, every parameter kept as sent (Plivo's full list is not published)."""

    event: str
    params: dict[str, str] = field(default_factory=dict)
    received_at: float = 0.0
    verified: bool = False

    @property
    def stream_id(self) -> str | None:
        return self.params.get("StreamID")

    @property
    def call_uuid(self) -> str | None:
        return self.params.get("CallUUID")
