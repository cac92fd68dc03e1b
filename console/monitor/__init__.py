"""The service side of Plivo's audio-stream WebSocket, for watching a stream from the console.

`MonitorEndpoint` is an aiohttp handler (mount it on any app, or serve it alone with
`MonitorServer`); each connection becomes a `MonitorSession` that decodes and meters the audio as
it arrives and can talk back (playAudio, checkpoint, clearAudio) on bidirectional streams. No Qt
here: the app layer pulls snapshots for the widgets (docs/monitor.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from console.monitor.endpoint import MONITOR_PATH, MonitorEndpoint, MonitorServer

if TYPE_CHECKING:
    from console.monitor.session import MonitorSession, SessionSnapshot

__all__ = [
    "MONITOR_PATH",
    "MonitorEndpoint",
    "MonitorServer",
    "MonitorSession",
    "SessionSnapshot",
]


def __getattr__(name: str) -> Any:
    """The sessions (and numpy with them) load when a stream first connects, not with the
    endpoint: the console serves the endpoint from start-up, idle until a stream is monitored."""
    if name in ("MonitorSession", "SessionSnapshot"):
        return getattr(importlib.import_module("console.monitor.session"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
