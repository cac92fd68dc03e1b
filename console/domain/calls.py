"""Live and queued calls as Plivo describes them (docs/simulator.md). Every field but the uuid
may be missing in a response, so every field but the uuid is optional."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


@dataclass(frozen=True, slots=True)
class LiveCall:
    call_uuid: str
    from_number: str | None = None
    to_number: str | None = None
    direction: str | None = None
    caller_name: str | None = None
    call_status: str | None = None
    session_start: str | None = None
    request_uuid: str | None = None
    stir_verification: str | None = None
    stir_attestation: str | None = None


@dataclass(frozen=True, slots=True)
class QueuedCall:
    call_uuid: str
    from_number: str | None = None
    to_number: str | None = None
    direction: str | None = None
    caller_name: str | None = None
    call_status: str | None = None
    request_uuid: str | None = None


@dataclass(frozen=True, slots=True)
class LiveCallRefresh:
    """One incremental refresh of the live-call list: every current call (in Plivo's listing
    order), which uuids appeared and disappeared since the previous refresh with the same
    filters, and how many HTTP requests it cost (retries included)."""

    calls: tuple[LiveCall, ...]
    added: frozenset[str]
    removed: frozenset[str]
    requests: int
