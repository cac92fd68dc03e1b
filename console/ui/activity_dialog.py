"""The activity history: who started or stopped which stream, when, and what came of it."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.activity import ActivityEntry, Outcome
from console.ui.plain_text import plain_label, tooltip_text

COLUMNS = [
    "Time",
    "User",
    "Account",
    "Action",
    "Call UUID",
    "Service URL",
    "Stream ID",
    "Result",
    "Detail",
]


class ActivityDialog(QDialog):
    export_requested = Signal()
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activity_dialog")
        self.setWindowTitle("Activity history")
        self.resize(1100, 480)
        self.summary = plain_label()
        self.summary.setObjectName("activity_summary")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("activity_table")
        self.table.setAccessibleName("Activity history")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((140, 80, 160, 110, 140, 180, 140, 80)):
            self.table.setColumnWidth(column, width)
        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setObjectName("export_activity")
        self.export_button.clicked.connect(self.export_requested)
        refresh = QPushButton("&Refresh")
        refresh.clicked.connect(self.refresh_requested)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(refresh, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    def set_entries(self, entries: list[ActivityEntry]) -> None:
        self.table.setRowCount(len(entries))
        for row, e in enumerate(entries):
            values = [
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.at)), e.user, e.account,
                e.action.value, e.call_uuid, e.service_url, e.stream_id, e.outcome.value, e.detail,
            ]  # fmt: skip
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(tooltip_text(value))
                if column == 7 and e.outcome is not Outcome.OK:
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(row, column, item)
        self.summary.setText(
            f"{len(entries)} most recent actions, newest first. Export writes the whole history."
            if entries else "No starts or stops yet. Every one you make is recorded here."
        )  # fmt: skip

    def show_message(self, text: str) -> None:
        self.summary.setText(text)
