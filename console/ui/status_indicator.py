"""A status-bar item: a coloured dot and a short text, with the full story in the tooltip."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPalette
from PySide6.QtWidgets import QHBoxLayout, QWidget

from console.ui.palette import background_of, readable
from console.ui.plain_text import plain_label, tooltip_text


class Health(StrEnum):
    UNKNOWN = "unknown"
    OK = "ok"
    BUSY = "busy"
    WARNING = "warning"
    ERROR = "error"


_COLOURS = {
    Health.UNKNOWN: "#8b949e",
    Health.OK: "#2da44e",
    Health.BUSY: "#1f6feb",
    Health.WARNING: "#d29922",
    Health.ERROR: "#d1242f",
}


class StatusIndicator(QWidget):
    clicked = Signal()  # only emitted once `make_clickable()` was called

    def __init__(self, name: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.caption = caption
        self.dot = plain_label("●")
        self.label = plain_label()
        self.label.setObjectName(f"{name}_text")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(4)
        layout.addWidget(self.dot)
        layout.addWidget(self.label)
        self.health = Health.UNKNOWN
        self.set_state(Health.UNKNOWN, "—")

    def set_state(self, health: Health, text: str, tooltip: str = "") -> None:
        self.health = health
        palette = self.dot.palette()
        colour = readable(QColor(_COLOURS[health]), background_of(self))
        palette.setColor(QPalette.ColorRole.WindowText, colour)
        self.dot.setPalette(palette)
        self.label.setText(f"{self.caption}: {text}")
        self.setToolTip(tooltip_text(tooltip or f"{self.caption}: {text}"))
        self.setAccessibleName(f"{self.caption}: {text}")

    def text(self) -> str:
        return self.label.text()

    def make_clickable(self) -> None:
        """Click, Enter or Space opens what the item is about (e.g. the receiver's settings)."""
        self._clickable = True
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if getattr(self, "_clickable", False) and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        keys = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
        if getattr(self, "_clickable", False) and event.key() in keys:
            self.clicked.emit()
            return
        super().keyPressEvent(event)
