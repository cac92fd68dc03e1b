"""An in-memory EventReader: a test double for the pure-widget tests of the event pane.

The real event log (SQLite) is tested with the pane in tests/app; this double exists so that a
widget test can say exactly which events exist without a receiver. It follows the EventReader
contract (newest first, keyset cursor, filters via the pane's own `matches`), and can be told to
be slow or to fail.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal

from console.domain.events import EventFilter, StoredEvent, Verdict
from console.ui.events_filter import matches

_ids = itertools.count(100_000)  # above the small ids that tests pick themselves


def make_event(
    event: str = "StartStream",
    *,
    call_uuid: str = "call-1",
    stream_id: str = "stream-1",
    verdict: Verdict = Verdict.ACCEPTED,
    extra: dict[str, str] | None = None,
    event_id: int | None = None,
    received_at: float | None = None,
    detail: str = "",
) -> StoredEvent:
    params = {"Event": event, "CallUUID": call_uuid, "StreamID": stream_id}
    params.update(extra or {})
    return StoredEvent(
        id=next(_ids) if event_id is None else event_id,
        received_at=time.time() if received_at is None else received_at,
        event=event,
        call_uuid=call_uuid,
        stream_id=stream_id,
        account="MAXXXXXXXXXXXXXXXXXX" if verdict is Verdict.ACCEPTED else "",
        source="127.0.0.1",
        verdict=verdict,
        method="POST",
        url="https://example.test/plivo/stream-status",
        params=params,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Plivo-Signature-V3": "x"},
        detail=detail,
    )


class MemoryEventReader:
    def __init__(self, events: Iterable[StoredEvent] = ()) -> None:
        self.events: list[StoredEvent] = sorted(events, key=lambda e: e.id)
        self.delay_s = 0.0
        self.fail_with: Exception | None = None
        self.calls = 0

    def add(self, events: Iterable[StoredEvent]) -> list[StoredEvent]:
        new = list(events)
        self.events.extend(new)
        self.events.sort(key=lambda e: e.id)
        return new

    async def _pause(self) -> None:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.fail_with is not None:
            raise self.fail_with

    async def count(self, flt: EventFilter) -> int:
        await self._pause()
        return sum(1 for e in self.events if matches(flt, e))

    async def newest(
        self, flt: EventFilter, *, before_id: int | None = None, limit: int = 200
    ) -> list[StoredEvent]:
        await self._pause()
        out: list[StoredEvent] = []
        for e in reversed(self.events):
            if before_id is not None and e.id >= before_id:
                continue
            if matches(flt, e):
                out.append(e)
                if len(out) >= limit:
                    break
        return out

    async def after(self, after_id: int, *, limit: int = 500) -> list[StoredEvent]:
        await self._pause()
        return [e for e in self.events if e.id > after_id][:limit]

    async def get(self, event_id: int, *, rejected: bool = False) -> StoredEvent | None:
        await self._pause()
        return next((e for e in self.events if e.id == event_id), None)


class MemoryFeed(QObject):
    """Stands in for the receiver's CallbackFeed: the same signal, emitted by the test."""

    events_committed = Signal(list)
