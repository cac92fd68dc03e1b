"""The event log in the team's PostgreSQL database: what `EventLog` does on one SQLite file,
shared by every collector and console of a team (docs/team-mode.md).

Writes: one writer task per log takes whatever appends are waiting (up to `BATCH_MAX`) and
commits them in ONE transaction, so `append` returns only after COMMIT and the receiver answers
200 after that. Each batch first takes a transaction-level advisory lock (`EVENTS_LOCK`): event
ids are drawn and committed in order across all collectors, so a reader that has seen id N will
never later find a smaller one (what lets a subscriber page with `after(last_seen_id)` and miss
nothing). A signed event's nonce goes into `used_nonces`, with the request's fingerprint, in the
same statement as the event (`INSERT ... ON CONFLICT DO NOTHING`): a replay reaching two
collectors is stored once, and another request under a used nonce is refused as forged.
The transaction ends with `NOTIFY stream_console_events, '<highest id>'`, sent on commit only.

When the database cannot be reached, writes raise `StoreUnavailable` (the receiver answers 503)
and reads raise it too; the pool reconnects by itself when the database returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from console.domain.backoff import Backoff
from console.domain.events import EventFilter, StoredEvent, Verdict
from console.domain.refused import bounded_refusal
from console.domain.signature import request_fingerprint
from console.store.event_rows import (
    COLUMNS,
    DEFAULT_MAX_AGE_S,
    DEFAULT_MAX_REJECTED,
    DEFAULT_MAX_REJECTED_BYTES,
    MAINTENANCE_INTERVAL_S,
    Appended,
    Listener,
    event_values,
    full_reason,
    rejected_rows_cap,
    row_to_event,
    where,
)
from console.store.pg.connect import (
    CONNECTION_ERRORS,
    Target,
    open_migrated,
    reason,
    unavailable,
)
from console.store.pg.migrations import EVENTS_LOCK
from console.store.pg.retention import NONE, prune_once, retention_mode, trim_refused
from console.store.pg.subscription import Subscription
from console.store.sqlite_writer import StoreFull, StoreUnavailable

log = logging.getLogger(__name__)

CHANNEL = "stream_console_events"
BATCH_MAX = 500
DEFAULT_MAX_ROWS = 5_000_000  # PostgreSQL's disk bound: events kept at most (see docs)
POOL_SIZE = 3  # a collector's: the writer, maintenance, one spare (docs/team-mode.md, Sizing)
WAIT_S = 2.0  # how long a write or read waits for a connection before giving up (503)

_MARKS = ",".join(["%s"] * 12)
_INSERT = f"INSERT INTO events ({COLUMNS}) VALUES ({_MARKS}) RETURNING id"
_INSERT_SIGNED = f"""
WITH kept AS (
    INSERT INTO used_nonces (nonce, fingerprint, received_at, event_id)
    VALUES (%s, %s, %s, nextval(pg_get_serial_sequence('events', 'id')))
    ON CONFLICT (nonce) DO NOTHING
    RETURNING event_id
)
INSERT INTO events (id, {COLUMNS}) SELECT event_id, {_MARKS} FROM kept RETURNING id
"""
_ORIGINAL = (
    "SELECT n.event_id, n.fingerprint, e.id, "
    f"{', '.join('e.' + c.strip() for c in COLUMNS.split(','))} "
    "FROM used_nonces n LEFT JOIN events e ON e.id = n.event_id WHERE n.nonce = %s"
)


@dataclass(eq=False)
class _Job:
    event: StoredEvent
    future: asyncio.Future[Any]
    nonce: str = ""
    fingerprint: str = ""
    rejected: bool = False
    values: tuple[Any, ...] = field(default=())


class PgEventLog:
    """Writer and reader of the team event log; implements `console.domain.events.EventReader`
    and the receiver's `EventSink`. Await `open()` first, `close()` last."""

    def __init__(
        self,
        url: str,
        *,
        password: str | None = None,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_rejected: int = DEFAULT_MAX_REJECTED,
        max_rejected_bytes: int = DEFAULT_MAX_REJECTED_BYTES,
        maintenance_interval_s: float = MAINTENANCE_INTERVAL_S,
        reconnect: Backoff | None = None,
        pool_size: int = POOL_SIZE,
    ) -> None:
        self.target = Target(url, password=password)
        self._pool_size = pool_size
        self.max_age_s = max_age_s
        self.max_rows = max_rows
        self.max_rejected = max_rejected
        self.max_rejected_bytes = max_rejected_bytes
        self.full = ""  # why new events are refused for want of room ('' while there is room)
        self.recovered_from = None  # a database is never moved aside (SQLite's damaged files)
        self._pool: AsyncConnectionPool | None = None
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._maintenance_interval_s = maintenance_interval_s
        self._maintenance: asyncio.Task[None] | None = None
        self._subscription = Subscription(
            self.target, CHANNEL, self._read_after, reconnect or Backoff(0.2, 2.0, 5.0)
        )
        self._write_error = ""
        self._rejected_since_prune = 0
        self._closed = False
        self.retention = NONE  # how this login prunes (console.store.pg.retention), found at open

    # --- life cycle -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The database URL with its password masked (for logs and the window)."""
        return self.target.shown

    @property
    def unavailable(self) -> str:
        """Why the last write failed, or why none is taken ('' when writes work)."""
        return self._write_error or self.full

    @property
    def health(self) -> str:
        """ "connected", or "reconnecting: <reason>" while writes or the subscription fail."""
        if self._write_error:
            return f"reconnecting: {self._write_error}"
        if self._subscription.running:
            return self._subscription.health
        return "connected" if self._pool is not None and not self._closed else "not connected"

    @property
    def last_seen_id(self) -> int:
        """The highest event id handed to the listeners (0 before the subscription started)."""
        return self._subscription.last_seen_id

    @property
    def pool(self) -> AsyncConnectionPool | None:
        """The open pool (a console's activity history shares it: docs/team-mode.md, Sizing)."""
        return None if self._closed else self._pool

    @property
    def pending_writes(self) -> int:
        return self._queue.qsize()

    async def open(self) -> None:
        """Connect and bring the schema up to date. Raises StoreUnavailable when the database
        cannot be reached (nothing is left running)."""
        pool = await open_migrated(
            self.target, name="event-log", max_size=self._pool_size, timeout_s=WAIT_S
        )
        try:
            async with pool.connection() as conn:
                self.retention = await retention_mode(conn)
        except BaseException as exc:  # cancelled too: no pool left behind
            await pool.close()
            if isinstance(exc, CONNECTION_ERRORS):
                raise unavailable(exc) from None
            raise
        self._pool = pool
        loop = asyncio.get_running_loop()
        self._writer = loop.create_task(self._write_forever(), name="pg-event-log-writer")
        if self._maintenance_interval_s > 0:
            self._maintenance = loop.create_task(self._maintain_forever())
        if self._subscription.listeners:
            self._subscription.start()

    async def close(self) -> None:
        """Commit every append already queued, then disconnect."""
        if self._closed:
            return
        self._closed = True
        if self._maintenance is not None:
            self._maintenance.cancel()
            await asyncio.gather(self._maintenance, return_exceptions=True)
        await self._subscription.stop()
        if self._writer is not None:
            self._queue.put_nowait(None)
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._pool is not None:
            await self._pool.close()

    def add_listener(self, listener: Listener) -> None:
        """`listener(events)` runs on the loop with events committed by ANY collector, oldest
        first, each exactly once (after a lost connection, the missed ones are caught up)."""
        self._subscription.listeners.append(listener)
        if self._pool is not None and not self._closed:
            self._subscription.start()

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._subscription.listeners:
            self._subscription.listeners.remove(listener)

    # --- writing ----------------------------------------------------------------------------------
    async def append(self, event: StoredEvent, *, nonce: str = "") -> Appended:
        """Keep an accepted event; returns after COMMIT. A nonce is used once, by any collector:
        a request under a used nonce is not stored again, as a replay when it said the same
        (`Appended.replay`), as a forgery when not (`Appended.conflict`). Raises StoreUnavailable
        (StoreFull when the log is full; a psycopg.Error for a value the database refused) when
        it was not kept."""
        if self.full:
            raise StoreFull(self.full)
        fingerprint = request_fingerprint(event.method, event.url, event.params) if nonce else ""
        result: Appended = await self._submit(
            _Job(event, self._future(), nonce, fingerprint, values=event_values(event))
        )
        return result

    async def reject(self, event: StoredEvent) -> int:
        """Keep a refused request (or a replay) for inspection, cut short (`bounded_refusal`);
        the newest rows that fit the refused record's own budget stay."""
        result: int = await self._submit(
            _Job(event, self._future(), rejected=True, values=event_values(bounded_refusal(event)))
        )
        return result

    @staticmethod
    def _future() -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def _submit(self, job: _Job) -> Any:
        if self._closed or self._writer is None:
            raise StoreUnavailable("the team event log is not open")
        self._queue.put_nowait(job)
        return await job.future

    async def _write_forever(self) -> None:
        stop = False
        while not stop:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < BATCH_MAX and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stop = True
                    break
                batch.append(item)
            try:
                await self._run_batch(batch)
            except Exception as exc:  # a bug here must not leave awaiters hanging
                log.exception("team event log writer failed")
                _fail(batch, exc)

    async def _run_batch(self, batch: list[_Job]) -> None:
        assert self._pool is not None
        try:
            async with self._pool.connection() as conn:
                try:
                    results = await self._commit(conn, batch)
                except psycopg.Error as exc:
                    if isinstance(exc, CONNECTION_ERRORS) or len(batch) == 1:
                        raise
                    results = None  # one bad value spoiled the batch: each alone, below
                if results is None:
                    for job in batch:
                        try:
                            _settle(job, (await self._commit(conn, [job]))[0])
                        except CONNECTION_ERRORS:
                            raise
                        except psycopg.Error as exc:
                            _fail([job], exc)
                else:
                    for job, result in zip(batch, results, strict=True):
                        _settle(job, result)
        except CONNECTION_ERRORS as exc:
            self._write_error = reason(exc)
            log.warning("team event log write failed: %s", self._write_error)
            _fail(batch, unavailable(exc))
            return
        except psycopg.Error as exc:
            _fail(batch, exc)
            return
        self._write_error = ""

    async def _commit(self, conn: psycopg.AsyncConnection[Any], batch: list[_Job]) -> list[Any]:
        """Write `batch` in one transaction; the results in batch order."""
        results: list[Any] = []
        newest = 0
        async with conn.transaction():
            if any(not job.rejected for job in batch):
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (EVENTS_LOCK,))
            for job in batch:
                if job.rejected:
                    results.append(await self._insert_rejected(conn, job))
                    continue
                done = await _insert_event(conn, job)
                if not (done.replay or done.conflict):
                    newest = max(newest, done.event.id)
                results.append(done)
            if newest:
                await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(newest)))
        return results

    async def _insert_rejected(self, conn: psycopg.AsyncConnection[Any], job: _Job) -> int:
        cursor = await conn.execute(
            f"INSERT INTO rejected ({COLUMNS}) VALUES ({_MARKS}) RETURNING id", job.values
        )
        ident = int(_first(await cursor.fetchone()))
        self._rejected_since_prune += 1
        if self._rejected_since_prune >= 100:
            self._rejected_since_prune = 0
            cap = rejected_rows_cap(self.max_rejected, self.max_rejected_bytes)
            await trim_refused(conn, self.retention, ident, cap, time.time(), self.max_age_s)
        return ident

    # --- reading (EventReader) --------------------------------------------------------------------
    async def count(self, flt: EventFilter) -> int:
        table = "rejected" if flt.rejected else "events"
        cond, args = where(flt, mark="%s", like="ILIKE")
        rows = await self._query(f"SELECT count(*) FROM {table} WHERE {cond}", args)
        return int(rows[0][0])

    async def newest(
        self, flt: EventFilter, *, before_id: int | None = None, limit: int = 200
    ) -> list[StoredEvent]:
        table = "rejected" if flt.rejected else "events"
        cond, args = where(flt, mark="%s", like="ILIKE")
        if before_id is not None:
            cond += " AND id < %s"
            args.append(before_id)
        args.append(max(0, limit))
        sql = f"SELECT id, {COLUMNS} FROM {table} WHERE {cond} ORDER BY id DESC LIMIT %s"
        return [row_to_event(r) for r in await self._query(sql, args)]

    async def after(self, after_id: int, *, limit: int = 500) -> list[StoredEvent]:
        sql = f"SELECT id, {COLUMNS} FROM events WHERE id > %s ORDER BY id LIMIT %s"
        return [row_to_event(r) for r in await self._query(sql, [after_id, max(0, limit)])]

    async def get(self, event_id: int, *, rejected: bool = False) -> StoredEvent | None:
        table = "rejected" if rejected else "events"
        rows = await self._query(f"SELECT id, {COLUMNS} FROM {table} WHERE id = %s", [event_id])
        return row_to_event(rows[0]) if rows else None

    async def _query(self, sql: str, args: list[Any]) -> list[tuple[Any, ...]]:
        if self._pool is None or self._closed:
            raise StoreUnavailable("the team event log is not open")
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(sql, args)
                return await cursor.fetchall()
        except CONNECTION_ERRORS as exc:
            raise unavailable(exc) from None

    @staticmethod
    async def _read_after(
        conn: psycopg.AsyncConnection[Any], after_id: int, limit: int
    ) -> list[StoredEvent]:
        sql = f"SELECT id, {COLUMNS} FROM events WHERE id > %s ORDER BY id LIMIT %s"
        cursor = await conn.execute(sql, (after_id, limit))
        return [row_to_event(r) for r in await cursor.fetchall()]

    # --- bounded disk -----------------------------------------------------------------------------
    async def maintain(self, now: float | None = None) -> int:
        """One retention pass (by one collector at a time: the others skip it): events older
        than `max_age_s`, in small transactions; then whether the events fill `max_rows` (no
        event is deleted to make room: the log says it is full). Returns the events deleted.
        Space is reused by PostgreSQL's autovacuum. A login that does not own the tables prunes
        through the owner's retention function, whose bounds win (docs/team-mode.md)."""
        if self._pool is None or self._closed:
            raise StoreUnavailable("the team event log is not open")
        now = time.time() if now is None else now
        keep = rejected_rows_cap(self.max_rejected, self.max_rejected_bytes)
        deleted = 0
        try:
            async with self._pool.connection() as conn:
                while self.retention != NONE:
                    n, more = await prune_once(conn, self.retention, now, self.max_age_s, keep)
                    if n < 0:
                        break  # another collector is maintaining
                    deleted += n
                    if not more:
                        break
                self._measure_room(await _scalar(conn, "SELECT count(*) FROM events"))
        except CONNECTION_ERRORS as exc:
            raise unavailable(exc) from None
        return deleted

    def _measure_room(self, rows: int) -> None:
        """Whether the events fill `max_rows` (the refused record has its own budget)."""
        if rows > self.max_rows:
            if not self.full:
                log.error("the team event log is full: %s events", rows)
            self.full = full_reason(f"{rows:,} events", f"{self.max_rows:,} events")
        elif self.full and rows < 0.95 * self.max_rows:
            log.warning("the team event log has room again")
            self.full = ""

    async def _maintain_forever(self) -> None:
        while True:
            await asyncio.sleep(self._maintenance_interval_s)
            try:
                await self.maintain()
            except (psycopg.Error, StoreUnavailable) as exc:
                log.warning("team event log maintenance failed: %s", reason(exc))


