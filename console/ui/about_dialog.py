"""Help → About: name, version, licence, documentation, where the console keeps its data and
logs, and "Copy diagnostics" (the app layer runs the self-test and hands its JSON back here)."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.identity import DOCS_URL, LICENCE, NAME, VERSION


def _folder_row(path: Path | None, object_name: str) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    label = QLabel(str(path) if path is not None else "(not used in this session)")
    label.setObjectName(object_name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    layout.addWidget(label, 1)
    if path is not None:
        open_button = QPushButton("Open")
        open_button.setObjectName(f"{object_name}_open")
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        layout.addWidget(open_button)
    return row


class AboutDialog(QDialog):
    copy_diagnostics_requested = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        data_dir: Path | None,
        log_dir: Path | None,
        runtime: str,
        icon: QIcon | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("about_dialog")
        self.setWindowTitle(f"About {NAME}")
        heading = QLabel(f"<b>{html.escape(NAME)} {html.escape(VERSION)}</b>")
        heading.setObjectName("about_heading")
        blurb = QLabel(
            "An operator console for Plivo's Audio Stream API: start, watch and stop audio "
            "streams on live calls. Tokens are kept only in your operating system's keyring."
        )
        blurb.setWordWrap(True)
        docs = QLabel(f'<a href="{html.escape(DOCS_URL)}">{html.escape(DOCS_URL)}</a>')
        docs.setObjectName("about_docs")
        docs.setOpenExternalLinks(True)
        form = self._build_facts(data_dir, log_dir, runtime, docs)
        buttons = self._build_buttons()
        top = QHBoxLayout()
        if icon is not None and not icon.isNull():
            picture = QLabel()
            picture.setPixmap(icon.pixmap(64, 64))
            top.addWidget(picture, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.addWidget(heading)
        text.addWidget(blurb)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(self.diagnostics_status)
        layout.addWidget(buttons)

    def _build_facts(
        self, data_dir: Path | None, log_dir: Path | None, runtime: str, docs: QLabel
    ) -> QFormLayout:
        form = QFormLayout()
        form.addRow("Version:", QLabel(VERSION))
        form.addRow("Licence:", QLabel(LICENCE))
        form.addRow("Documentation:", docs)
        form.addRow("Data folder:", _folder_row(data_dir, "about_data_dir"))
        form.addRow("Log folder:", _folder_row(log_dir, "about_log_dir"))
        runtime_label = QLabel(runtime)
        runtime_label.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("Runs on:", runtime_label)
        return form

    def _build_buttons(self) -> QDialogButtonBox:
        self.diagnostics_status = QLabel("")
        self.diagnostics_status.setObjectName("about_diagnostics_status")
        self.diagnostics_status.setTextFormat(Qt.TextFormat.PlainText)
        self.diagnostics_status.setWordWrap(True)
        self.copy_button = QPushButton("Copy diagnostics")
        self.copy_button.setObjectName("about_copy_diagnostics")
        self.copy_button.setToolTip(
            "Run the self-test and copy its report (versions, platform, keyring, results) for a "
            "support ticket. No token or account detail is included."
        )
        self.copy_button.clicked.connect(self._on_copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        return buttons

    def _on_copy(self) -> None:
        self.copy_button.setEnabled(False)
        self.diagnostics_status.setText("Running the self-test…")
        self.copy_diagnostics_requested.emit()

    def diagnostics_ready(self, report: str, summary: str) -> None:
        """Puts `report` on the clipboard and says so."""
        QGuiApplication.clipboard().setText(report)
        self.diagnostics_status.setText(f"Diagnostics copied to the clipboard. {summary}")
        self.copy_button.setEnabled(True)

    def diagnostics_failed(self, reason: str) -> None:
        self.diagnostics_status.setText(f"The diagnostics could not be gathered: {reason}")
        self.copy_button.setEnabled(True)
