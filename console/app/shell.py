"""The window as first painted: built from Qt and the ui layer only, so it can be on screen
before the event loop, the services and their imports (asyncio alone costs ~40 ms) are loaded."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from console.app.resources import resource_path
from console.ui.empty_state import EmptyState
from console.ui.main_window import MainWindow


def build_main_window(*, demo: bool) -> MainWindow:
    if demo:
        calls = EmptyState("Demo account", "The demo account has no live calls yet.")
    else:
        calls = EmptyState(
            "Welcome to Stream Console",
            "Add your Plivo account (Auth ID and Auth Token) to see its live calls, or try the "
            "demo account: no Plivo account needed.",
            [("Add account…", lambda: None)],
        )
    return MainWindow(
        calls,
        EmptyState(
            "No call selected",
            "Pick a live call on the left to start or stop its audio streams.",
        ),
        EmptyState(
            "Status callbacks",
            "Stream events (StartStream, StopStream, DroppedStream, DegradedStream) will appear "
            "here as Plivo sends them.",
        ),
        title="Stream Console — demo" if demo else "Stream Console",
        icon=QIcon(str(resource_path("icons", "stream-console.svg"))),
    )
