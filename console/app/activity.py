"""The activity history window: read from the store, exported to CSV on request."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QWidget

from console.app.tasks import TaskRunner
from console.store.activity_log import ActivityLog
from console.ui.activity_dialog import ActivityDialog, counted
from console.ui.dialogs import Dialogs

SHOWN = 500  # entries the window shows; the export has them all


class ActivityController:
    def __init__(
        self, log: ActivityLog | None, dialogs: Dialogs, tasks: TaskRunner, parent: QWidget
    ) -> None:
        self.log = log
        self.dialogs = dialogs
        self.tasks = tasks
        self.parent = parent
        self.dialog: ActivityDialog | None = None

    def open_dialog(self) -> ActivityDialog:
        if self.dialog is None:
            self.dialog = ActivityDialog(self.parent)
            self.dialog.refresh_requested.connect(self._reload)
            self.dialog.export_requested.connect(
                lambda: self.tasks.run("activity-export", self.export())
            )
        self.dialog.show()
        self.dialog.raise_()
        self._reload()
        return self.dialog

    def _reload(self) -> None:
        self.tasks.run("activity-load", self.load())

    async def load(self) -> None:
        if self.dialog is None:
            return
        if self.log is None:
            self.dialog.show_message("The activity history is not available this session.")
            return
        self.dialog.set_entries(await self.log.recent(SHOWN), limit=SHOWN)

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
