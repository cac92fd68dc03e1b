"""Plivo reaching the monitor through the callback receiver's port.

A real account's tunnel (its public URL) forwards to the receiver's port only, so the receiver
mounts `/plivo/stream-monitor` (`CallbackReceiver.routes`) on `MonitorForwarder.handle`, which
relays each WebSocket, frame for frame and both ways, to the monitor's own loopback endpoint:
sessions are decoded, metered and recorded there, on the monitor's thread, exactly as in the
demo, and playAudio/checkpoint/clearAudio travel back the same way. The relay runs on the
receiver's loop (on the receiver's own thread) and only copies text: about 30 µs a frame
(docs/monitor.md). Its sockets and client session belong to that loop, so `close()`, called from
the GUI loop, does its work there.

The monitor is connected first, so when it cannot take the stream Plivo gets an HTTP error
(502/503) instead of a socket that says nothing. The public URL is reachable by anyone who knows
the tunnel, so it carries a per-run key (`?key=…`, put there by the console when it fills the
Stream URL); a connection without it is refused (403) and the key is not passed on: the monitor's
loopback endpoint has a key of its own, in the `target()` URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from urllib.parse import urlencode

import aiohttp
from aiohttp import WSMsgType, web

from console.monitor.endpoint import HARD_LIMIT_BYTES, KEY_PARAM, MAX_SESSIONS, key_matches

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 5.0
GOING_AWAY = 1001


class MonitorForwarder:
    """`target()` is the monitor's loopback `ws://` URL (with that endpoint's key), or None while
    it is not running. `key` is required of every connection Plivo makes to the relay."""

    def __init__(
        self,
        target: Callable[[], str | None],
        *,
        key: str,
        max_connections: int = MAX_SESSIONS,
    ) -> None:
        self._target = target
        if not key:
            raise ValueError("the relay needs a key: the tunnel's URL is public")
        self._key = key
        self.max_connections = max_connections
        self.forwarded = 0  # connections relayed so far
        self.refused = 0
        self._client: aiohttp.ClientSession | None = None
        self._open: set[web.WebSocketResponse] = set()
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None  # where the relays run

    @property
    def open_connections(self) -> int:
        return len(self._open)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # first request, or the receiver restarted on a new loop
            self._loop, self._client = loop, None
        if not key_matches(request, self._key):  # first: a stranger learns nothing else
            self.refused += 1
            return web.Response(status=403, text="This monitor link is not one this console gave")
        target = self._target()
        if target is None or self._closing:
            self.refused += 1
            return web.Response(status=503, text="The stream monitor is not running")
        if len(self._open) >= self.max_connections:
            self.refused += 1
            return web.Response(status=503, text="Too many monitored streams")
        ws = web.WebSocketResponse(max_msg_size=HARD_LIMIT_BYTES, autoping=True)
        if not ws.can_prepare(request).ok:
            return web.Response(status=400, text="This is a WebSocket endpoint for Plivo streams")
        query = urlencode([(k, v) for k, v in request.query.items() if k != KEY_PARAM])
        url = f"{target}{'&' if '?' in target else '?'}{query}" if query else target
        try:
            upstream = await self._session().ws_connect(
                url, max_msg_size=HARD_LIMIT_BYTES, autoping=True,
                timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
            )  # fmt: skip
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self.refused += 1
            log.warning("monitor relay: the monitor endpoint did not answer: %s", exc)
            return web.Response(status=502, text="The stream monitor did not answer")
        try:
            await ws.prepare(request)
        except ConnectionError as exc:
            log.info("monitor relay: handshake with %s abandoned: %s", request.remote, exc)
            await upstream.close()
            return web.Response(status=400, text="handshake abandoned")
        self.forwarded += 1
        self._open.add(ws)
        to_monitor = asyncio.ensure_future(_copy(ws, upstream))
        to_plivo = asyncio.ensure_future(_copy(upstream, ws))
        try:
            await asyncio.wait({to_monitor, to_plivo}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (to_monitor, to_plivo):
                task.cancel()
            await asyncio.gather(to_monitor, to_plivo, return_exceptions=True)
            # whoever closed first, the other side hears the same code
            code = ws.close_code if ws.closed else upstream.close_code
            code = code if code and 1000 <= code < 5000 and code not in (1005, 1006) else 1000
            with contextlib.suppress(Exception):
                await asyncio.wait_for(upstream.close(code=code), 2.0)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=code), 2.0)
            self._open.discard(ws)
        return ws

    def _session(self) -> aiohttp.ClientSession:
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession()
        return self._client

    async def close(self) -> None:
        """Close every relayed connection (1001, going away) and the client, on the loop they
        run on."""
        self._closing = True
        loop = self._loop
        if loop is not None and loop is not asyncio.get_running_loop():
            if loop.is_closed() or not loop.is_running():
                return  # that loop is gone, and its sockets with it
            done = asyncio.run_coroutine_threadsafe(self._close_here(), loop)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.wrap_future(done), 5.0)
            return
        await self._close_here()

    async def _close_here(self) -> None:
        for ws in list(self._open):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=GOING_AWAY, message=b"console closing"), 1.0)
        client, self._client = self._client, None
        if client is not None:
            await client.close()


async def _copy(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
) -> None:
    """Frames from `source` to `sink` until `source` closes; binary frames too (the monitor
    counts them as bad); control frames are each side's own business."""
    async for msg in source:
        if msg.type is WSMsgType.TEXT:
            await sink.send_str(msg.data)
        elif msg.type is WSMsgType.BINARY:
            await sink.send_bytes(msg.data)
        elif msg.type is WSMsgType.ERROR:
            break
