"""The selected call's timeline: what agents did on it and what Plivo reported for it, oldest first,
one plain line each. A read-only plain-text view: callback text is never taken for markup."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

EMPTY_TEXT = "Nothing yet: starts, stops and status callbacks for this call appear here."


class CallTimeline(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("call_timeline")
        self.setAccessibleName("Timeline of this call")
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText(EMPTY_TEXT)
        self._lines: list[str] = []

    def lines(self) -> list[str]:
        return list(self._lines)

    def set_lines(self, lines: list[str]) -> None:
        """Show `lines` (already one plain line each), keeping the newest in view."""
        if lines == self._lines:
            return
        self._lines = list(lines)
        self.setPlainText("\n".join(self._lines))
        self.moveCursor(QTextCursor.MoveOperation.End)
        self.ensureCursorVisible()
