"""One SQLite file, one writer thread, group commit: the store's single way to write durably.

SQLite connections belong to the thread that made them, and a commit with `synchronous=FULL` waits
for the disk; neither may happen on the GUI loop. So every write is a job handed to one dedicated
thread. The thread takes whatever jobs are waiting (at most `batch_max`) and runs them in ONE
transaction, each inside its own savepoint so one failing job fails alone; a job's awaiter is
resumed only after COMMIT returned, so "awaited" means "on disk". While one batch is being synced
the next one gathers, which is what lets a few hundred fsyncs a second carry thousands of writes.

WAL journal, `synchronous=FULL`: a committed write survives an app crash, kill -9 and power loss.
A file that SQLite says is not a database, or that fails `quick_check` (run on files up to
64 MiB), is moved aside with a
timestamp and a fresh one started (`recovered_from` says where the old one went). Any other
failure to open (read-only directory, disk full) leaves the writer *unavailable*: jobs fail with
`StoreUnavailable` and opening is retried now and then, so the caller can refuse work (HTTP 503)
instead of pretending, and recovers when the disk does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

# SQLite primary result codes that mean "this file is damaged", as opposed to "cannot write now".
_DAMAGED_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
REOPEN_INTERVAL_S = 2.0
# Prepared statements kept per connection (Python's default is 128): the event log inserts a
# batch in one statement whose shape is its row count, up to 64 rows, for two tables.
STATEMENT_CACHE = 256


class StoreUnavailable(Exception):
    """The database cannot be opened or written at the moment (the reason is in the message)."""


class StoreFull(StoreUnavailable):
    """Callbacks fill the log's budget: nothing is deleted to make room, so new ones wait
    (the receiver answers 503 and Plivo tries again)."""


@dataclass(eq=False)
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    transactional: bool = True
    result: Any = None
    error: BaseException | None = None


@dataclass
class _Stop:
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[None]


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in _DAMAGED_CODES


def move_aside(path: Path) -> Path:
    """Rename a damaged database (and its -wal/-shm) to `<name>.damaged-<stamp>`."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    path.rename(aside)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(aside.with_name(aside.name + suffix))
    return aside


# `quick_check` reads every page: ~5 s for a 800 MB event log, far longer on a busy machine, and
# opening waits for it. Past this size the check is left to SQLite itself, which still refuses a
# file that is not a database (the header and schema are read above) and reports damaged pages
# when they are read.
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024


def _worth_checking(path: Path) -> bool:
    try:
        return path.stat().st_size <= QUICK_CHECK_MAX_BYTES
    except OSError:
        return True


