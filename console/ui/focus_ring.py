"""A focus ring the agent can see on every control of the window, in light and dark
(docs/layout.md).

Fusion marks a focused table only with a dotted current cell (invisible under a selected row),
and under some platforms draws no focus mark on buttons, boxes and tick boxes at all. So the
control that has the keyboard focus gets a ring: a small child drawn over its edge while it has
the focus, in the palette's highlight colour (it follows a switch to dark mode). Not a style
sheet: a sheet on the window stops a changed system font from reaching the widgets under it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QApplication, QWidget

RING_PX = 2


class FocusRing(QWidget):
    """The ring of one control: shown while it has the focus, resized with it."""

    def __init__(self, target: QWidget) -> None:
        super().__init__(target)
        self.setObjectName("focus_ring")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._target = target
        target.installEventFilter(self)
        self.setGeometry(target.rect())
        self.setVisible(target.hasFocus())
        self.raise_()

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
        pen = QPen(self._target.palette().color(QPalette.ColorRole.Highlight), RING_PX)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        painter.drawRect(self.rect().adjusted(1, 1, -1, -1))


class FocusRings(QObject):
    """Gives each control of `window` its ring the first time it takes the focus, so controls
    made later (a banner's buttons, a monitor's panel) get one too."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is None or new.window() is not self._window or new is self._window:
            return
        if new.findChild(FocusRing, options=Qt.FindChildOption.FindDirectChildrenOnly) is None:
            FocusRing(new)
