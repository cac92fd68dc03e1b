"""The event log: every accepted status callback, verbatim, in SQLite (docs/callbacks.md).

Writes go through the store's one writer thread with group commit (`SqliteWriter`), so `append`
returns only once the event is on disk: the receiver answers 200 after that and never before.
Reads run on a second thread with its own connection (WAL lets it read while the writer writes),
so the GUI loop only awaits. Pages are keyset-paged by id, which stays fast at millions of rows.

Three tables: `events` (accepted callbacks), `rejected` (refused requests and replays, each cut
short and kept apart within a byte budget of their own, for inspection), `used_nonces` (the nonce
and content fingerprint of every accepted request: the persistent replay record, checked in the
same transaction that stores the event). Disk is bounded: events older than `max_age_s` are
deleted in small batches; an event is never deleted to make room: when the events fill
`max_bytes`, the log says it is full and refuses new ones (the receiver answers 503, so Plivo
tries again later) until age frees room or the limit is raised. The WAL is checkpointed and
truncated after each maintenance pass.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, TypeVar

from console.domain.events import EventFilter, StoredEvent, Verdict
from console.domain.refused import REFUSED_ROW_MAX_BYTES, bounded_refusal
from console.domain.signature import request_fingerprint
from console.store import event_rows
from console.store.event_rows import COLUMNS as _COLUMNS
from console.store.event_rows import (
    DEFAULT_MAX_AGE_S,
    DEFAULT_MAX_REJECTED,
    DEFAULT_MAX_REJECTED_BYTES,
    MAINTENANCE_INTERVAL_S,
    MAX_NONCES,
    NONCE_MIN_AGE_S,
    PRUNE_BATCH,
    Appended,
    Listener,
    full_reason,
    notify,
    rejected_rows_cap,
    row_to_event,
    text_needle,
)
from console.store.event_rows import event_values as _values
from console.store.sqlite_writer import SqliteWriter, StoreFull, StoreUnavailable

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
BASE_SCHEMA = (
    _TABLE.format(name="events")
    + _TABLE.format(name="rejected")
    + """
