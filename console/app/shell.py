"""The window as first painted: light placeholders from Qt and the ui layer only, so it is on
screen before the event loop, the services, the working regions and their imports (asyncio alone
costs ~40 ms, the stream form ~70 ms) are loaded. `ConsoleApp` swaps the real regions in."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from console.app.runtime.resources import resource_path
from console.identity import ICON_FILE, NAME
from console.ui.empty_state import EmptyState
from console.ui.main_window import MainWindow

APP_TITLE = NAME
DEMO_TITLE = "Demo account (simulator)"


def build_main_window(*, demo: bool) -> MainWindow:
    events = EmptyState(
        "Status callbacks",
        "Stream events (StartStream, StopStream, DroppedStream, DegradedStream) will appear here "
        "once the console's callback receiver is running.",
    )
    return MainWindow(
        EmptyState("Stream Console", "Starting…"),
        EmptyState(
            "No call selected", "Pick a live call on the left to start or stop its audio streams."
        ),
        events,
        # Qt appends the application's name (" — Stream Console") to any other title itself.
        title=DEMO_TITLE if demo else NAME,
        icon=QIcon(str(resource_path("icons", ICON_FILE))),
    )
