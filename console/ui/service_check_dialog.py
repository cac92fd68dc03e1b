"""The result of "Check service": each stage in plain words with its time, the verdict first
(docs/service-check.md). Everything shown comes from the network and is plain text."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.service_check import DEFAULT_BUDGET_S, STAGE_WORDS, CheckReport
from console.ui.plain_text import make_plain
from console.ui.stream_form_fields import ERROR_COLOR, colored

COLUMNS = ("Stage", "Time", "What happened")
OK_COLOR = QColor("#1b6e3a")


class ServiceCheckDialog(QDialog):
    """Non-modal: the agent can keep working while a check runs (at most 15 s)."""

    again_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("service_check_dialog")
        self.setWindowTitle("Check service")
        self.resize(760, 420)
        self.url_label = QLabel()
        self.url_label.setObjectName("service_check_url")
        self.headline = QLabel()
        self.headline.setObjectName("service_check_headline")
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.headline.setFont(font)
        self.stages = self._build_table()
        self.notes = QLabel()
        self.notes.setObjectName("service_check_notes")
        self.notes.setWordWrap(True)
        make_plain(self.url_label, self.headline, self.notes)
        self.again_button = QPushButton("Check again")
        self.again_button.setObjectName("service_check_again")
        self.again_button.clicked.connect(self.again_requested)
        self.cancel_button = QPushButton("Stop checking")
        self.cancel_button.setObjectName("service_check_cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.again_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for widget in (self.url_label, self.headline, self.stages, self.notes, buttons):
            layout.addWidget(widget, 1 if widget is self.stages else 0)

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setObjectName("service_check_stages")
        table.setAccessibleName("Stages of the check")
        table.setHorizontalHeaderLabels(COLUMNS)
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setWordWrap(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        return table

    def show_running(self, url: str) -> None:
        self.url_label.setText(f"Stream URL: {url}")
        self.headline.setText(
            f"Checking… connecting as Plivo's media server would (at most {DEFAULT_BUDGET_S:.0f} s)"
        )
        colored(self.headline, self.palette().color(self.foregroundRole()))
        self.stages.setRowCount(0)
        self.notes.setText("")
        self.cancel_button.setVisible(True)
        self.again_button.setEnabled(False)

    def show_report(self, report: CheckReport) -> None:
        self.url_label.setText(f"Stream URL: {report.url}")
        prefix = "✔ " if report.passed else "✖ "
        self.headline.setText(prefix + report.headline)
        colored(self.headline, OK_COLOR if report.passed else ERROR_COLOR)
        self.stages.setRowCount(len(report.stages))
        for row, stage in enumerate(report.stages):
            mark = "✔ " if stage.ok else "✖ "
            ms = stage.seconds * 1000
            cells = (mark + STAGE_WORDS[stage.stage], f"{ms:.0f} ms", stage.words)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text if column == 2 else "")
                if column == 1:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.stages.setItem(row, column, item)
        self.stages.resizeRowsToContents()
        self.notes.setText("\n".join(f"• {w}" for w in report.warnings))
        self.cancel_button.setVisible(False)
        self.again_button.setEnabled(True)

    def show_stopped(self) -> None:
        self.headline.setText("Stopped before the check finished.")
        self.cancel_button.setVisible(False)
        self.again_button.setEnabled(True)
