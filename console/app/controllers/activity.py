"""The activity history window: read from the store (this computer's SQLite file, or the team
database in team mode), narrowed by the window's filters, exported to CSV on request."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QWidget

from console.app.runtime.tasks import TaskRunner
from console.domain.activity import ActivityEntry
from console.domain.redaction import REDACTOR
from console.ui.activity_dialog import ActivityDialog, counted
from console.ui.dialogs import Dialogs

SHOWN = 500  # entries the window shows; the export has them all
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


class ActivityController:
    def __init__(
        self, log: ActivityHistory | None, dialogs: Dialogs, tasks: TaskRunner, parent: QWidget
    ) -> None:
        self.log = log
        self.dialogs = dialogs
        self.tasks = tasks
        self.parent = parent
        self.dialog: ActivityDialog | None = None

    def open_dialog(self) -> ActivityDialog:
        if self.dialog is None:
            self.dialog = ActivityDialog(self.parent)
            self.dialog.refresh_requested.connect(self.reload)
            self.dialog.export_requested.connect(
                lambda: self.tasks.run("activity-export", self.export())
            )
        self.dialog.show()
        self.dialog.raise_()
        self.reload()
        return self.dialog

    def reload(self) -> None:
        self.tasks.run("activity-load", self.load())

    async def load(self) -> None:
        if self.dialog is None:
            return
        if self.log is None:
            self.dialog.show_message("The activity history is not available this session.")
            return
        log, flt = self.log, self.dialog.current_filter()
        try:
            if flt.active:
                entries = await log.query(
                    flt.user or None, flt.call_uuid or None, flt.since, flt.until, SHOWN
                )
            else:
                entries = await log.recent(SHOWN)
        except Exception as exc:  # the team database may be unreachable just now
            self.dialog.show_message(
                f"The activity history could not be read: {REDACTOR.redact(str(exc))[:300]}"
            )
            return
        if self.dialog is not None and log is self.log:
            self.dialog.set_entries(entries, limit=SHOWN)

    async def export(self, target: Path | None = None) -> Path | None:
        if self.log is None or self.dialog is None:
            return None
        if target is None:
            suggested = f"stream-console-activity-{time.strftime('%Y%m%d-%H%M')}.csv"
            chosen = await self.dialogs.save_file(
                "Export activity history", str(Path.home() / suggested), "CSV files (*.csv)"
            )
            if not chosen:
                return None
            target = Path(chosen)
        try:
            count = await self.log.export_csv(target)
        except OSError as exc:
            self.dialog.show_message(f"Could not write {target}: {exc.strerror or exc}.")
            return None
        self.dialog.show_message(f"Exported {counted(count, 'entry', 'entries')} to {target}.")
        return target
