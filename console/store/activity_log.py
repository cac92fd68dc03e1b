"""The activity history in SQLite: append-only, durable across crashes, readable and exportable.

All SQLite work runs on the store's writer thread (`SqliteWriter`), so the GUI loop never waits
for the disk. WAL journal with `synchronous=FULL`: an entry reported as written survives a crash or
power loss. A damaged database (corrupt, truncated) is moved aside with a timestamp and a new one
started; the app is told (`recovered_from`) so it can say so.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from console.domain.activity import Action, ActivityEntry, Outcome
from console.domain.redaction import REDACTOR
from console.store.csv_cells import csv_cell
from console.store.sqlite_writer import SqliteWriter, StoreUnavailable, create_private

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
    to_number TEXT NOT NULL DEFAULT '',
    host TEXT NOT NULL DEFAULT '',
    console_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS activity_at ON activity(at);
CREATE INDEX IF NOT EXISTS activity_call ON activity(call_uuid, id);
"""
# Absent in older files (0.1.0 lacks all five; team mode added the last two).
ADDED_COLUMNS = ("account_name", "from_number", "to_number", "host", "console_version")
ADDED_TYPE = "TEXT NOT NULL DEFAULT ''"
# `user` is quoted: PostgreSQL reserves the word (SQLite takes it either way).
COLUMNS = (
    'at, "user", account, action, call_uuid, outcome, service_url, stream_id, detail, '
    "account_name, from_number, to_number, host, console_version"
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
# The team database's export: `user` is the login that wrote the row when `team_login` is 1.
TEAM_CSV_HEADER = [*CSV_HEADER, "host", "console_version", "os_user", "team_login"]


class ActivityLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = SqliteWriter(path, SCHEMA, name="activity-db", batch_max=100)

    @property
    def recovered_from(self) -> Path | None:
        """Where a damaged file was moved on open (for a notice), else None."""
        return self._writer.recovered_from

    async def open(self) -> None:
        await self._writer.open()
        if self._writer.unavailable:
            raise StoreUnavailable(self._writer.unavailable)
        await self._writer.submit(_add_missing_columns)

    async def append(self, entry: ActivityEntry) -> None:
        await self._writer.submit(lambda conn: _append(conn, entry))

    async def recent(self, limit: int = 500) -> list[ActivityEntry]:
        return await self._writer.submit(lambda conn: _recent(conn, limit), transactional=False)

    async def for_call(self, call_uuid: str, limit: int = 200) -> list[ActivityEntry]:
        """The newest `limit` entries about one call, oldest first (the call's timeline)."""
        return await self._writer.submit(
            lambda conn: _for_call(conn, call_uuid, limit), transactional=False
        )

    async def query(
        self,
        user: str | None = None,
        call_uuid: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 500,
    ) -> list[ActivityEntry]:
        """Entries matching every given condition (`since <= at < until`), newest first, at
        most `limit` (the same filter as the team database's `PgActivityLog.query`)."""
        return await self._writer.submit(
            lambda conn: _query(conn, user, call_uuid, since, until, limit), transactional=False
        )

    async def export_csv(self, target: Path) -> int:
        """Write every entry, oldest first, to `target`; returns how many."""
        return await self._writer.submit(lambda conn: _export(conn, target), transactional=False)

    async def close(self) -> None:
        await self._writer.close()


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Files written by 0.1.0 lack the columns added since; add them (empty) in place."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(activity)")}
    for column in ADDED_COLUMNS:
        if column not in present:
            conn.execute(f"ALTER TABLE activity ADD COLUMN {column} {ADDED_TYPE}")


def entry_values(e: ActivityEntry) -> tuple[str | float, ...]:
    """The values for `COLUMNS`, in order; the detail is scrubbed of secrets once more."""
    return (
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
        e.host,
        e.console_version,
    )


def _append(conn: sqlite3.Connection, e: ActivityEntry) -> None:
    marks = ", ".join("?" * len(COLUMNS.split(",")))
    conn.execute(f"INSERT INTO activity ({COLUMNS}) VALUES ({marks})", entry_values(e))


def _recent(conn: sqlite3.Connection, limit: int) -> list[ActivityEntry]:
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM activity ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [entry_from_row(row) for row in rows]


def _for_call(conn: sqlite3.Connection, call_uuid: str, limit: int) -> list[ActivityEntry]:
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM activity WHERE call_uuid = ? ORDER BY id DESC LIMIT ?",
        (call_uuid, limit),
    ).fetchall()
    return [entry_from_row(row) for row in reversed(rows)]


def _query(
    conn: sqlite3.Connection,
    user: str | None,
    call_uuid: str | None,
    since: float | None,
    until: float | None,
    limit: int,
) -> list[ActivityEntry]:
    cond, args = activity_where(user, call_uuid, since, until)
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM activity WHERE {cond} ORDER BY id DESC LIMIT ?",
        (*args, max(0, limit)),
    ).fetchall()
    return [entry_from_row(row) for row in rows]


def activity_where(
    user: str | None,
    call_uuid: str | None,
    since: float | None,
    until: float | None,
    *,
    mark: str = "?",
) -> tuple[str, list[str | float]]:
    """The SQL condition (`1=1` when none) and its arguments for the activity history's filter,
    in SQLite (`mark` "?") and PostgreSQL (`mark` "%s") alike: `since <= at < until`."""
    clauses: list[str] = []
    args: list[str | float] = []
    for column, op, value in (
        ('"user"', "=", user),
        ("call_uuid", "=", call_uuid),
        ("at", ">=", since),
        ("at", "<", until),
    ):
        if value is not None:
            clauses.append(f"{column} {op} {mark}")
            args.append(value)
    return " AND ".join(clauses) or "1=1", args


def _export(conn: sqlite3.Connection, target: Path) -> int:
    cursor = conn.execute(f"SELECT {COLUMNS} FROM activity ORDER BY id")
    return write_csv((entry_from_row(row) for row in cursor), target)


def write_csv(entries: Iterable[ActivityEntry], target: Path, *, team: bool = False) -> int:
    """Every entry as a CSV row (UTC times), written to `target` through a `.part` file so a
    failed export never leaves half a file under the real name; returns how many. `team` adds
    the host, console version, OS user and team login columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)  # and no cell runs as a formula
    writer.writerow(TEAM_CSV_HEADER if team else CSV_HEADER)
    count = 0
    for entry in entries:
        row = [
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
        if team:
            row += [entry.host, entry.console_version, entry.os_user, str(int(entry.team_login))]
        writer.writerow([csv_cell(cell) for cell in row])
        count += 1
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    create_private(tmp)  # 0600 like the history it comes from, never the umask's 0644
    tmp.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    tmp.replace(target)
    return count


Row = tuple[Any, ...]


def entry_from_row(row: Row) -> ActivityEntry:
    """A row `SELECT <COLUMNS>` (the team database's: `<COLUMNS>, os_user, team_login`) back
    into an entry."""
    at, user, account, action, call_uuid, outcome, service_url, stream_id, detail = row[:9]
    account_name, from_number, to_number, host, console_version = row[9:14]
    os_user, team_login = row[14:16] if len(row) >= 16 else ("", False)
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
        host=host,
        console_version=console_version,
        os_user=os_user,
        team_login=bool(team_login),
    )
