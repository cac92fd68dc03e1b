"""The event log: every accepted status callback, verbatim, in SQLite (docs/callbacks.md).

Writes go through the store's one writer thread with group commit (`SqliteWriter`), so `append`
returns only once the event is on disk: the receiver answers 200 after that and never before.
Reads run on a second thread with its own connection (WAL lets it read while the writer writes),
so the GUI loop only awaits. Pages are keyset-paged by id, which stays fast at millions of rows.

Three tables: `events` (accepted callbacks), `rejected` (refused requests and replays, kept apart
and size-bounded for inspection), `nonces` (the (nonce, signature) of every accepted request: the
persistent replay record, checked in the same transaction that stores the event). Disk is bounded:
events older than `max_age_s` and, past `max_bytes`, the oldest events are deleted in small
batches; the WAL is checkpointed and truncated after each maintenance pass.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from console.domain.events import EventFilter, StoredEvent, Verdict
from console.store.event_rows import (
    COLUMNS as _COLUMNS,
)
from console.store.event_rows import (
    DEFAULT_MAX_AGE_S,
    DEFAULT_MAX_REJECTED,
    MAINTENANCE_INTERVAL_S,
    MAX_NONCES,
    NONCE_MIN_AGE_S,
    PRUNE_BATCH,
    Appended,
    Listener,
    notify,
    row_to_event,
    where,
)
from console.store.event_rows import (
    event_values as _values,
)
from console.store.sqlite_writer import SqliteWriter, StoreUnavailable

T = TypeVar("T")
log = logging.getLogger(__name__)

_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    event TEXT NOT NULL,
    call_uuid TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    account TEXT NOT NULL,
    source TEXT NOT NULL,
    verdict TEXT NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    params TEXT NOT NULL,   -- JSON object: every parameter, verbatim
    headers TEXT NOT NULL,  -- JSON object: the request headers, verbatim
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS {name}_received ON {name}(received_at);
"""
SCHEMA = (
    _TABLE.format(name="events")
    + _TABLE.format(name="rejected")
    + """
CREATE INDEX IF NOT EXISTS events_event ON events(event, id);
CREATE INDEX IF NOT EXISTS events_call ON events(call_uuid, id);
CREATE INDEX IF NOT EXISTS events_stream ON events(stream_id, id);
CREATE TABLE IF NOT EXISTS nonces (
    nonce TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_at REAL NOT NULL,
    event_id INTEGER NOT NULL,
    PRIMARY KEY (nonce, signature)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_received ON nonces(received_at);
"""
)
PRAGMAS = ("PRAGMA journal_size_limit=67108864",)  # the WAL is cut back to 64 MiB at checkpoints

DEFAULT_MAX_BYTES = 512 * 1024 * 1024


