"""The stream monitors: one tab per monitored stream, newest last, in a dock the agent can move
or close (View menu). A tab's title warns when its stream has a silent track."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QTabWidget, QWidget

from console.ui.monitor_panel import MonitorPanel

EMPTY_TEXT = (
    "No monitored stream yet. Tick “Monitor in this console” in the stream form, start the "
    "stream, and Plivo's audio shows up here."
)


class MonitorArea(QStackedWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stream_monitors")
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setWordWrap(True)
        self.empty.setObjectName("monitor_empty")
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.addWidget(self.empty)
        self.addWidget(self.tabs)
        self.panels: dict[str, MonitorPanel] = {}
        self._titles: dict[str, str] = {}

    def add_panel(self, key: str) -> MonitorPanel:
        panel = MonitorPanel(key)
        self.panels[key] = panel
        self.tabs.addTab(panel, key)
        self._titles[key] = key
        self.tabs.setCurrentWidget(panel)
        self.setCurrentWidget(self.tabs)
        return panel

    def set_title(self, key: str, title: str, warn: bool = False) -> None:
        """Only a changed title reaches the tab bar (every change lays out all its tabs)."""
        panel = self.panels.get(key)
        text = ("⚠ " if warn else "") + title
        if panel is not None and self._titles.get(key) != text:
            self._titles[key] = text
            self.tabs.setTabText(self.tabs.indexOf(panel), text)

    def visible_panels(self) -> list[MonitorPanel]:
        current = self.tabs.currentWidget()
        return [current] if isinstance(current, MonitorPanel) and self.isVisible() else []

    def _close_tab(self, index: int) -> None:
        panel = self.tabs.widget(index)
        if isinstance(panel, MonitorPanel):
            self.panels.pop(panel.key, None)
            self._titles.pop(panel.key, None)
            self.tabs.removeTab(index)
            panel.deleteLater()
        if not self.panels:
            self.setCurrentWidget(self.empty)
