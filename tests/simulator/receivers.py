"""Real loopback peers for simulator tests: an HTTP endpoint that records status callbacks and a
WebSocket service that records what Plivo (the simulator) streams to it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class Callback:
    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, str]
    content_type: str


@dataclass
class CallbackReceiver:
    """Answers `statuses` in turn (then 200) and keeps every request."""

    statuses: list[int] = field(default_factory=list)
    received: list[Callback] = field(default_factory=list)
    runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> CallbackReceiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            params = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        else:
            params = dict(request.query)
        self.received.append(
            Callback(
                request.method,
                str(request.url),
                dict(request.headers),
                params,
                request.content_type,
            )
        )
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status, text="ok")

    def events(self) -> list[str]:
        return [c.params.get("Event", "") for c in self.received]


@dataclass
class Connection:
    ws: web.WebSocketResponse
    path: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None

    def of(self, event: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("event") == event]

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))


@dataclass
class WsService:
    """A WebSocket service_url: records messages with their arrival time; counts handshakes.
    With `refuse=True` it answers the upgrade with 404, as a wrong URL would."""

    refuse: bool = False
    close_after: int | None = None
    attempts: int = 0
    connections: list[Connection] = field(default_factory=list)
    runner: web.AppRunner | None = None
    ws_url: str = ""

    async def start(self) -> WsService:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.ws_url = f"ws://127.0.0.1:{self.runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        for conn in self.connections:
            await conn.ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.attempts += 1
        if self.refuse:
            return web.Response(status=404)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = Connection(ws, request.path)
        self.connections.append(conn)
        loop = asyncio.get_running_loop()
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    conn.messages.append(json.loads(msg.data))
                    conn.arrivals.append(loop.time())
                    if self.close_after is not None and len(conn.messages) >= self.close_after:
                        await ws.close(code=1001)
                        break
        finally:
            conn.close_code = ws.close_code
            conn.closed.set()
        return ws
