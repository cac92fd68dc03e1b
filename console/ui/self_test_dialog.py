"""Help → Run self-test: the self-test's steps filling in as they run, with their times and, for
a failure, the reason in plain words. The app layer runs the steps (asynchronously, so the
window stays responsive) and feeds them in; this dialog only shows them and asks for a rerun."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.identity import NAME, VERSION

_SHOWN = {
    "pending": "waiting",
    "running": "running…",
    "passed": "passed",
    "failed": "FAILED",
    "skipped": "skipped",
}


class SelfTestDialog(QDialog):
    run_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("self_test_dialog")
        self.setWindowTitle(f"{NAME} self-test")
        self.resize(860, 380)
        intro = QLabel(
            f"Checks this installation of {NAME} {VERSION} end to end, on your machine only: an "
            "embedded Plivo simulator, the API client, the status-callback receiver, the keyring "
            "(nothing is read or written) and the window. No account is used."
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.steps = QTreeWidget()
        self.steps.setObjectName("self_test_steps")
        self.steps.setRootIsDecorated(False)
        self.steps.setHeaderLabels(["Step", "Result", "Time", "Details"])
        header = self.steps.header()
        for column in (0, 1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.summary = QLabel("")
        self.summary.setObjectName("self_test_summary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.run_button = QPushButton("Run again")
        self.run_button.setObjectName("self_test_run")
        self.copy_button = QPushButton("Copy report")
        self.copy_button.setObjectName("self_test_copy")
        self.copy_button.setToolTip("Copy the full report (JSON) for a support ticket")
        buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.run_button.clicked.connect(self.run_requested)
        self.copy_button.clicked.connect(self._copy)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._report = ""
        self.copy_button.setEnabled(False)

    def begin(self, steps: list[tuple[str, str]]) -> None:
        """A fresh run of (name, title) steps, all waiting."""
        self.steps.clear()
        self._items.clear()
        for name, title in steps:
            item = QTreeWidgetItem([title, _SHOWN["pending"], "", ""])
            self._items[name] = item
            self.steps.addTopLevelItem(item)
        self.summary.setText("Running…")
        self.run_button.setEnabled(False)
        self.copy_button.setEnabled(False)
        self._report = ""

    def show_step(self, name: str, status: str, seconds: float, detail: str) -> None:
        item = self._items.get(name)
        if item is None:
            return
        item.setText(1, _SHOWN.get(status, status))
        item.setText(2, f"{seconds:.2f} s" if status in ("passed", "failed") else "")
        item.setText(3, detail)
        item.setToolTip(3, detail)
        if status == "failed":
            for column in range(4):
                item.setForeground(column, Qt.GlobalColor.red)

    def finish(self, passed: bool, summary: str, report: str) -> None:
        """The run is over: its one-line verdict, and the report that Copy puts on the clipboard."""
        self.summary.setText(summary)
        self.summary.setProperty("passed", passed)
        self._report = report
        self.run_button.setEnabled(True)
        self.copy_button.setEnabled(bool(report))

    def result_of(self, name: str) -> str:
        item = self._items.get(name)
        return item.text(1) if item is not None else ""

    def _copy(self) -> None:
        if self._report:
            QGuiApplication.clipboard().setText(self._report)
            self.summary.setText(self.summary.text().split("  (")[0] + "  (report copied)")
