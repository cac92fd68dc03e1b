"""The left region: the first-run panel until an account is active, then the calls list."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QPlainTextEdit,
    QStackedLayout,
    QTextEdit,
    QWidget,
)

from console.ui.calls_view import CallsView
from console.ui.empty_state import EmptyState


class CallsRegion(QWidget):
    add_account_requested = Signal()
    demo_requested = Signal()

    def __init__(self, calls: CallsView | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calls_region")
        self.calls = calls if calls is not None else CallsView()
        self.first_run = EmptyState(
            "Welcome to Stream Console",
            "Add your Plivo account (Auth ID and Auth Token) to see its live calls, or try the "
            "demo account: a simulated Plivo with live calls, no account needed.",
            [
                ("Add account…", self.add_account_requested.emit),
                ("Try the demo", self.demo_requested.emit),
            ],
        )
        self.first_run.setObjectName("first_run")
        self.first_run.buttons[0].setObjectName("add_account_button")
        self.first_run.buttons[1].setObjectName("try_demo_button")
        self.stack = QStackedLayout(self)
        self.stack.addWidget(self.first_run)
        self.stack.addWidget(self.calls)

    def show_first_run(self) -> None:
        self.stack.setCurrentWidget(self.first_run)

    def show_calls(self) -> None:
        """The calls list, with the keyboard in it unless the agent is typing elsewhere: the
        arrow keys move through the calls at once."""
        self.stack.setCurrentWidget(self.calls)
        focused = QApplication.focusWidget()
        typing = isinstance(focused, QLineEdit | QTextEdit | QPlainTextEdit | QAbstractSpinBox)
        if focused is None or not focused.isVisible() or not typing:
            self.calls.focus_list()

    def focus_part(self, part: str = "") -> bool:
        """Alt+1: the calls list (the first-run panel's first button before an account)."""
        if self.showing_calls:
            self.calls.focus_list()
        else:
            self.first_run.buttons[0].setFocus()
        return True

    @property
    def showing_calls(self) -> bool:
        return self.stack.currentWidget() is self.calls
