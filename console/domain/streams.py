"""Audio streams as Plivo returns them (docs/simulator.md). Only the id is guaranteed; SDK models
disagree on types (Java reads `bidirectional` and durations as strings), so parsers are lenient
and every other field is optional."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ACTIVE_STREAM_STATUSES = frozenset({"initiated", "in-progress", "streaming", "connecting"})


@dataclass(frozen=True, slots=True)
class Stream:
    stream_id: str
    call_uuid: str | None = None
    service_url: str | None = None
    audio_track: str | None = None
    bidirectional: bool | None = None
    status: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    created_at: str | None = None
    bill_duration: int | None = None
    rounded_bill_duration: int | None = None
    billed_amount: str | None = None
    status_callback_url: str | None = None
    resource_uri: str | None = None
    plivo_auth_id: str | None = None

    @property
    def is_active(self) -> bool:
        """Active while Plivo has not stamped an end time and the status is not a final one."""
        if self.end_time:
            return False
        return self.status is None or self.status.lower() in ACTIVE_STREAM_STATUSES


@dataclass(frozen=True, slots=True)
class StreamStarted:
    """Plivo's answer to a start: `{api_id, message, stream_id}`. `reconciled` is True when no
    clear answer came back and the stream was found afterwards by listing the call's streams
    (then `message` says so)."""

    stream_id: str
    api_id: str | None = None
    message: str | None = None
    reconciled: bool = False


class StopOutcome(StrEnum):
    STOPPED = "stopped"  # Plivo confirmed the stop (204)
    ALREADY_STOPPED = "already-stopped"  # Plivo said there was no active stream to stop
    GONE_AFTER_RETRY = "gone-after-retry"  # 404 on a repeat: an earlier attempt had stopped it


@dataclass(frozen=True, slots=True)
class StreamStopped:
    """The result of stopping one stream (`stream_id` set) or all streams of a call (None).
    Every outcome means "no longer streaming"; `message` says which, in plain words."""

    call_uuid: str
    stream_id: str | None
    outcome: StopOutcome
    message: str