CREATE INDEX IF NOT EXISTS events_event ON events(event, id);
CREATE INDEX IF NOT EXISTS events_call ON events(call_uuid, id);
CREATE INDEX IF NOT EXISTS events_stream ON events(stream_id, id);
CREATE TABLE IF NOT EXISTS used_nonces (
    nonce TEXT NOT NULL PRIMARY KEY,
    fingerprint TEXT NOT NULL,  -- request_fingerprint(); '' when carried over from `nonces`
    received_at REAL NOT NULL,
    event_id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS used_nonces_received ON used_nonces(received_at);
-- Logs written before nonces were keyed alone kept (nonce, signature): carry them over, once.
CREATE TABLE IF NOT EXISTS nonces (
    nonce TEXT NOT NULL, signature TEXT NOT NULL, received_at REAL NOT NULL,
    event_id INTEGER NOT NULL, PRIMARY KEY (nonce, signature)
) WITHOUT ROWID;
INSERT OR IGNORE INTO used_nonces (nonce, fingerprint, received_at, event_id)
    SELECT nonce, '', received_at, event_id FROM nonces ORDER BY event_id;
DROP TABLE nonces;
"""
)
FTS_SCHEMA = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS fts_covered (
    one INTEGER PRIMARY KEY CHECK (one = 1),  -- a single row, whoever opens the log how often
    below INTEGER NOT NULL,
    above INTEGER NOT NULL
);
-- Logs written before kept the range in `fts_backlog`, which had no such constraint: its guarded
-- INSERT ... SELECT max(id) ... WHERE NOT EXISTS added a row (1, 0) at every open (an aggregate
-- yields its one row whatever the WHERE), and the unindexed count multiplied by the rows. Its
-- first row is the one every read, the trigger and the indexer used: carry that over, once.
CREATE TABLE IF NOT EXISTS fts_backlog (below INTEGER NOT NULL, above INTEGER NOT NULL);
INSERT OR IGNORE INTO fts_covered (one, below, above)
    SELECT 1, below, above FROM fts_backlog ORDER BY rowid LIMIT 1;
DROP TRIGGER IF EXISTS events_fts_delete;
DROP TABLE fts_backlog;
INSERT OR IGNORE INTO fts_covered (one, below, above)
    SELECT 1, coalesce(max(id), 0) + 1, coalesce(max(id), 0) FROM events;
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(
    params, content='events', content_rowid='id', tokenize='trigram', detail=none
);
CREATE TRIGGER IF NOT EXISTS events_fts_forget AFTER DELETE ON events
    WHEN old.id BETWEEN (SELECT below FROM fts_covered) AND (SELECT above FROM fts_covered)
BEGIN
    INSERT INTO events_fts (events_fts, rowid, params) VALUES ('delete', old.id, old.params);
END;
COMMIT;
"""
SCHEMA = BASE_SCHEMA + FTS_SCHEMA
# Free text: `events_fts` indexes the parameters' JSON text by trigrams (any 3 characters), with
# no positions (about the size of the text, not three times), so a search asks for rows holding
# every trigram of the needle and LIKE then confirms the substring: the index only narrows, the
# meaning stays "case-insensitive substring". The index covers the ids from `fts_covered.below`
# to `fts_covered.above`; rows outside (the newest, while callbacks pour in; a log from before
# the index) are searched by LIKE alone until `_index_forever` adds them. Indexing costs the
# writer about as much again as storing the event, so it is kept off the path a callback waits
# on: measured at 2,000 callbacks/s, indexing in the insert's transaction took the writer's CPU
# per event from ~95 to ~220 µs and the ack latency p50 from ~20 ms to over a second.
PRAGMAS = ("PRAGMA journal_size_limit=67108864",)  # the WAL is cut back to 64 MiB at checkpoints

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
APPEND_BATCH_MAX = 500  # events written by one job (one transaction holds at most a few jobs)
FTS_CHUNK = 2_000  # events indexed per transaction
FTS_PAUSE_S = 0.05  # between those transactions, so callbacks are stored meanwhile
FTS_INTERVAL_S = 1.0  # how often the indexer looks for events to index
FTS_RETRY_DOUBLINGS = 6  # after failures it looks half as often each time, down to once a minute
FTS_BUSY_RATE = 200.0  # callbacks/s above which indexing waits (for a quieter moment) ...
FTS_MAX_UNINDEXED = 100_000  # ... unless this many new events wait (LIKE reads them, ~0.4 s)
APPEND_LINGER_S = 0.005  # under load, how long a batch may gather before it is written

_Item = tuple[tuple[Any, ...], str, str, StoredEvent, "asyncio.Future[Appended]"]


@dataclass(eq=False)
class _Batch:
    """Appends from one loop waiting for the writer: they go to disk as one job, so an event
    costs two statements, not a savepoint and a future of its own on the writer thread."""

    loop: asyncio.AbstractEventLoop
    items: list[_Item] = field(default_factory=list)
    closed: bool = False
    opened: float = field(default_factory=time.monotonic)


def where(flt: EventFilter) -> tuple[str, list[Any]]:
    """The SQL condition and its arguments for a filter, the free text narrowed by the trigram
    index (see `FTS_SCHEMA`)."""
    return event_rows.where(flt, text_index=_fts_narrowing)


def _fts_narrowing(needle: str) -> tuple[str, list[Any]]:
    """Rows of the index holding the needle's trigrams, and every row the index does not cover
    yet; a needle shorter than a trigram is left to LIKE alone."""
    if len(needle) < 3:
        return "", []
    return (
        "events.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ? "
        "UNION ALL SELECT id FROM events WHERE id < (SELECT below FROM fts_covered) "
        "UNION ALL SELECT id FROM events WHERE id > (SELECT above FROM fts_covered))",
        [trigram_query(needle)],
    )


def trigram_query(needle: str) -> str:
    """An FTS5 query for rows holding the 3-character pieces of `needle` that cover it end to end
    without overlapping (FTS5 folds case). Any of its pieces only narrows, LIKE confirms; every
    piece would only add doclists to intersect."""
    return " AND ".join(_quoted(piece) for piece in _pieces(needle))


def _pieces(needle: str) -> list[str]:
    starts = [*range(0, len(needle) - 3, 3), len(needle) - 3]
    return list(dict.fromkeys(needle[i : i + 3] for i in starts))


def _quoted(piece: str) -> str:
    return '"' + piece.replace('"', '""') + '"'


class EventLog:
    """Writer and reader of the event log; implements `console.domain.events.EventReader`."""

    def __init__(
        self,
        path: Path,
        *,
        max_age_s: float = DEFAULT_MAX_AGE_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_rejected: int = DEFAULT_MAX_REJECTED,
        max_rejected_bytes: int = DEFAULT_MAX_REJECTED_BYTES,
        maintenance_interval_s: float = MAINTENANCE_INTERVAL_S,
    ) -> None:
        self.path = path
        self.max_age_s = max_age_s
        self.max_bytes = max_bytes
        self.max_rejected = max_rejected
        self.max_rejected_bytes = max_rejected_bytes
        self.full = ""  # why new events are refused for want of room ('' while there is room)
        self._writer = SqliteWriter(path, SCHEMA, name="event-log-writer", pragmas=PRAGMAS)
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-log-reader")
        self._read_conn: sqlite3.Connection | None = None
        self._listeners: list[tuple[Listener, asyncio.AbstractEventLoop | None]] = []
        self._batches: dict[asyncio.AbstractEventLoop, _Batch] = {}
        self._batch_lock = threading.Lock()  # the writer thread closes what loops append to
        self._busy = False  # the last batch written held more than one event (writer thread)
        self._appended = 0  # events handed to append, for the indexer's idea of the load
        self._maintenance_interval_s = maintenance_interval_s
        self._maintenance: asyncio.Task[None] | None = None
        self._indexing: asyncio.Task[None] | None = None
        self._rejected_since_prune = 0

    # --- life cycle -------------------------------------------------------------------------------
    @property
    def recovered_from(self) -> Path | None:
        """Where a damaged file was moved on open (for a notice), else None."""
        return self._writer.recovered_from

    @property
    def unavailable(self) -> str:
        """Why the log cannot be written right now ('' when it can)."""
        return self._writer.unavailable or self.full

    @property
    def pending_writes(self) -> int:
        return self._writer.pending

    async def open(self) -> None:
        await self._writer.open()
        if not self._writer.unavailable:
            await self._writer.submit(self._measure_room)
        loop = asyncio.get_running_loop()
        if self._maintenance_interval_s > 0:
            self._maintenance = loop.create_task(self._maintain_forever())
        self._indexing = loop.create_task(self._index_forever())  # also once the file reopens

    async def close(self) -> None:
        for task in (self._maintenance, self._indexing):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._maintenance = self._indexing = None
        await self._writer.close()
        await asyncio.get_running_loop().run_in_executor(self._reader, self._close_reader)
        self._reader.shutdown(wait=True)

    def add_listener(self, listener: Listener) -> None:
        """`listener(events)` runs with the events just committed (a commit at a time, oldest
        first), on the loop it was added from, whichever loop appended them (the receiver may
        run on a thread of its own); replays and rejections are not passed on."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None  # added outside a loop: called on the appending loop
        self._listeners.append((listener, loop))

    def remove_listener(self, listener: Listener) -> None:
        self._listeners = [(f, loop) for f, loop in self._listeners if f != listener]

    # --- writing ----------------------------------------------------------------------------------
    async def append(self, event: StoredEvent, *, nonce: str = "") -> Appended:
        """Keep an accepted event; returns after COMMIT. A nonce is used once: a request with
        the nonce of a kept one is not stored again, as a replay when it said the same
        (`Appended.replay`), as a forgery when it did not (`Appended.conflict`). Raises
        sqlite3.Error or StoreUnavailable (StoreFull when the log is full) when it was not kept.

        Appends arriving while the writer is busy join one batch, written by one job when the
        writer gets to it (group commit as before, with less work per event)."""
        if self.full:
            raise StoreFull(self.full)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Appended] = loop.create_future()
        fingerprint = request_fingerprint(event.method, event.url, event.params) if nonce else ""
        item = (_values(event), nonce, fingerprint, event, done)
        self._appended += 1
        with self._batch_lock:
            batch = self._batches.get(loop)
            fresh = batch is None or batch.closed or len(batch.items) >= APPEND_BATCH_MAX
            if fresh:
                batch = self._batches[loop] = _Batch(loop)
            assert batch is not None
            batch.items.append(item)
        if fresh:
            try:
                job = self._writer.submit_nowait(lambda conn: self._write_batch(conn, batch))
            except StoreUnavailable as exc:
                job = loop.create_future()
                job.set_exception(exc)
            job.add_done_callback(lambda f: self._settle(batch, f))
        # A caller that stops waiting cancels only its own future: the batch is written anyway.
        return await done

    def _close(self, batch: _Batch) -> list[_Item]:
        with self._batch_lock:
            batch.closed = True
            if self._batches.get(batch.loop) is batch:
                del self._batches[batch.loop]
            return list(batch.items)

    def _write_batch(self, conn: sqlite3.Connection, batch: _Batch) -> list[Appended | Exception]:
        """On the writer thread, inside its transaction: every event of the batch. Under load
        (the last batch held more than one event) the batch is first left open for up to
        `APPEND_LINGER_S` since it began, so one commit carries more events: fewer syncs, fewer
        pages written, less CPU per event, at a cost of a few ms of ack latency under load only."""
        if self._busy and len(batch.items) < APPEND_BATCH_MAX:
            wait = batch.opened + APPEND_LINGER_S - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        items = self._close(batch)
        self._busy = len(items) > 1
        if len(items) > 1:
            at_once = _insert_at_once(conn, items)
            if at_once is not None:
                return at_once
        out: list[Appended | Exception] = []
        for values, nonce, fingerprint, event, _ in items:
            ident = 0
            try:
                ident = conn.execute(_INSERT_EVENT, values).lastrowid or 0
                if nonce:
                    conn.execute(_INSERT_NONCE, (nonce, fingerprint, event.received_at, ident))
                out.append(Appended(_stored(event, ident), False))
            except sqlite3.IntegrityError:  # the nonce is used: a replay, or a forgery
                out.append(_nonce_used(conn, event, ident, nonce, fingerprint))
            except sqlite3.Error as exc:
                if not conn.in_transaction:  # SQLite gave up the transaction: all fail
                    raise
                if ident:
                    conn.execute("DELETE FROM events WHERE id = ?", (ident,))
                out.append(exc)
        return out

    def _settle(self, batch: _Batch, job: asyncio.Future[list[Appended | Exception]]) -> None:
        """On the appending loop once the batch's transaction ended: answer every append, then
        pass the new events on."""
        items = self._close(batch)  # already closed unless the job never ran
        if job.cancelled():
            results: list[Appended | BaseException] = [StoreUnavailable("write cancelled")]
        elif job.exception() is not None:
            results = [job.exception() or StoreUnavailable("write failed")]
        else:
            results = list(job.result())
        if len(results) != len(items):
            results = results[:1] * len(items)
        fresh: list[StoredEvent] = []
        for (*_, done), result in zip(items, results, strict=True):
            if done.done():
                continue
            if isinstance(result, BaseException):
                done.set_exception(result)
            else:
                done.set_result(result)
                if not (result.replay or result.conflict):
                    fresh.append(result.event)
        if fresh:
            self._notify(fresh)

    def _notify(self, fresh: list[StoredEvent]) -> None:
        here = asyncio.get_running_loop()
        for listener, loop in list(self._listeners):
            if loop is None or loop is here:
                notify([listener], fresh)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(notify, [listener], fresh)

    async def reject(self, event: StoredEvent) -> int:
        """Keep a refused request (or a replay) for inspection, cut short (`bounded_refusal`);
        the table keeps only the newest rows that fit its own budget (`rejected_rows_cap`).
        Returns its id in the rejected table."""
        values = _values(bounded_refusal(event))
        self._rejected_since_prune += 1
        prune = self._rejected_since_prune >= 100
        if prune:
            self._rejected_since_prune = 0
        cap = rejected_rows_cap(self.max_rejected, self.max_rejected_bytes)

        def job(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                f"INSERT INTO rejected ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", values
            )
            ident = cursor.lastrowid or 0
            if prune:
                conn.execute("DELETE FROM rejected WHERE id <= ?", (ident - cap,))
            return ident

        return await self._writer.submit(job)

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
        if _index_needles(flt):
            found = await self._read(
                partial(_newest_by_text, flt=flt, before_id=before_id, limit=limit)
            )
            return [row_to_event(r) for r in found]
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
        await self._writer.submit(self._measure_room)
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
            "DELETE FROM used_nonces WHERE received_at < ?",
            (now - max(self.max_age_s, NONCE_MIN_AGE_S),),
        )
        total = conn.execute("SELECT count(*) FROM used_nonces").fetchone()[0]
        if total > MAX_NONCES:
            conn.execute(
                "DELETE FROM used_nonces WHERE received_at <= (SELECT received_at FROM "
                "used_nonces ORDER BY received_at LIMIT 1 OFFSET ?)",
                (total - MAX_NONCES - 1,),
            )
        return n

    def _measure_room(self, conn: sqlite3.Connection) -> None:
        """On the writer thread: whether the events (and what indexes them) fill `max_bytes`.
        The refused record is not counted: it has a budget of its own, so refused traffic can
        neither make the log full nor push an event out."""
        used = _used_bytes(conn) - _rejected_bytes(conn)
        if used > self.max_bytes:
            if not self.full:
                log.error("event log %s is full: %s MB of events", self.path, used >> 20)
            self.full = full_reason(f"{used / 2**20:.0f} MB", f"{self.max_bytes / 2**20:.0f} MB")
        elif self.full and used < 0.95 * self.max_bytes:
            log.warning("event log %s has room again", self.path)
            self.full = ""

    async def unindexed(self) -> int:
        """Events not in the free-text index yet (searched by LIKE alone meanwhile)."""
        row = await self._read(lambda c: c.execute(_UNINDEXED).fetchone())
        return int(row[0])

    async def _index_forever(self) -> None:
        """Keep the free-text index up with the log, a chunk per transaction with pauses between,
        while callbacks arrive slower than `FTS_BUSY_RATE` (or too many wait); newest first."""
        seen, since = self._appended, time.monotonic()

        def rate() -> float:
            nonlocal seen, since
            now = time.monotonic()
            per_s = (self._appended - seen) / max(now - since, 1e-3)
            seen, since = self._appended, now
            return per_s

        failures = 0
        while True:
            # A failure is most often the file locked by another writer a while (a bulk import,
            # `receive` and the console on one log): try again later, less often while it lasts.
            await asyncio.sleep(FTS_INTERVAL_S * 2**failures)
            try:
                while await self._writer.submit(partial(_index_chunk, rate=rate())):
                    await asyncio.sleep(FTS_PAUSE_S)
                failures = 0
            except (sqlite3.Error, StoreUnavailable) as exc:
                if not failures:
                    log.warning("the event log's free-text index is behind, tried again: %s", exc)
                failures = min(failures + 1, FTS_RETRY_DOUBLINGS)

    async def _maintain_forever(self) -> None:
        while True:
            await asyncio.sleep(self._maintenance_interval_s)
            try:
                await self.maintain()
            except (sqlite3.Error, StoreUnavailable) as exc:
                log.warning("event log maintenance failed: %s", exc)


_INSERT_EVENT = f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
_NONCE_COLUMNS = "nonce, fingerprint, received_at, event_id"
_INSERT_NONCE = f"INSERT INTO used_nonces ({_NONCE_COLUMNS}) VALUES (?, ?, ?, ?)"


INSERT_ROWS_MAX = 64  # rows per multi-row INSERT: 768 parameters, under any SQLite's limit


def _insert_at_once(
    conn: sqlite3.Connection, items: list[_Item]
) -> list[Appended | Exception] | None:
    """A batch in a few multi-row INSERTs instead of two statements an event: each statement
    lets go of the GIL and waits to take it back from the receiver. None, with nothing written,
    when any row is refused (a nonce used before, or twice in the batch): the caller then
    writes them one by one, saying which was a replay."""
    conn.execute("SAVEPOINT at_once")
    try:
        ids: list[int] = []
        for chunk in _chunks(items):
            values = [value for item in chunk for value in item[0]]
            last = conn.execute(_insert_rows("events", _COLUMNS, 12, len(chunk)), values).lastrowid
            # One statement inside this connection's write transaction: consecutive ids.
            ids += range((last or 0) - len(chunk) + 1, (last or 0) + 1)
        nonces = [
            (nonce, fingerprint, event.received_at, ident)
            for (_, nonce, fingerprint, event, _), ident in zip(items, ids, strict=True)
            if nonce
        ]
        for rows in _chunks(nonces):
            values = [value for row in rows for value in row]
            conn.execute(_insert_rows("used_nonces", _NONCE_COLUMNS, 4, len(rows)), values)
    except sqlite3.Error:
        if not conn.in_transaction:  # SQLite gave up the transaction: all fail
            raise
        conn.execute("ROLLBACK TO at_once")
        conn.execute("RELEASE at_once")
        return None
    conn.execute("RELEASE at_once")
    return [
        Appended(_stored(item[3], ident), False) for item, ident in zip(items, ids, strict=True)
    ]


def _chunks(rows: list[T]) -> Iterable[list[T]]:
    """`rows` in pieces of at most INSERT_ROWS_MAX: a batch of up to that many is one statement
    (pieces of a power of two took about three for the same rows, each a GIL hand-over). The
    writer's statement cache holds every shape (`sqlite_writer.STATEMENT_CACHE`)."""
    for start in range(0, len(rows), INSERT_ROWS_MAX):
        yield rows[start : start + INSERT_ROWS_MAX]


@lru_cache(maxsize=2 * INSERT_ROWS_MAX)
def _insert_rows(table: str, columns: str, width: int, rows: int) -> str:
    one = "(" + ",".join("?" * width) + ")"
    return f"INSERT INTO {table} ({columns}) VALUES " + ",".join([one] * rows)


def _stored(event: StoredEvent, ident: int) -> StoredEvent:
    """`replace(event, id=ident, verdict=Verdict.ACCEPTED)`, built directly: `replace` looks
    every field up by name, about three times the cost, once per stored event."""
    return StoredEvent(
        id=ident, received_at=event.received_at, event=event.event, call_uuid=event.call_uuid,
        stream_id=event.stream_id, account=event.account, source=event.source,
        verdict=Verdict.ACCEPTED, method=event.method, url=event.url, params=event.params,
        headers=event.headers, detail=event.detail,
    )  # fmt: skip


def _nonce_used(
    conn: sqlite3.Connection, event: StoredEvent, ident: int, nonce: str, fingerprint: str
) -> Appended:
    """The nonce insert failed: a request under this nonce was kept before. Undo this copy and
    name the original: a replay when both said the same, a conflict (a forgery) when not."""
    if ident:
        conn.execute("DELETE FROM events WHERE id = ?", (ident,))
    row = conn.execute(
        "SELECT event_id, fingerprint FROM used_nonces WHERE nonce = ?", (nonce,)
    ).fetchone()
    original_id, kept = (int(row[0]), str(row[1])) if row is not None else (0, "")
    original = _select_one(conn, "events", original_id)
    if not kept and original is not None:  # carried over from the old record: recompute
        kept = request_fingerprint(original.method, original.url, original.params)
    conflict = bool(kept) and kept != fingerprint
    return Appended(original or replace(event, id=original_id), not conflict, conflict)


_UNINDEXED = (
    "SELECT (SELECT count(*) FROM events WHERE id < c.below) "
    "+ (SELECT count(*) FROM events WHERE id > c.above) FROM fts_covered AS c"
)


def _index_chunk(conn: sqlite3.Connection, rate: float) -> bool:
    """Index up to `FTS_CHUNK` events next to the indexed range: the newest first (when the log
    is quiet, or too many wait), then older ones. False when there was nothing to do now."""
    below, above = conn.execute("SELECT below, above FROM fts_covered").fetchone()
    newer = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM events WHERE id > ? LIMIT ?)",
        (above, FTS_MAX_UNINDEXED),
    ).fetchone()[0]
    if rate > FTS_BUSY_RATE and newer < FTS_MAX_UNINDEXED:
        return False
    if newer:
        top = conn.execute(
            "SELECT max(id) FROM (SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?)",
            (above, FTS_CHUNK),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO events_fts (rowid, params) SELECT id, params FROM events "
            "WHERE id > ? AND id <= ?",
            (above, top),
        )
        conn.execute("UPDATE fts_covered SET above = ?", (top,))
        return True
    if below <= 0:
        return False
    row = conn.execute(
        "SELECT id FROM events WHERE id < ? ORDER BY id DESC LIMIT 1 OFFSET ?",
        (below, FTS_CHUNK - 1),
    ).fetchone()
    low = int(row[0]) if row is not None else 0
    indexed = conn.execute(
        "INSERT INTO events_fts (rowid, params) SELECT id, params FROM events "
        "WHERE id >= ? AND id < ?",
        (low, below),
    ).rowcount
    conn.execute("UPDATE fts_covered SET below = ?", (low,))
    return low > 0 or indexed > 0


