"""Stream status callbacks: the events Plivo posts to `status_callback_url` (docs/callbacks.md).

The contract between the receiver and store (which write events) and the event pane (which reads
them): a stored event keeps every parameter verbatim, because Plivo does not publish the full list;
the named fields are read out of the parameters once, when the event is kept, for filtering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from console.domain.signature import replay_nonce


class StreamEventName(StrEnum):
    START = "StartStream"
    STOP = "StopStream"
    DROPPED = "DroppedStream"
    DEGRADED = "DegradedStream"


# The console's own "Send test callback" event: its own name, so it is marked as a test wherever it
# appears (the pane, the type filter, exports) and never moves a stream or a count. Logs written
# before it had a name of its own carry a StartStream with the marker parameter instead.
TEST_EVENT = "ConsoleTestCallback"
TEST_MARKER = "ConsoleTest"


class Verdict(StrEnum):
    """What the receiver decided about one request."""

    ACCEPTED = "accepted"  # signature verified with a known account's token; stored as an event
    REPLAY = "replay"  # an exact repeat of an accepted request: answered 200, stored once
    FORGED = "forged"  # signed, but no known token gives that signature (or it was tampered)
    UNSIGNED = "unsigned"  # no signature or no nonce header
    MALFORMED = "malformed"  # not decodable, wrong content type, too large, ...


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


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One row of the event log (accepted events) or of the rejected-requests record."""

    id: int  # increasing with arrival; the pane's cursor
    received_at: float  # epoch seconds, the receiver's clock
    event: str  # the `Event` parameter verbatim ('' when absent)
    call_uuid: str  # `CallUUID` ('' when absent)
    stream_id: str  # `StreamID` ('' when absent)
    account: str  # Auth ID whose token verified ('' when none did)
    source: str  # the peer address the request came from
    verdict: Verdict
    method: str  # "POST" or "GET"
    url: str  # the URL the signature was checked against (public URL + path + query)
    params: Mapping[str, str] = field(default_factory=dict)  # every parameter, verbatim
    headers: Mapping[str, str] = field(default_factory=dict)  # request headers, verbatim
    detail: str = ""  # why a request was refused; empty for accepted events

    @property
    def is_test(self) -> bool:
        """Sent by this console's Send test callback, not by Plivo."""
        return self.event == TEST_EVENT or self.params.get(TEST_MARKER) == "true"

    @property
    def error(self) -> str:
        """Plivo's reason for a drop or stop (parameter names seen: `Error`, `Reason`)."""
        return self.params.get("Error") or self.params.get("Reason") or ""

    @property
    def buffer_usage(self) -> str:
        """DegradedStream's buffer fill, as sent (e.g. "60")."""
        return self.params.get("BufferUsage", "")


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What the event pane (or an export) asks for; empty fields match everything."""

    events: frozenset[str] = frozenset()  # `Event` values to keep
    call_uuid: str = ""
    stream_id: str = ""
    text: str = ""  # free text: matched case-insensitively against every parameter
    since: float | None = None  # received_at >= since
    rejected: bool = False  # read the refused requests instead of the accepted events


class EventReader(Protocol):
    """Read side of the event log, safe to await from the GUI loop (the work runs off it)."""

    async def count(self, flt: EventFilter) -> int: ...

    async def newest(
        self, flt: EventFilter, *, before_id: int | None = None, limit: int = 200
    ) -> list[StoredEvent]:
        """Newest first, ids below `before_id` (all when None): the pane's pages."""
        ...

    async def after(self, after_id: int, *, limit: int = 500) -> list[StoredEvent]:
        """Oldest first, ids above `after_id`, unfiltered: live updates and catching up."""
        ...

    async def get(self, event_id: int, *, rejected: bool = False) -> StoredEvent | None: ...


def kept_nonce(event: StoredEvent) -> str:
    """The nonce of a signed request, read back from its kept headers: a copy of the event
    offered to another log (the team's) is keyed by it, so it is stored there once."""
    headers = {name.lower(): value for name, value in event.headers.items()}
    return replay_nonce(lambda name: headers.get(name.lower(), ""))
