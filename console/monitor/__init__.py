"""The service side of Plivo's audio-stream WebSocket, for watching a stream from the console.

`MonitorEndpoint` is an aiohttp handler (mount it on any app, or serve it alone with
`MonitorServer`); each connection becomes a `MonitorSession` that decodes and meters the audio as
it arrives and can talk back (playAudio, checkpoint, clearAudio) on bidirectional streams. No Qt
here: the app layer pulls snapshots for the widgets (docs/monitor.md).
"""

from console.monitor.endpoint import MONITOR_PATH, MonitorEndpoint, MonitorServer
from console.monitor.session import MonitorSession, SessionSnapshot

__all__ = [
    "MONITOR_PATH",
    "MonitorEndpoint",
    "MonitorServer",
    "MonitorSession",
    "SessionSnapshot",
]