_NEWEST_OUTSIDE = (
    f"SELECT id, {_COLUMNS} FROM events WHERE id > ? AND id < ? AND {{cond}} "
    "ORDER BY id DESC LIMIT ?"
)
_NEWEST_INSIDE = (
    f"SELECT events.id, {_COLUMNS} FROM (SELECT rowid AS rid FROM events_fts "
    "WHERE events_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC) "
    "JOIN events ON events.id = rid WHERE {cond} ORDER BY rid DESC LIMIT ?"
)
_PROBE = (
    "SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?"
)
PROBE_DEPTH = 1_000  # a piece held by fewer of the indexed rows than this is rare
PROBES_MAX = 16  # pieces looked at (a long pasted needle: its first 48 characters)
PIECES_USED = 3  # the rarest pieces the index is asked for


def _index_needles(flt: EventFilter) -> list[str]:
    """What the parameters' index can narrow a filter by, as the JSON text holds it: the free
    text, and the Stream ID, which is the `StreamID` parameter (`StoredEvent.stream_id`, as
    the receiver stores it). Shorter than a trigram, or the refused record: nothing."""
    if flt.rejected:
        return []
    return [n for n in (text_needle(flt.text), text_needle(flt.stream_id)) if len(n) >= 3]


def _rarest_first(conn: sqlite3.Connection, needles: list[str]) -> list[str]:
    """The pieces of `needles`, the ones the fewest recent rows hold first. Intersecting costs
    about the sum of the doclists: a piece every row holds (`aaa` of `…-aaaa-4bbb-…`, `-4b` of
    any v4 UUID) costs ~100 ms on 1,000,000 events and narrows nothing, so each piece is first
    probed for the id of its `PROBE_DEPTH`-th newest row (under a millisecond: the walk stops
    there). Measured on the benchmark's log: a full stream ID, every piece ~390 ms; the 3
    rarest, probes included, ~5 ms."""
    pieces = list(dict.fromkeys(p for needle in needles for p in _pieces(needle)))[:PROBES_MAX]

    def depth(piece: str) -> int:
        row = conn.execute(_PROBE, (_quoted(piece), PROBE_DEPTH - 1)).fetchone()
        return -1 if row is None else int(row[0])  # -1: fewer rows than PROBE_DEPTH hold it

    return sorted(pieces, key=depth)


