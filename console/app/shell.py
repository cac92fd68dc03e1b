"""The window as first painted: built from Qt and the ui layer only, so it can be on screen
before the event loop, the services and their imports (asyncio alone costs ~40 ms) are loaded."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from console.app.resources import resource_path
from console.ui.call_pane import CallPane
from console.ui.calls_region import CallsRegion
from console.ui.empty_state import EmptyState
from console.ui.main_window import MainWindow


def build_main_window(*, demo: bool) -> MainWindow:
    events = EmptyState(
        "Status callbacks",
        "Stream events (StartStream, StopStream, DroppedStream, DegradedStream) will appear here "
        "once the console's callback receiver is running.",
    )
    return MainWindow(
        CallsRegion(),
        CallPane(),
        events,
        title="Stream Console — demo" if demo else "Stream Console",
        icon=QIcon(str(resource_path("icons", "stream-console.svg"))),
    )
