"""Live events from the team database: LISTEN on a connection of its own, then read by id.

A notification only says "something was committed" (its payload is the newest id): the rows are
always read with `id > last_seen_id` in pages, so a lost or merged notification loses nothing,
and since ids commit in order (the writers' advisory lock, docs/team-mode.md) paging by id never
skips one. Reads are at least `GAP_S` apart, whatever the rate of commits. Between
notifications the subscription still reads every `POLL_S`, which also finds a silently dead
connection. On any connection failure it reconnects with backoff and catches up
from `last_seen_id`: no gap, no duplicate. Listeners run on the loop, one page at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from console.domain.backoff import Backoff
from console.domain.events import StoredEvent
from console.store.event_rows import Listener, notify
from console.store.pg.connect import CONNECTION_ERRORS, Target, reason
from console.store.sqlite_writer import StoreUnavailable

log = logging.getLogger(__name__)

PAGE = 500
POLL_S = 2.0
GAP_S = 0.2  # the shortest time between two reads of one subscription

ReadAfter = Callable[[psycopg.AsyncConnection[Any], int, int], Awaitable[list[StoredEvent]]]


class Subscription:
    """`start()` once (idempotent), `stop()` last. `listeners` is the live list to call."""

    def __init__(self, target: Target, channel: str, read_after: ReadAfter, backoff: Backoff):
        self.listeners: list[Listener] = []
        self.health = "not connected"
        self.last_seen_id = 0
        self._started_from: int | None = None
        self._target = target
        self._channel = channel
        self._read_after = read_after
        self._backoff = backoff
        self._task: asyncio.Task[None] | None = None
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self.connections = 0  # successful (re)connections, for tests and the status line

    @property
    def backend_pid(self) -> int | None:
        """The server process of the LISTEN connection (tests cut it with pg_terminate_backend)."""
        conn = self._conn
        return conn.info.backend_pid if conn is not None and not conn.closed else None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="pg-event-subscription"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                conn = await self._target.connect()
            except StoreUnavailable as exc:
                failures += 1
                self._down(str(exc), failures)
                await asyncio.sleep(self._backoff.delay(failures))
                continue
            self._conn = conn
            try:
                await self._serve(conn)
            except CONNECTION_ERRORS as exc:
                failures = 1
                self._down(reason(exc), failures)
            except psycopg.Error as exc:  # e.g. the table is gone: still keep trying
                failures += 1
                self._down(reason(exc), failures)
            finally:
                self._conn = None
                with contextlib.suppress(Exception):
                    await conn.close()
            await asyncio.sleep(self._backoff.delay(failures))

    def _down(self, why: str, failures: int) -> None:
        if not self.health.startswith("reconnecting"):
            log.warning("team event subscription lost: %s", why)
        self.health = f"reconnecting: {why}"
        log.debug("subscription attempt %d failed: %s", failures, why)

    async def _serve(self, conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.execute(f"LISTEN {self._channel}")
        if self._started_from is None:  # the first connection: only what commits from now on
            cursor = await conn.execute("SELECT coalesce(max(id), 0) FROM events")
            row = await cursor.fetchone()
            self._started_from = self.last_seen_id = int(row[0]) if row else 0
        self.connections += 1
        self.health = "connected"
        if self.connections > 1:
            log.info("team event subscription connected again; catching up")
        while True:
            read_at = time.monotonic()
            await self._catch_up(conn)
            async for _ in conn.notifies(timeout=POLL_S, stop_after=1):
                pass
            # At most one read per GAP_S: commits arriving meanwhile are read together, so 200
            # consoles do not each run a query per commit (docs/team-mode.md, Sizing).
            rest = GAP_S - (time.monotonic() - read_at)
            if rest > 0:
                await asyncio.sleep(rest)
            async for _ in conn.notifies(timeout=0):  # those merged into the coming read
                pass

    async def _catch_up(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while True:
            page = await self._read_after(conn, self.last_seen_id, PAGE)
            if not page:
                return
            self.last_seen_id = page[-1].id
            notify(self.listeners, page)
            if len(page) < PAGE:
                return
