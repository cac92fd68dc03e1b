"""Inputs that change only when the agent means it: a mouse wheel turned while scrolling a panel
passes over a combo box without changing its value (Qt's default turns it, silently switching,
say, the callback method to GET). The wheel still works once the agent has focused the box."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QComboBox, QWidget


class SteadyComboBox(QComboBox):
    """A QComboBox that takes focus by click or Tab, never by wheel, and hands the wheel to its
    parent (the scrolling panel) while it is not focused."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # propagates to the parent, which scrolls
