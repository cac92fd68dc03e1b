"""The activity history the console records into and reads from: what it needs of one
(`ActivityHistory`: this computer's SQLite file or the team database), the team's with a local
fallback (`TeamHistory`), and which one is in use now (`CurrentHistory`): this computer's file,
the team's (team mode), or none this session (the file could not be opened). The controllers that
record and read ask `CurrentHistory` each time, so switching is one call instead of the same
attribute set on each of them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from console.domain.activity import ActivityEntry

_log = logging.getLogger(__name__)


class ActivityHistory(Protocol):
    """What the console needs of an activity history: `console.store.activity_log.ActivityLog`
    (SQLite) and `console.store.pg.activity_log.PgActivityLog` (the team database) both are."""

    async def append(self, entry: ActivityEntry) -> None: ...

    async def recent(self, limit: int = 500) -> list[ActivityEntry]: ...

    async def for_call(self, call_uuid: str, limit: int = 200) -> list[ActivityEntry]: ...

    async def query(
        self,
        user: str | None = None,
        call_uuid: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 500,
    ) -> list[ActivityEntry]: ...

    async def export_csv(self, target: Path) -> int: ...

    async def close(self) -> None: ...


class TeamHistory:
    """The team's history (team mode), read and written there; an entry the team database cannot
    take just now (an outage) is kept in this computer's history instead, so no start or stop
    goes unrecorded. Reads show the team's."""

    def __init__(self, team: ActivityHistory, local: ActivityHistory | None) -> None:
        self.team = team
        self.local = local
        self.kept_locally = 0  # entries that went to the local file during outages

    async def append(self, entry: ActivityEntry) -> None:
        try:
            await self.team.append(entry)
        except Exception as exc:
            if self.local is None:
                raise
            _log.warning("team activity history unavailable (%s); kept on this computer", exc)
            await self.local.append(entry)
            self.kept_locally += 1

    async def recent(self, limit: int = 500) -> list[ActivityEntry]:
        return await self.team.recent(limit)

    async def for_call(self, call_uuid: str, limit: int = 200) -> list[ActivityEntry]:
        return await self.team.for_call(call_uuid, limit)

    async def query(
        self,
        user: str | None = None,
        call_uuid: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 500,
    ) -> list[ActivityEntry]:
        return await self.team.query(user, call_uuid, since, until, limit)

    async def export_csv(self, target: Path) -> int:
        return await self.team.export_csv(target)

    async def close(self) -> None:
        """The owners close the stores themselves."""


class CurrentHistory:
    def __init__(self, history: ActivityHistory | None = None) -> None:
        self.history = history

    def use(self, history: ActivityHistory | None) -> None:
        self.history = history