def _newest_by_text(
    conn: sqlite3.Connection, flt: EventFilter, before_id: int | None, limit: int
) -> list[event_rows.Row]:
    """The newest `limit` events matching a free-text or Stream ID filter (older than
    `before_id`), read range by range, newest first, each stopping once the page is full: the
    newest events the index does not cover yet (LIKE, newest first: a common word fills the
    page from the first rows, a rare one reads that tail once), then the indexed range (the
    index's candidates streamed newest first, LIKE confirming), then an older log's events not
    indexed yet. Searching the whole log through one `id IN (index UNION tail)` built the full
    candidate list first: with 100,000 new events unindexed that was ~250 ms for one page.

    Outside the index, the free text's rarest piece is tried before the whole needle: LIKE
    costs most for a needle whose first character the parameters are full of, and the piece
    turns most rows down at the cost of reading them (100,000 events, a call UUID's tail
    starting `0000`: ~70 ms of CPU, ~33 ms with its piece `999` first)."""
    cond, args = event_rows.where(flt)  # every condition, the free text and Stream ID as LIKE
    ranked = _rarest_first(conn, _index_needles(flt))
    text = text_needle(flt.text)
    hint = next((p for p in ranked if p in text), "")
    if hint:
        cond = f"params LIKE ? ESCAPE '\\' AND {cond}"
        args = [event_rows.substring_pattern(hint), *args]
    top = before_id if before_id is not None else _NO_ID_ABOVE
    found: list[event_rows.Row] = []
    conn.execute("BEGIN")  # one snapshot: the range and the rows it speaks of
    try:
        below, above = conn.execute("SELECT below, above FROM fts_covered").fetchone()
        found += conn.execute(
            _NEWEST_OUTSIDE.format(cond=cond), (above, top, *args, limit)
        ).fetchall()
        inside = (below, min(above, top - 1))
        if len(found) < limit and inside[0] <= inside[1]:
            query = " AND ".join(_quoted(p) for p in ranked[:PIECES_USED])
            found += conn.execute(
                _NEWEST_INSIDE.format(cond=cond), (query, *inside, *args, limit - len(found))
            ).fetchall()
        if len(found) < limit:
            found += conn.execute(
                _NEWEST_OUTSIDE.format(cond=cond), (0, min(below, top), *args, limit - len(found))
            ).fetchall()
    finally:
        conn.execute("COMMIT")
    return found


_NO_ID_ABOVE = 2**63 - 1


def _rejected_bytes(conn: sqlite3.Connection) -> int:
    """Pages the refused record holds (its table and index)."""
    try:
        row = conn.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat "
            "WHERE name IN ('rejected', 'rejected_received')"
        ).fetchone()
        return int(row[0])
    except sqlite3.OperationalError:  # an SQLite built without dbstat: assume the budget is full
        rows = conn.execute("SELECT count(*) FROM rejected").fetchone()[0]
        return int(rows) * REFUSED_ROW_MAX_BYTES


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