async def _insert_event(conn: psycopg.AsyncConnection[Any], job: _Job) -> Appended:
    if not job.nonce:
        cursor = await conn.execute(_INSERT, job.values)
        ident = int(_first(await cursor.fetchone()))
        return Appended(replace(job.event, id=ident, verdict=Verdict.ACCEPTED), False)
    cursor = await conn.execute(
        _INSERT_SIGNED, (job.nonce, job.fingerprint, job.event.received_at, *job.values)
    )
    row = await cursor.fetchone()
    if row is not None:
        return Appended(replace(job.event, id=int(row[0]), verdict=Verdict.ACCEPTED), False)
    # The nonce is used (by this collector or another one): a replay, or a forgery.
    cursor = await conn.execute(_ORIGINAL, (job.nonce,))
    found = await cursor.fetchone()
    if found is None:  # pragma: no cover - the conflicting row vanished (pruned) meanwhile
        raise psycopg.errors.SerializationFailure("the replayed event's record was pruned")
    original = row_to_event(found[2:]) if found[2] is not None else None
    kept = str(found[1])
    if not kept and original is not None:  # carried over from the old record: recompute
        kept = request_fingerprint(original.method, original.url, original.params)
    conflict = bool(kept) and kept != job.fingerprint
    return Appended(original or replace(job.event, id=int(found[0])), not conflict, conflict)


async def _scalar(conn: psycopg.AsyncConnection[Any], sql: str) -> int:
    cursor = await conn.execute(sql)
    return int(_first(await cursor.fetchone()))


def _first(row: tuple[Any, ...] | None) -> Any:
    if row is None:  # pragma: no cover - RETURNING and aggregates always give a row
        raise psycopg.DataError("no row returned")
    return row[0]


def _settle(job: _Job, result: Any) -> None:
    if not job.future.done():
        job.future.set_result(result)


def _fail(batch: list[_Job], exc: BaseException) -> None:
    for job in batch:
        if not job.future.done():
            job.future.set_exception(exc)
            with contextlib.suppress(Exception):
                job.future.exception()  # retrieved: an abandoned awaiter logs no warning
