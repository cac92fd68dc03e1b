"""Events for the event-pane tests, the real SQLite event log to hold them, and two doubles.

The pane's tests run on the real `EventLog` (a file in tmp_path). `MemoryEventReader` is a test
double kept only where the real log cannot do what a test needs (fail on demand); `MemoryFeed`
stands in for the receiver's CallbackFeed, a QObject with the same signal, for tests that play the
receiver themselves.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from console.domain.events import EventFilter, StoredEvent, Verdict
from console.store.event_log import EventLog
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


async def open_log(path: Path, events: Iterable[StoredEvent] = ()) -> EventLog:
    """A real event log at `path`, holding `events` (ids 1, 2, ... in the order given)."""
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    for event in events:
        await log.append(event)
    return log


async def append_all(log: EventLog, events: Iterable[StoredEvent], chunk: int = 250) -> None:
    """Append many events quickly: concurrent appends share the writer's transactions."""
    pending = list(events)
    for i in range(0, len(pending), chunk):
        await asyncio.gather(*(log.append(e) for e in pending[i : i + chunk]))


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
