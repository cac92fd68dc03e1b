"""The activity history in SQLite: append-only, durable across crashes, readable and exportable.

All SQLite work runs on one dedicated thread (SQLite connections belong to the thread that made
them), so the GUI loop never waits for the disk. WAL journal with `synchronous=FULL`: an entry
reported as written survives a crash or power loss. A database that cannot be opened (corrupt,
truncated) is moved aside with a timestamp and a new one started; the app is told so it can say so.
"""

from __future__ import annotations

import asyncio
import csv
import io
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
    detail TEXT NOT NULL DEFAULT '',
    account_name TEXT NOT NULL DEFAULT '',
    from_number TEXT NOT NULL DEFAULT '',
    to_number TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS activity_at ON activity(at);
"""
ADDED_COLUMNS = ("account_name", "from_number", "to_number")  # absent in files from 0.1.0
ADDED_TYPE = "TEXT NOT NULL DEFAULT ''"
COLUMNS = (
    "at, user, account, action, call_uuid, outcome, service_url, stream_id, detail, "
    "account_name, from_number, to_number"
)
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
    "account_name",
    "from",
    "to",
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
        self.path.parent.mkdir(parents=True, exist_ok=True)
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
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(SCHEMA)
            present = {row[1] for row in conn.execute("PRAGMA table_info(activity)")}
            for column in ADDED_COLUMNS:
                if column not in present:
                    conn.execute(
                        f"ALTER TABLE activity ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"
                    )
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
            f"INSERT INTO activity ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                e.account_name,
                e.from_number,
                e.to_number,
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
                    entry.account_name,
                    entry.from_number,
                    entry.to_number,
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


Row = tuple[float, str, str, str, str, str, str, str, str, str, str, str]


def _entry(row: Row) -> ActivityEntry:
    at, user, account, action, call_uuid, outcome, service_url, stream_id, detail = row[:9]
    account_name, from_number, to_number = row[9:]
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
        account_name=account_name,
        from_number=from_number,
        to_number=to_number,
    )
