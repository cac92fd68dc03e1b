"""A focus ring the agent can see on tables and text panes, in light and dark (docs/layout.md).

Fusion marks a focused table only with a dotted current cell, invisible under a selected row.
The ring is a small child drawn over the widget's frame while it has the keyboard focus, in the
palette's highlight colour (so it follows a switch to dark mode). Not a style sheet: a sheet on
the window stops a changed system font from reaching the widgets under it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

RING_PX = 2


class FocusRing(QWidget):
    def __init__(self, target: QAbstractScrollArea) -> None:
        super().__init__(target)
        self.setObjectName("focus_ring")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._target = target
        target.installEventFilter(self)
        self.setGeometry(target.rect())
        self.setVisible(target.hasFocus())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Resize:
            self.setGeometry(self._target.rect())
        elif kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.setVisible(kind == QEvent.Type.FocusIn)
            self.raise_()
        return False

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        colour = self._target.palette().color(QPalette.ColorRole.Highlight)
        pen = QPen(colour, RING_PX)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        painter.drawRect(self.rect().adjusted(1, 1, -1, -1))


def add_focus_rings(root: QWidget) -> None:
    """A ring on every table and text pane under `root` that has none yet."""
    for area in root.findChildren(QAbstractScrollArea):
        if area.window() is not root.window():
            continue  # a combo box's popup list
        if area.focusPolicy() & Qt.FocusPolicy.TabFocus and not area.findChild(
            FocusRing, options=Qt.FindChildOption.FindDirectChildrenOnly
        ):
            FocusRing(area)
