"""The Stream monitor's dock: below the window where there is height to spare, beside it on a
laptop screen; sized once, when it first appears, to a fair share of the window (docs/monitor.md).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

TALL_WINDOW = 900  # px: below this the monitor docks beside the window, not under it


class MonitorDock(QDockWidget):
    def __init__(self, window: QMainWindow, content: QWidget) -> None:
        super().__init__("Stream monitor", window)
        self.setObjectName("stream_monitor_dock")
        self.setWidget(content)
        self._window = window
        tall = window.height() >= TALL_WINDOW
        area = (
            Qt.DockWidgetArea.BottomDockWidgetArea
            if tall
            else Qt.DockWidgetArea.RightDockWidgetArea
        )
        window.addDockWidget(area, self)
        self._sized = False

    def reveal(self) -> None:
        """Shown and raised; the first time, given its share of the window."""
        self.show()
        self.raise_()
        if self._sized:
            return
        self._sized = True
        window = self._window
        if window.dockWidgetArea(self) == Qt.DockWidgetArea.BottomDockWidgetArea:
            size, orientation = window.height() * 2 // 5, Qt.Orientation.Vertical
        else:
            size, orientation = window.width() * 2 // 5, Qt.Orientation.Horizontal
        window.resizeDocks([self], [size], orientation)
