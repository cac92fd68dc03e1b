"""The activity history window: read from the store (this computer's SQLite file, or the team
database in team mode), narrowed by the window's filters, exported to CSV on request."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from console.app.runtime.tasks import TaskRunner
from console.app.services.history import ActivityHistory, CurrentHistory
from console.domain.redaction import REDACTOR
from console.ui.dialogs import Dialogs

if TYPE_CHECKING:
    from console.ui.activity_dialog import ActivityDialog  # loaded when first opened

SHOWN = 500  # entries the window shows; the export has them all
_log = logging.getLogger(__name__)


class ActivityController:
    def __init__(
        self, history: CurrentHistory, dialogs: Dialogs, tasks: TaskRunner, parent: QWidget
    ) -> None:
        self._history = history
        self.dialogs = dialogs
        self.tasks = tasks
        self.parent = parent
        self.dialog: ActivityDialog | None = None

    @property
    def log(self) -> ActivityHistory | None:
        """The history shown now (None: none this session)."""
        return self._history.history

    def open_dialog(self) -> ActivityDialog:
        if self.dialog is None:
            from console.ui.activity_dialog import ActivityDialog

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
        from console.ui.activity_dialog import counted

        self.dialog.show_message(f"Exported {counted(count, 'entry', 'entries')} to {target}.")
        return target
