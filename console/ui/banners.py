"""Non-modal banners across the top of the window: errors, warnings and notices that never block
the agent. A banner is keyed, so the same problem happening again updates its banner (with a
repeat count) instead of stacking copies."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.ui.palette import readable
from console.ui.plain_text import plain_label


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


_TINT = {Level.INFO: "#1f6feb", Level.WARNING: "#d29922", Level.ERROR: "#d1242f"}
_PREFIX = {Level.INFO: "ℹ", Level.WARNING: "⚠", Level.ERROR: "✖"}


class Banner(QFrame):
    dismissed = Signal(str)

    def __init__(self, key: str, level: Level, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.level = level
        self.repeats = 1
        self.setObjectName(f"banner_{key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        base = self.palette().color(QPalette.ColorRole.Window)
        tint = QColor(_TINT[level])
        mixed = QColor(
            (base.red() * 4 + tint.red()) // 5,
            (base.green() * 4 + tint.green()) // 5,
            (base.blue() * 4 + tint.blue()) // 5,
        )
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, mixed)
        self.setPalette(pal)
        self.setStyleSheet(f"Banner {{ border: 1px solid {tint.name()}; border-radius: 4px; }}")

        self._build_texts(tint, mixed)
        self._build_row()

    def _build_texts(self, tint: QColor, mixed: QColor) -> None:
        self.icon = plain_label(_PREFIX[self.level])
        icon_palette = self.icon.palette()
        icon_palette.setColor(QPalette.ColorRole.WindowText, readable(tint, mixed))
        self.icon.setPalette(icon_palette)
        self.icon.setStyleSheet("font-weight: bold;")
        self.text = plain_label()
        self.text.setObjectName("banner_text")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.detail = plain_label()
        self.detail.setObjectName("banner_detail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setVisible(False)
        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setVisible(False)
        self.details_button.toggled.connect(self.detail.setVisible)

    def _build_row(self) -> None:
        self.actions_row = QHBoxLayout()
        self.actions_row.setSpacing(6)
        close = QToolButton()
        close.setObjectName("banner_close")
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss this message")
        close.clicked.connect(lambda: self.dismissed.emit(self.key))

        row = QHBoxLayout()
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        texts = QVBoxLayout()
        texts.addWidget(self.text)
        texts.addWidget(self.detail)
        row.addLayout(texts, 1)
        row.addLayout(self.actions_row)
        row.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.setLayout(row)

    def set_content(self, text: str, detail: str) -> None:
        suffix = f"  (×{self.repeats})" if self.repeats > 1 else ""
        self.text.setText(text + suffix)
        self.setAccessibleName(f"{self.level.value}: {text}")
        self.detail.setText(detail)
        self.details_button.setVisible(bool(detail))

    def set_actions(self, actions: list[tuple[str, Callable[[], object]]]) -> None:
        while self.actions_row.count():
            item = self.actions_row.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.deleteLater()
        for label, callback in actions:
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, cb=callback: cb())
            self.actions_row.addWidget(button)


class BannerBar(QWidget):
    """A column of banners; empty, it takes no space."""

    MAX_BANNERS = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banners")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 0)
        self._layout.setSpacing(4)
        self._banners: dict[str, Banner] = {}
        self.setVisible(False)

    def show_banner(
        self,
        key: str,
        level: Level,
        text: str,
        detail: str = "",
        actions: list[tuple[str, Callable[[], object]]] | None = None,
    ) -> Banner:
        banner = self._banners.get(key)
        if banner is None or banner.level != level:
            if banner is not None:
                self.dismiss(key)
            banner = Banner(key, level, self)
            banner.dismissed.connect(self.dismiss)
            self._banners[key] = banner
            self._layout.insertWidget(0, banner)
            while len(self._banners) > self.MAX_BANNERS:
                oldest = next(iter(self._banners))
                self.dismiss(oldest)
        else:
            banner.repeats += 1
        banner.set_content(text, detail)
        banner.set_actions(actions or [])
        self.setVisible(True)
        return banner

    def dismiss(self, key: str) -> None:
        banner = self._banners.pop(key, None)
        if banner is not None:
            banner.hide()
            banner.deleteLater()
        self.setVisible(bool(self._banners))

    def banner(self, key: str) -> Banner | None:
        return self._banners.get(key)

    def active_keys(self) -> list[str]:
        return list(self._banners)
