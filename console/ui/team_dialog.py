"""The team database settings: a shared PostgreSQL that collectors write callbacks to and every
console of the team reads (README "Team mode"). The address is kept in settings, the password in
the OS keyring.

Presents and emits `test_requested(url, password)` and `save_requested(enabled, url, password)`
(password '' means: keep the one stored); the app decides what they mean."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.team_db import EXAMPLE_URL, team_url_problem
from console.ui.plain_text import plain_label, set_placeholder, set_plain

INTRO = (
    "A support team can share one database: collectors receive Plivo's status callbacks into it, "
    "and every console shows them live and records starts and stops in one team history. "
    "Off, this console keeps everything on this computer."
)


class TeamDatabaseDialog(QDialog):
    test_requested = Signal(str, str)  # url, password ('' = the stored one)
    save_requested = Signal(bool, str, str)  # enabled, url, password ('' = keep the stored one)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("team_dialog")
        self.setWindowTitle("Team database")
        self.resize(600, 380)
        intro = plain_label(INTRO)
        intro.setWordWrap(True)
        self.status = plain_label("Team database: off")
        self.status.setObjectName("team_dialog_status")
        self.status.setWordWrap(True)

        switch = self._build_switch()
        self._build_fields()
        self._lay_out(intro, switch)
        self.url.textChanged.connect(self._revalidate)
        self.on.toggled.connect(self._revalidate)
        self.set_password_stored(False)
        self._revalidate()

    def _build_switch(self) -> QHBoxLayout:
        self.off = QRadioButton("&Off: this computer only")
        self.off.setObjectName("team_off")
        self.on = QRadioButton("O&n: use the team database")
        self.on.setObjectName("team_on")
        group = QButtonGroup(self)
        group.addButton(self.off)
        group.addButton(self.on)
        self.off.setChecked(True)
        switch = QHBoxLayout()
        switch.addWidget(self.off)
        switch.addWidget(self.on)
        switch.addStretch(1)
        return switch

    def _build_fields(self) -> None:
        self.url = QLineEdit()
        self.url.setObjectName("team_url")
        self.url.setAccessibleName("Team database address")
        set_placeholder(self.url, EXAMPLE_URL)
        self.password = QLineEdit()
        self.password.setObjectName("team_password")
        self.password.setAccessibleName("Team database password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.test_button = QPushButton("&Test connection")
        self.test_button.setObjectName("team_test")
        self.test_button.clicked.connect(self._test)
        self.verdict = plain_label()
        self.verdict.setObjectName("team_verdict")
        self.verdict.setWordWrap(True)
        self.error = plain_label()
        self.error.setObjectName("team_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d1242f;")

    def _lay_out(self, intro: QLabel, switch: QHBoxLayout) -> None:
        form = QFormLayout()
        form.addRow(plain_label("Team database:"), switch)
        form.addRow(plain_label("Address:"), self.url)
        form.addRow(plain_label("Password:"), self.password)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.verdict, 1)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("team_save")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.status)
        layout.addLayout(form)
        layout.addLayout(test_row)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(buttons)

    # --- what the app tells it ------------------------------------------------------------------
    def set_settings(self, enabled: bool, url: str) -> None:
        (self.on if enabled else self.off).setChecked(True)
        self.url.setText(url)
        self.password.clear()
        self._revalidate()

    def set_password_stored(self, stored: bool) -> None:
        """Whether the keyring holds a password already (the field then may stay empty)."""
        self.password.setPlaceholderText(
            "saved in the keyring; type to replace it" if stored else "kept in the OS keyring"
        )

    def set_status(self, text: str) -> None:
        set_plain(self.status, text)

    def set_testing(self, busy: bool) -> None:
        self.test_button.setEnabled(not busy and self._url_problem() is None)
        if busy:
            set_plain(self.verdict, "Testing…")

    def show_verdict(self, text: str) -> None:
        set_plain(self.verdict, text)

    def show_error(self, text: str) -> None:
        set_plain(self.error, text)

    # --- internals ------------------------------------------------------------------------------
    def _url_problem(self) -> str | None:
        url = self.url.text().strip()
        if not url:
            return "Enter the team database's address." if self.on.isChecked() else None
        return team_url_problem(url)

    def _revalidate(self) -> None:
        problem = self._url_problem()
        set_plain(self.error, problem or "")
        self.save_button.setEnabled(problem is None)
        self.test_button.setEnabled(problem is None and bool(self.url.text().strip()))

    def _test(self) -> None:
        if self.test_button.isEnabled():
            self.set_testing(True)  # until the app shows the verdict
            self.test_requested.emit(self.url.text().strip(), self.password.text())

    def _save(self) -> None:
        if not self.save_button.isEnabled():
            return
        self.save_requested.emit(self.on.isChecked(), self.url.text().strip(), self.password.text())
