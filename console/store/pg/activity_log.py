"""The team's activity history in PostgreSQL: every console of a team appends to one table, and
anyone can ask who did what, on which call, when (`query`). Same columns as the SQLite history
plus the machine (`host`) and console version; the rows, the CSV and the detail scrubbing are
shared with `console.store.activity_log`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psycopg_pool import AsyncConnectionPool

from console.domain.activity import ActivityEntry
from console.store.activity_log import (
    COLUMNS,
    activity_where,
    entry_from_row,
    entry_values,
    write_csv,
)
from console.store.pg.connect import CONNECTION_ERRORS, Target, open_migrated, unavailable
from console.store.sqlite_writer import StoreUnavailable

POOL_SIZE = 2
WAIT_S = 5.0
MAX_QUERY_ROWS = 10_000
# The database names the writer: whatever `"user"` says, a trigger sets it to the login and keeps
# what the console sent (its OS user) in `os_user` (docs/team-mode.md, Attribution).
_INSERTED = f"{COLUMNS}, os_user"
_MARKS = ", ".join(["%s"] * len(_INSERTED.split(",")))
_READ = f"{COLUMNS}, os_user, team_login"


class PgActivityLog:
    """The methods of `ActivityLog` plus `query`. Failures raise StoreUnavailable."""

    def __init__(self, url: str, *, password: str | None = None) -> None:
        self.target = Target(url, password=password)
        self.recovered_from: Path | None = None  # a database is never moved aside
        self._pool: AsyncConnectionPool | None = None
        self._borrowed = False

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return self.target.shown

    async def open(self, *, pool: AsyncConnectionPool | None = None) -> None:
        """Connect; with `pool` (a console's event log's), use that one and leave it open at
        close, so a console holds one connection for everything but LISTEN."""
        if pool is not None:
            self._pool, self._borrowed = pool, True
            return
        self._pool = await open_migrated(
            self.target, name="activity", max_size=POOL_SIZE, timeout_s=WAIT_S
        )

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and not self._borrowed:
            await pool.close()

    async def append(self, entry: ActivityEntry) -> None:
        await self._run(
            f"INSERT INTO activity ({_INSERTED}) VALUES ({_MARKS})",
            (*entry_values(entry), entry.os_user or entry.user),
        )

    async def recent(self, limit: int = 500) -> list[ActivityEntry]:
        """The newest `limit` entries, newest first (as `ActivityLog.recent`)."""
        rows = await self._run(
            f"SELECT {_READ} FROM activity ORDER BY id DESC LIMIT %s", (max(0, limit),)
        )
        return [entry_from_row(r) for r in rows]

    async def for_call(self, call_uuid: str, limit: int = 200) -> list[ActivityEntry]:
        """The newest `limit` entries about one call, oldest first (the call's timeline)."""
        rows = await self._run(
            f"SELECT {_READ} FROM activity WHERE call_uuid = %s ORDER BY id DESC LIMIT %s",
            (call_uuid, max(0, limit)),
        )
        return [entry_from_row(r) for r in reversed(rows)]

    async def query(
        self,
        user: str | None = None,
        call_uuid: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 500,
    ) -> list[ActivityEntry]:
        """Entries matching every given condition (`since <= at < until`), newest first, at
        most `limit` (capped at 10 000)."""
        cond, args = activity_where(user, call_uuid, since, until, mark="%s")
        args.append(max(0, min(limit, MAX_QUERY_ROWS)))
        rows = await self._run(
            f"SELECT {_READ} FROM activity WHERE {cond} ORDER BY id DESC LIMIT %s", tuple(args)
        )
        return [entry_from_row(r) for r in rows]

    async def export_csv(self, target: Path) -> int:
        """Every entry, oldest first, to `target` (with host, version, OS user and login)."""
        rows = await self._run(f"SELECT {_READ} FROM activity ORDER BY id", ())
        return write_csv((entry_from_row(r) for r in rows), target, team=True)

    async def _run(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self._pool is None:
            raise StoreUnavailable("the team activity history is not open")
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(sql, args)
                return await cursor.fetchall() if cursor.description else []
        except CONNECTION_ERRORS as exc:
            raise unavailable(exc) from None
