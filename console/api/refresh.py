"""Incremental live-call refresh: list every page of live call ids, fetch details only for calls
not seen before, drop calls that ended.

Plivo's list endpoint returns bare uuids (20 per page, no total), and the details need one
request per call. Details of a live call do not change while it is live, so they are cached by
uuid: a refresh of an unchanged list of N calls costs only the list pages. Detail fetches start
as soon as a page arrives (a pool of workers), so pages and details overlap.

Ids are de-duplicated: if calls end while the pages are read, later pages shift and an id may
show up twice (or a call may be missed until the next refresh; the list has no cursor).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable

from console.domain.calls import LiveCall

FetchDetail = Callable[[str], Awaitable[LiveCall | None]]


class LiveCallCache:
    """Details by call uuid, and the uuids each filter listed last time (for added/removed)."""

    def __init__(self) -> None:
        self._details: dict[str, LiveCall] = {}
        self._listed: dict[Hashable, tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self._details)

    def __contains__(self, call_uuid: object) -> bool:
        return call_uuid in self._details

    def clear(self) -> None:
        self._details.clear()
        self._listed.clear()

    async def refresh(
        self,
        key: Hashable,
        pages: AsyncIterator[list[str]],
        fetch: FetchDetail,
        workers: int,
    ) -> tuple[tuple[LiveCall, ...], frozenset[str], frozenset[str]]:
        """(current calls in listing order, added uuids, removed uuids). `fetch` returns None for
        a call that ended before its details could be read. On failure the details fetched so
        far are kept, so the next refresh does not fetch them again."""
        order: list[str] = []
        seen: set[str] = set()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        fetched: dict[str, LiveCall | None] = {}

        async def work() -> None:
            while (call_uuid := await queue.get()) is not None:
                fetched[call_uuid] = await fetch(call_uuid)

        tasks = [asyncio.ensure_future(work()) for _ in range(max(1, workers))]
        try:
            async for page in pages:
                for call_uuid in page:
                    if call_uuid in seen:
                        continue
                    seen.add(call_uuid)
                    order.append(call_uuid)
                    if call_uuid not in self._details:
                        queue.put_nowait(call_uuid)
                failed = next((t for t in tasks if t.done()), None)
                if failed is not None:
                    await failed  # a worker only finishes early by raising
            for _ in tasks:
                queue.put_nowait(None)
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._details.update({u: c for u, c in fetched.items() if c is not None})
            for call_uuid in (u for u, c in fetched.items() if c is None):
                self._details.pop(call_uuid, None)

        current = tuple(u for u in order if u in self._details)
        previous = set(self._listed.get(key, ()))
        self._listed[key] = current
        keep = {u for listed in self._listed.values() for u in listed}
        for call_uuid in [u for u in self._details if u not in keep]:
            del self._details[call_uuid]
        now = set(current)
        return (
            tuple(self._details[u] for u in current),
            frozenset(now - previous),
            frozenset(previous - now),
        )
