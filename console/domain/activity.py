"""The audit trail of what an agent did: every start and stop, who, when, on which call, with
what result. Support teams need it to answer "who stopped that stream?"."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    START_STREAM = "start stream"
    STOP_STREAM = "stop stream"
    STOP_ALL_STREAMS = "stop all streams"
    STREAM_FAILED = "stream failed"  # seen by the console on a stream it had seen active


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # the request may or may not have reached Plivo


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    at: float  # epoch seconds
    user: str  # the operating-system user at the console
    account: str  # auth id of the profile acted for
    action: Action
    call_uuid: str
    outcome: Outcome
    service_url: str = ""
    stream_id: str = ""
    detail: str = ""  # Plivo's message or our error sentence; never a secret
