"""The one way controllers tell the agent something (docs/architecture.md, "Notices"): four
intents, each with one presentation.

- `status(text)`: news that needs nothing from the agent; the status bar's message line, for a
  while.
- `problem(key, level, text, detail, actions)` and `solved(key)`: trouble that lasts, maybe with
  actions; a banner until solved or dismissed.
- `call_result(text)`: the outcome of an action on the selected call; the call pane's streams
  line.
- `desktop(title, text)`: trouble to hear of while looking elsewhere; a tray notification (when
  the agent allows them and is not looking at the window).

What a dialog or pane answers to its own request (a failed save in the account dialog, an export
from the event pane, a start from the stream form) stays in that dialog or pane: the agent is
looking there. Health lights (`MainWindow.set_light`) show state, not news, and are not notices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from console.ui.banners import Level

Action = tuple[str, Callable[[], object]]
STATUS_MS = 10_000


class Board(Protocol):
    """Where the window shows banners and status messages (MainWindow)."""

    def show_status_message(self, text: str, timeout_ms: int) -> None: ...

    def show_banner(
        self,
        key: str,
        level: Level,
        text: str,
        detail: str = "",
        actions: list[Action] | None = None,
    ) -> None: ...

    def dismiss_banner(self, key: str) -> None: ...


class CallResults(Protocol):
    """The selected call's result line (CallPane)."""

    def set_streams_status(self, text: str, *, error: bool = False) -> None: ...


class Desktop(Protocol):
    """Notifications outside the window (DesktopNotifier); returns what it decided."""

    def notify(self, title: str, text: str) -> str: ...


class Notices:
    def __init__(self, board: Board, call_results: CallResults, desktop: Desktop) -> None:
        self._board = board
        self._call_results = call_results
        self._desktop = desktop

    def status(self, text: str, *, timeout_ms: int = STATUS_MS) -> None:
        self._board.show_status_message(text, timeout_ms)

    def problem(
        self,
        key: str,
        level: Level,
        text: str,
        detail: str = "",
        actions: Sequence[Action] = (),
    ) -> None:
        """Up until `solved(key)` or the agent dismisses it; one per key (a repeat replaces it)."""
        self._board.show_banner(key, level, text, detail, list(actions))

    def solved(self, *keys: str) -> None:
        for key in keys:
            self._board.dismiss_banner(key)

    def call_result(self, text: str, *, error: bool = False) -> None:
        """What became of the agent's last action on the call shown ("" clears it)."""
        self._call_results.set_streams_status(text, error=error)

    def desktop(self, title: str, text: str) -> str:
        return self._desktop.notify(title, text)
