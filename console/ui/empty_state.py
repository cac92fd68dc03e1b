"""A friendly placeholder for a region with nothing to show yet: a title, one sentence, and the
buttons that get the agent going."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from console.ui.plain_text import plain_label


class EmptyState(QWidget):
    def __init__(
        self,
        title: str,
        message: str,
        actions: list[tuple[str, Callable[[], object]]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = plain_label(title)
        self.title.setObjectName("empty_title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.message = plain_label(message)
        self.message.setObjectName("empty_message")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        # The palette's muted text colour (readable in light and dark), not a fixed grey.
        muted = self.message.palette()
        muted.setColor(
            QPalette.ColorRole.WindowText, muted.color(QPalette.ColorRole.PlaceholderText)
        )
        self.message.setPalette(muted)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        self.buttons: list[QPushButton] = []
        for label, callback in actions or []:
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, cb=callback: cb())
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
            self.buttons.append(button)
        layout.addStretch(2)

    def set_text(self, title: str, message: str) -> None:
        self.title.setText(title)
        self.message.setText(message)
