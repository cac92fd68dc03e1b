"""The WebSocket endpoint Plivo streams to when the console monitors a stream.

`MonitorEndpoint.handle` is a plain aiohttp handler: add it as a route on any application
(`add_route`) or call it from a low-level server's handler for its path. `MonitorServer` serves it
alone on loopback (demo, tests, benchmarks). Limits, so one peer cannot hurt the console:

- a connection must carry the endpoint's key (`?key=…`, random per endpoint, compared in
  constant time): any local process can reach a loopback port, and without the key it could
  inject a fake stream, audio included, into an agent's monitor. `MonitorServer.url` carries it;
  the relay for Plivo (`forward.py`) checks its own key and passes this one on;
- at most `max_sessions` connections at once (503 beyond);
- a frame over `max_frame_bytes` is counted as oversized and skipped, the stream goes on; one over
  `HARD_LIMIT_BYTES` (aiohttp's own limit) closes that connection with 1009;
- binary frames, bad JSON, unknown events are counted and shown, never fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from console.domain.monitoring import Requested
from console.listening import to_the_end

if TYPE_CHECKING:
    from console.monitor.session import MonitorSession  # numpy: loaded with the first stream

log = logging.getLogger(__name__)

MONITOR_PATH = "/plivo/stream-monitor"
MAX_FRAME_BYTES = 256 * 1024  # a 20 ms L16 16 kHz frame is about 1 KB of JSON
HARD_LIMIT_BYTES = 4 * 1024 * 1024
MAX_SESSIONS = 200
CHECK_EVERY_S = 0.25  # measuring waiting frames and the silence alarm, for every open session
KEY_PARAM = "key"


def key_matches(request: web.BaseRequest, key: str) -> bool:
    """Whether the request's `?key=` is `key`, compared in constant time."""
    given = request.query.get(KEY_PARAM, "")
    return hmac.compare_digest(given.encode(), key.encode())


class MonitorEndpoint:
    """Accepts Plivo's stream WebSockets; `on_session` hears of each new one (on the loop)."""

    def __init__(
        self,
        *,
        on_session: Callable[[MonitorSession], None] | None = None,
        key: str | None = None,
        max_sessions: int = MAX_SESSIONS,
        max_frame_bytes: int = MAX_FRAME_BYTES,
    ) -> None:
        self.on_session = on_session
        self.key = key or secrets.token_urlsafe(18)  # required of every connection
        self.max_sessions = max_sessions
        self.max_frame_bytes = max_frame_bytes
        self.sessions: dict[str, MonitorSession] = {}  # open connections
        self.refused = 0
        self._serial = itertools.count(1)
        self._sockets: set[web.WebSocketResponse] = set()
        self._checker: asyncio.TimerHandle | None = None

    def add_route(self, app: web.Application, path: str = MONITOR_PATH) -> None:
        app.router.add_get(path, self.handle)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if not key_matches(request, self.key):
            self.refused += 1
            return web.Response(status=403, text="This monitor link is not one this console gave")
        if len(self.sessions) >= self.max_sessions:
            self.refused += 1
            return web.Response(status=503, text="Too many monitored streams")
        ws = web.WebSocketResponse(max_msg_size=HARD_LIMIT_BYTES, autoping=True)
        if not ws.can_prepare(request).ok:
            return web.Response(status=400, text="This is a WebSocket endpoint for Plivo streams")
        try:
            await ws.prepare(request)
        except ConnectionError as exc:  # the peer gave up during the handshake
            log.info("monitor: handshake with %s abandoned: %s", request.remote, exc)
            return web.Response(status=400, text="handshake abandoned")
        loop = asyncio.get_running_loop()
        key = f"connection {next(self._serial)}"
        query = {k: v for k, v in request.query.items() if k != KEY_PARAM}
        peer = request.remote or ""
        from console.monitor.session import MonitorSession  # numpy loads with the first stream

        session = MonitorSession(
            key, requested=Requested.from_query(query), send=ws.send_str, clock=loop.time, peer=peer
        )
        self.sessions[key] = session
        self._sockets.add(ws)
        if self._checker is None:
            self._checker = loop.call_later(CHECK_EVERY_S, self._check)
        if self.on_session is not None:
            try:
                self.on_session(session)
            except Exception:
                log.exception("monitor: the new-session hook failed")
        reason = "closed by Plivo"
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    text: str = msg.data
                    if len(text) > self.max_frame_bytes:
                        session.problem(f"a frame of {len(text)} bytes skipped", oversized=True)
                    else:
                        session.receive(text, loop.time())
                elif msg.type is WSMsgType.BINARY:
                    session.problem("a binary frame (Plivo sends JSON text)")
                elif msg.type is WSMsgType.ERROR:
                    reason = f"connection error: {ws.exception() or 'unknown'}"
                    break
        except (ConnectionError, asyncio.CancelledError) as exc:
            reason = f"connection lost ({type(exc).__name__})"
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            code = ws.close_code
            if code not in (None, 1000) and reason == "closed by Plivo":
                reason = f"closed by Plivo (code {code})"
            session.end(reason)
            self.sessions.pop(key, None)
            self._sockets.discard(ws)
        return ws

    def _check(self) -> None:
        """On the endpoint's loop, so the GUI only reads the results: measure what the sessions
        hold and update their silence alarms."""
        self._checker = None
        for session in list(self.sessions.values()):
            try:
                session.check_silence()
            except Exception:
                log.exception("monitor: checking %s failed", session.key)
        if self.sessions:
            self._checker = asyncio.get_running_loop().call_later(CHECK_EVERY_S, self._check)

    async def close(self) -> None:
        """Close every monitored connection (1001, going away)."""
        if self._checker is not None:
            self._checker.cancel()
            self._checker = None
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1001, message=b"console closing"), 1.0)


class MonitorServer:
    """The endpoint on its own loopback port: `url` is
    `ws://127.0.0.1:PORT/plivo/stream-monitor?key=…`, the endpoint's key included (add a query
    with `&`)."""

    def __init__(self, endpoint: MonitorEndpoint) -> None:
        self.endpoint = endpoint
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.host = "127.0.0.1"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        self.endpoint.add_route(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await to_the_end(web.TCPSite(runner, host, port).start())  # console/listening.py
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.host = host
        self.port = int(runner.addresses[0][1])
        return self.url

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{shown}:{self.port}{MONITOR_PATH}?{KEY_PARAM}={self.endpoint.key}"

    async def stop(self) -> None:
        await self.endpoint.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