def connect(path: Path, schema: str, *, pragmas: Sequence[str] = ()) -> sqlite3.Connection:
    """Open `path` in WAL/FULL mode and apply `schema`; raises on a damaged file."""
    create_private(path)
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=STATEMENT_CACHE
    )
    try:
        for pragma in pragmas:
            conn.execute(pragma)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(schema)
        if _worth_checking(path) and conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("quick_check failed")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def create_private(path: Path) -> None:
    """Create a missing database file empty with mode 0600 (POSIX), so SQLite never makes it with
    the umask's 0644 (it names accounts, calls and service URLs; SQLite gives its -wal and -shm
    files the database's mode); an existing file is left as it is."""
    if os.name != "posix":
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class SqliteWriter:
    """The writer thread for one database file. Await `open()` first, `close()` last."""

    def __init__(
        self,
        path: Path,
        schema: str,
        *,
        name: str = "sqlite-writer",
        batch_max: int = 500,
        pragmas: Sequence[str] = (),
    ) -> None:
        self.path = path
        self.recovered_from: Path | None = None  # set when a damaged file was moved aside
        self.unavailable: str = ""  # why the file cannot be written, "" when it can
        self._schema = schema
        self._pragmas = tuple(pragmas)
        self._batch_max = batch_max
        self._queue: queue.SimpleQueue[_Job | _Stop] = queue.SimpleQueue()
        self._conn: sqlite3.Connection | None = None
        self._last_open_attempt = 0.0
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._started = False
        self._closed = False
        self.batches = 0  # transactions committed, for tests and benchmarks

    @property
    def pending(self) -> int:
        """Jobs waiting for the thread (approximate): how far behind the disk is."""
        return self._queue.qsize()

    async def open(self) -> None:
        """Start the thread and open the file. A damaged file is moved aside; an unwritable one
        leaves the writer `unavailable` (not an exception: the caller keeps running and says so)."""
        if not self._started:
            self._started = True
            self._thread.start()
        try:
            await self.submit(lambda conn: None, transactional=False, need_connection=False)
        except asyncio.CancelledError:  # nobody will close a writer whose open was cancelled
            await self.close()
            raise

    async def submit(
        self,
        fn: Callable[[sqlite3.Connection], T],
        *,
        transactional: bool = True,
        need_connection: bool = True,
    ) -> T:
        """Run `fn(conn)` on the writer thread; transactional jobs are committed before this
        returns. Non-transactional jobs (checkpoints, exports, vacuum) run alone, outside any
        transaction. Raises `StoreUnavailable` when the file cannot be opened."""
        return await self.submit_nowait(
            fn, transactional=transactional, need_connection=need_connection
        )

    def submit_nowait(
        self,
        fn: Callable[[sqlite3.Connection], T],
        *,
        transactional: bool = True,
        need_connection: bool = True,
    ) -> asyncio.Future[T]:
        """`submit`, queued at once: the job is in the queue when this returns (so `close()`
        finishes it), and the future is resolved on the running loop after COMMIT."""
        if self._closed:
            raise StoreUnavailable("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def guarded(conn: sqlite3.Connection | None) -> T:
            if conn is None and need_connection:
                raise StoreUnavailable(self.unavailable or "the database is not open")
            return fn(conn)  # type: ignore[arg-type]

        self._queue.put(_Job(guarded, loop, future, transactional))
        return future

    async def close(self) -> None:
        """Finish every job already submitted, then close the file and stop the thread."""
        if self._closed:
            return
        self._closed = True
        if not self._started:
            return
        loop = asyncio.get_running_loop()
        stop = _Stop(loop, loop.create_future())
        self._queue.put(stop)
        await stop.done
        self._thread.join(timeout=5.0)

    # --- on the writer thread -------------------------------------------------------------------
    def _serve(self) -> None:
        try:
            while True:
                first = self._queue.get()
                if isinstance(first, _Stop):
                    self._shutdown(first)
                    return
                batch = [first]
                stop: _Stop | None = None
                while len(batch) < self._batch_max:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(item, _Stop):
                        stop = item
                        break
                    batch.append(item)
                self._run_batch(batch)
                if stop is not None:
                    self._shutdown(stop)
                    return
        except BaseException:  # pragma: no cover - a bug here must not hang every awaiter
            log.exception("store writer thread crashed")
            raise

    def _shutdown(self, stop: _Stop) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
            self._conn = None
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            stop.loop.call_soon_threadsafe(_finish, stop.done)

    def _ensure_open(self) -> sqlite3.Connection | None:
        if self._conn is not None:
            return self._conn
        now = time.monotonic()
        if self._last_open_attempt and now - self._last_open_attempt < REOPEN_INTERVAL_S:
            return None
        self._last_open_attempt = now
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                self._conn = connect(self.path, self._schema, pragmas=self._pragmas)
            except sqlite3.DatabaseError as exc:
                if not (_is_damage(exc) or "quick_check" in str(exc)):
                    raise
                self.recovered_from = move_aside(self.path)
                log.warning("damaged database %s moved to %s", self.path, self.recovered_from)
                self._conn = connect(self.path, self._schema, pragmas=self._pragmas)
        except (sqlite3.Error, OSError) as exc:
            self.unavailable = f"cannot open {self.path}: {exc}"
            log.error("%s", self.unavailable)
            return None
        self.unavailable = ""
        return self._conn

    def _run_batch(self, batch: list[_Job]) -> None:
        conn = self._ensure_open()
        transactional = [job for job in batch if job.transactional]
        if transactional:
            self._run_transaction(conn, transactional)
        for job in batch:
            if not job.transactional:
                self._run_one(conn, job)
        self._resolve(batch)

    def _run_one(self, conn: sqlite3.Connection | None, job: _Job) -> None:
        try:
            job.result = job.fn(conn)  # type: ignore[arg-type]
        except Exception as exc:
            job.error = exc

    def _run_transaction(self, conn: sqlite3.Connection | None, jobs: list[_Job]) -> None:
        if conn is None:
            for job in jobs:
                self._run_one(None, job)  # raises StoreUnavailable for jobs needing the file
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            for job in jobs:
                job.error = exc
            return
        if len(jobs) == 1:  # alone: the transaction is its savepoint (two statements fewer)
            self._run_alone(conn, jobs[0])
            return
        for job in jobs:
            try:
                conn.execute("SAVEPOINT job")
                try:
                    job.result = job.fn(conn)
                except Exception as exc:
                    job.error = exc
                    if conn.in_transaction:
                        conn.execute("ROLLBACK TO job")
                if not conn.in_transaction:  # SQLite rolled the whole batch back (disk full, I/O)
                    raise job.error or sqlite3.OperationalError("transaction rolled back")
                conn.execute("RELEASE job")
            except Exception as exc:
                self._fail_all(conn, jobs, exc)
                return
        try:
            conn.execute("COMMIT")
            self.batches += 1
        except sqlite3.Error as exc:
            self._fail_all(conn, jobs, exc)

    def _run_alone(self, conn: sqlite3.Connection, job: _Job) -> None:
        """One job in its transaction: it fails alone by rolling the transaction back. Every
        statement lets go of the GIL and waits to take it back from the other threads, so the
        savepoint pair a job needs among others is left out here."""
        try:
            job.result = job.fn(conn)
        except Exception as exc:
            self._fail_all(conn, [job], exc)
            return
        try:
            conn.execute("COMMIT")
            self.batches += 1
        except sqlite3.Error as exc:
            self._fail_all(conn, [job], exc)

    @staticmethod
    def _fail_all(conn: sqlite3.Connection, jobs: list[_Job], exc: BaseException) -> None:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        for job in jobs:
            job.error = exc
            job.result = None

    def _resolve(self, batch: list[_Job]) -> None:
        """Wake the awaiters: one hop onto each loop per batch, not one per job."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in batch:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, jobs)


def _finish(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _settle(jobs: list[_Job]) -> None:
    for job in jobs:
        if job.future.done():
            continue
        if job.error is not None:
            job.future.set_exception(job.error)
        else:
            job.future.set_result(job.result)
