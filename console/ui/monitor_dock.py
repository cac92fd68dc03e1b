"""Where the Stream monitor lives (docs/monitor.md). On a window wide enough for a third column
it docks beside the window, sized once to a fair share of it; on a laptop screen it shares the
event pane's place as a tab, so the calls list and the call pane keep their widths. Either way
View → Stream monitor (Ctrl+Shift+M) brings it back after it was closed or tabbed away.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from console.ui.main_window import MainWindow

WIDE_WINDOW = 1700  # px: from here the calls, the call pane and the monitor fit side by side


class MonitorDock(QObject):
    def __init__(self, window: QMainWindow, content: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("stream_monitor_place")
        self._window = window
        self._content = content
        self.dock: QDockWidget | None = None
        self._sized = False
        if isinstance(window, MainWindow) and window.width() < WIDE_WINDOW:
            window.add_lower_tab(content, "Stream monitor")
        else:
            self.dock = QDockWidget("Stream monitor", window)
            self.dock.setObjectName("stream_monitor_dock")
            self.dock.setWidget(content)
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        if isinstance(window, MainWindow):
            window.monitor_requested.connect(self.reveal)
            window.set_monitor_available(True)

    @property
    def tabbed(self) -> bool:
        return self.dock is None

    def reveal(self) -> None:
        """Shown and raised; a dock, the first time, given its share of the window."""
        if self.dock is None:
            if isinstance(self._window, MainWindow):
                self._window.show_lower_tab(self._content)
            return
        self.dock.show()
        self.dock.raise_()
        if not self._sized:
            self._sized = True
            width = self._window.width() * 2 // 5
            self._window.resizeDocks([self.dock], [width], Qt.Orientation.Horizontal)
