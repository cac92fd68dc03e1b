"""The activity history in SQLite: append-only, durable across crashes, readable and exportable.

All SQLite work runs on one dedicated thread (SQLite connections belong to the thread that made
them), so the GUI loop never waits for the disk. WAL journal with `synchronous=FULL`: an entry
reported as written survives a crash or power loss. A database that cannot be opened (corrupt,
truncated) is moved aside with a timestamp and a new one started; the app is told so it can say so.
A new database is created 0600 on POSIX (it names accounts, calls and service URLs), and SQLite
gives its -wal and -shm files the database's mode.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from console.domain.activity import Action, ActivityEntry, Outcome
from console.domain.redaction import REDACTOR

T = TypeVar("T")
SCHEMA = """
CREATE TABLE IF NOT EXISTS activity (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    user TEXT NOT NULL,
    account TEXT NOT NULL,
    action TEXT NOT NULL,
    call_uuid TEXT NOT NULL,
    outcome TEXT NOT NULL,
    service_url TEXT NOT NULL DEFAULT '',
    stream_id TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS activity_at ON activity(at);
"""
COLUMNS = "at, user, account, action, call_uuid, outcome, service_url, stream_id, detail"
CSV_HEADER = [
    "time (UTC)",
    "user",
    "account",
    "action",
    "call_uuid",
    "outcome",
    "service_url",
    "stream_id",
    "detail",
]


class ActivityLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.recovered_from: Path | None = None  # set when a damaged file was moved aside
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="activity-db")
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        await self._run(self._open)

    async def append(self, entry: ActivityEntry) -> None:
        await self._run(lambda: self._append(entry))

    async def recent(self, limit: int = 500) -> list[ActivityEntry]:
        return await self._run(lambda: self._recent(limit))

    async def export_csv(self, target: Path) -> int:
        """Write every entry, oldest first, to `target`; returns how many."""
        return await self._run(lambda: self._export(target))

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(self._close)
        self._executor.shutdown(wait=True)

    # --- on the database thread ------------------------------------------------------------------
    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def _open(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            self._conn = self._connect()
        except sqlite3.DatabaseError:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
            self.path.rename(aside)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    side.rename(aside.with_name(aside.name + suffix))
            self.recovered_from = aside
            self._conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        _create_private(self.path)
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(SCHEMA)
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("ActivityLog.open() was not awaited")
        return self._conn

    def _append(self, e: ActivityEntry) -> None:
        self._db().execute(
            "INSERT INTO activity (at, user, account, action, call_uuid, outcome, service_url, "
            "stream_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                e.at,
                e.user,
                e.account,
                e.action.value,
                e.call_uuid,
                e.outcome.value,
                e.service_url,
                e.stream_id,
                REDACTOR.redact(e.detail),
            ),
        )

    def _recent(self, limit: int) -> list[ActivityEntry]:
        rows = (
            self._db()
            .execute(
                f"SELECT {COLUMNS} FROM activity ORDER BY id DESC LIMIT ?",
                (limit,),
            )
            .fetchall()
        )
        return [_entry(row) for row in rows]

    def _export(self, target: Path) -> int:
        cursor = self._db().execute(f"SELECT {COLUMNS} FROM activity ORDER BY id")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADER)
        count = 0
        for row in cursor:
            entry = _entry(row)
            writer.writerow(
                [
                    time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(entry.at)),
                    entry.user,
                    entry.account,
                    entry.action.value,
                    entry.call_uuid,
                    entry.outcome.value,
                    entry.service_url,
                    entry.stream_id,
                    entry.detail,
                ]
            )
            count += 1
        tmp = target.with_name(target.name + ".part")
        tmp.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        tmp.replace(target)
        return count

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _create_private(path: Path) -> None:
    """Create a missing database file empty with mode 0600 (POSIX), so SQLite never makes it
    with the umask's 0644; an existing file is left as it is."""
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _entry(row: tuple[float, str, str, str, str, str, str, str, str]) -> ActivityEntry:
    at, user, account, action, call_uuid, outcome, service_url, stream_id, detail = row
    return ActivityEntry(
        at=at,
        user=user,
        account=account,
        action=Action(action),
        call_uuid=call_uuid,
        outcome=Outcome(outcome),
        service_url=service_url,
        stream_id=stream_id,
        detail=detail,
    )