class EventLog:
    """Writer and reader of the event log; implements `console.domain.events.EventReader`."""

    def __init__(
        self,
        path: Path,
        *,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_rejected: int = DEFAULT_MAX_REJECTED,
        maintenance_interval_s: float = MAINTENANCE_INTERVAL_S,
    ) -> None:
        self.path = path
        self.max_age_s = max_age_s
        self.max_bytes = max_bytes
        self.max_rejected = max_rejected
        self._writer = SqliteWriter(path, SCHEMA, name="event-log-writer", pragmas=PRAGMAS)
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-log-reader")
        self._read_conn: sqlite3.Connection | None = None
        self._listeners: list[Listener] = []
        self._fresh: list[StoredEvent] = []
        self._flush_scheduled = False
        self._maintenance_interval_s = maintenance_interval_s
        self._maintenance: asyncio.Task[None] | None = None
        self._rejected_since_prune = 0

    # --- life cycle -------------------------------------------------------------------------------
    @property
    def recovered_from(self) -> Path | None:
        """Where a damaged file was moved on open (for a notice), else None."""
        return self._writer.recovered_from

    @property
    def unavailable(self) -> str:
        """Why the log cannot be written right now ('' when it can)."""
        return self._writer.unavailable

    @property
    def pending_writes(self) -> int:
        return self._writer.pending

    async def open(self) -> None:
        await self._writer.open()
        if self._maintenance_interval_s > 0:
            self._maintenance = asyncio.get_running_loop().create_task(self._maintain_forever())

    async def close(self) -> None:
        if self._maintenance is not None:
            self._maintenance.cancel()
            await asyncio.gather(self._maintenance, return_exceptions=True)
            self._maintenance = None
        self._flush()
        await self._writer.close()
        await asyncio.get_running_loop().run_in_executor(self._reader, self._close_reader)
        self._reader.shutdown(wait=True)

    def add_listener(self, listener: Listener) -> None:
        """`listener(events)` runs on the loop with the events just committed (a batch at a
        time, oldest first); replays and rejections are not passed on."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # --- writing ----------------------------------------------------------------------------------
    async def append(self, event: StoredEvent, *, nonce: str = "", signature: str = "") -> Appended:
        """Keep an accepted event; returns after COMMIT. With a nonce, an exact (nonce, signature)
        repeat of a kept request is not stored again (`Appended.replay`). Raises sqlite3.Error or
        StoreUnavailable when it could not be kept."""
        values = _values(event)

        def job(conn: sqlite3.Connection) -> Appended:
            if nonce:
                row = conn.execute(
                    "SELECT event_id FROM nonces WHERE nonce = ? AND signature = ?",
                    (nonce, signature),
                ).fetchone()
                if row is not None:
                    original = _select_one(conn, "events", row[0])
                    return Appended(original or replace(event, id=row[0]), True)
            cursor = conn.execute(
                f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", values
            )
            ident = cursor.lastrowid or 0
            if nonce:
                conn.execute(
                    "INSERT INTO nonces (nonce, signature, received_at, event_id) "
                    "VALUES (?, ?, ?, ?)",
                    (nonce, signature, event.received_at, ident),
                )
            return Appended(replace(event, id=ident, verdict=Verdict.ACCEPTED), False)

        done = await self._writer.submit(job)
        if not done.replay and self._listeners:
            self._fresh.append(done.event)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                asyncio.get_running_loop().call_soon(self._flush)
        return done

    async def reject(self, event: StoredEvent) -> int:
        """Keep a refused request (or a replay) for inspection; the table keeps only the newest
        `max_rejected`. Returns its id in the rejected table."""
        values = _values(event)
        self._rejected_since_prune += 1
        prune = self._rejected_since_prune >= 100
        if prune:
            self._rejected_since_prune = 0
        cap = self.max_rejected

        def job(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                f"INSERT INTO rejected ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", values
            )
            ident = cursor.lastrowid or 0
            if prune:
                conn.execute("DELETE FROM rejected WHERE id <= ?", (ident - cap,))
            return ident

        return await self._writer.submit(job)

    def _flush(self) -> None:
        self._flush_scheduled = False
        fresh, self._fresh = self._fresh, []
        notify(self._listeners, fresh)

    # --- reading (EventReader) --------------------------------------------------------------------
    async def count(self, flt: EventFilter) -> int:
        table = "rejected" if flt.rejected else "events"
        cond, args = where(flt)
        row = await self._read(
            lambda c: c.execute(f"SELECT count(*) FROM {table} WHERE {cond}", args).fetchone()
        )
        return int(row[0])

    async def newest(
        self, flt: EventFilter, *, before_id: int | None = None, limit: int = 200
    ) -> list[StoredEvent]:
        table = "rejected" if flt.rejected else "events"
        cond, args = where(flt)
        if before_id is not None:
            cond += " AND id < ?"
            args.append(before_id)
        sql = f"SELECT id, {_COLUMNS} FROM {table} WHERE {cond} ORDER BY id DESC LIMIT ?"
        args.append(max(0, limit))
        rows = await self._read(lambda c: c.execute(sql, args).fetchall())
        return [row_to_event(r) for r in rows]

    async def after(self, after_id: int, *, limit: int = 500) -> list[StoredEvent]:
        sql = f"SELECT id, {_COLUMNS} FROM events WHERE id > ? ORDER BY id LIMIT ?"
        rows = await self._read(lambda c: c.execute(sql, (after_id, max(0, limit))).fetchall())
        return [row_to_event(r) for r in rows]

    async def get(self, event_id: int, *, rejected: bool = False) -> StoredEvent | None:
        table = "rejected" if rejected else "events"
        return await self._read(lambda c: _select_one(c, table, event_id))

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._reader, lambda: fn(self._reader_conn())
        )

    def _reader_conn(self) -> sqlite3.Connection:
        if self._read_conn is None:
            if not self.path.exists():
                raise StoreUnavailable(self.unavailable or f"no event log at {self.path}")
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only=1")
            self._read_conn = conn
        return self._read_conn

    def _close_reader(self) -> None:
        if self._read_conn is not None:
            self._read_conn.close()
            self._read_conn = None

    # --- bounded disk -----------------------------------------------------------------------------
    async def maintain(self, now: float | None = None) -> int:
        """One retention pass: delete what is too old or over the size cap (in small
        transactions, so callbacks keep flowing), then checkpoint the WAL. Returns rows deleted."""
        now = time.time() if now is None else now
        deleted = 0
        while True:
            n = await self._writer.submit(lambda c: self._prune_once(c, now))
            deleted += n
            if n < PRUNE_BATCH:
                break
        await self._writer.submit(
            lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone(), transactional=False
        )
        return deleted

    def _prune_once(self, conn: sqlite3.Connection, now: float) -> int:
        cutoff = now - self.max_age_s
        n = conn.execute(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < ? "
            "ORDER BY id LIMIT ?)",
            (cutoff, PRUNE_BATCH),
        ).rowcount
        conn.execute("DELETE FROM rejected WHERE received_at < ?", (cutoff,))
        conn.execute(
            "DELETE FROM nonces WHERE received_at < ?",
            (now - max(self.max_age_s, NONCE_MIN_AGE_S),),
        )
        used = _used_bytes(conn)
        if n < PRUNE_BATCH and used > self.max_bytes:
            # Over the cap: drop the oldest share that brings the file to ~90 % of it.
            rows = conn.execute("SELECT count(*) FROM events").fetchone()[0]
            share = (used - 0.9 * self.max_bytes) / used
            k = max(1, min(PRUNE_BATCH - n, int(rows * share) + 1))
            n += conn.execute(
                "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?)", (k,)
            ).rowcount
        total = conn.execute("SELECT count(*) FROM nonces").fetchone()[0]
        if total > MAX_NONCES:
            conn.execute(
                "DELETE FROM nonces WHERE received_at <= (SELECT received_at FROM nonces "
                "ORDER BY received_at LIMIT 1 OFFSET ?)",
                (total - MAX_NONCES - 1,),
            )
        return n

    async def _maintain_forever(self) -> None:
        while True:
            await asyncio.sleep(self._maintenance_interval_s)
            try:
                await self.maintain()
            except (sqlite3.Error, StoreUnavailable) as exc:
                log.warning("event log maintenance failed: %s", exc)


def _used_bytes(conn: sqlite3.Connection) -> int:
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def _select_one(conn: sqlite3.Connection, table: str, ident: int) -> StoredEvent | None:
    row = conn.execute(f"SELECT id, {_COLUMNS} FROM {table} WHERE id = ?", (ident,)).fetchone()
    return row_to_event(row) if row is not None else None


def iter_rows(conn: sqlite3.Connection, flt: EventFilter) -> Iterable[StoredEvent]:
    """Every matching row oldest first, streamed (for export)."""
    table = "rejected" if flt.rejected else "events"
    cond, args = where(flt)
    for row in conn.execute(f"SELECT id, {_COLUMNS} FROM {table} WHERE {cond} ORDER BY id", args):
        yield row_to_event(row)
