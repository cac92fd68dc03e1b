"""Misbehaving servers on 127.0.0.1 for fault tests: real sockets, real HTTP, real failures.

`EvilServer` is an aiohttp app that answers Plivo-shaped paths; the call uuid in the path names
the fault (`/v1/Account/{auth}/Call/stall-body/`), so one server serves every scenario and counts
the hits per (method, fault). Listing a call's streams always answers an empty list, so a start
that fails ambiguously can be reconciled. `header_dripper` is a raw TCP server for the one fault
aiohttp cannot produce: response headers that arrive one byte at a time, forever.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    b"</h1></center><hr><center>nginx</center></body></html>"
)
MiB = 1024 * 1024


class EvilServer:
    def __init__(self) -> None:
        self.hits: Counter[tuple[str, str]] = Counter()
        self.release = asyncio.Event()
        self.huge_written = 0
        self.huge_size = 50 * MiB
        self.slow_max_s = 0.2
        self.in_flight = 0
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def count(self, fault: str, method: str | None = None) -> int:
        return sum(n for (m, f), n in self.hits.items() if f == fault and method in (None, m))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        # v1 Account {auth} Call {fault} [Stream [id]]
        fault = parts[4] if len(parts) > 4 else "list"
        if request.method == "GET" and parts[-1] == "Stream" and len(parts) == 6:
            return web.json_response({"api_id": "x", "meta": {"count": 0}, "objects": []})
        self.hits[(request.method, fault)] += 1
        self.in_flight += 1
        try:
            return await getattr(self, "_" + fault.replace("-", "_"))(request)
        finally:
            self.in_flight -= 1

    # --- faults, named by the call uuid ---------------------------------------------------

    async def _ok(self, request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            return web.json_response(
                {"api_id": "a", "message": "ok", "stream_id": "s-1"}, status=201
            )
        if request.method == "DELETE":
            return web.Response(status=204)
        return web.json_response({"api_id": "a", "call_uuid": "ok", "from": "+1", "to": "+2"})

    async def _slow(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(random.uniform(0, self.slow_max_s))
        return await self._ok(request)

    async def _stall_headers(self, request: web.Request) -> web.StreamResponse:
        await self.release.wait()
        return await self._ok(request)

    async def _stall_body(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": "100"}
        )
        await response.prepare(request)
        await response.write(b'{"call_uuid": "')
        await self.release.wait()
        return response

    async def _drip(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": "100000"}
        )
        await response.prepare(request)
        while not self.release.is_set():
            await response.write(b" ")
            await asyncio.sleep(0.05)
        return response

    async def _reset(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": "1000"}
        )
        await response.prepare(request)
        await response.write(b'{"call_uuid": "' + b"x" * 100)
        assert request.transport is not None
        request.transport.abort()
        return response

    async def _html502(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=502, body=HTML_502, content_type="text/html")

    async def _badjson(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=200, body=b'{"call_uuid": "x",', content_type="application/json")

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"[" + b"0," * (32 * 1024 - 1)
        try:
            while self.huge_written < self.huge_size:
                await response.write(chunk)
                self.huge_written += len(chunk)
        except (ConnectionError, asyncio.CancelledError):
            raise
        return response

    async def _huge_declared(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": str(self.huge_size)}
        )
        await response.prepare(request)
        await response.write(b"[")
        await self.release.wait()
        return response

    async def _unauthorized(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"api_id": "a", "error": "authentication failed"}, status=401)

    async def _echo(self, request: web.Request) -> web.StreamResponse:
        """A broken proxy that echoes the request's headers into its error page."""
        body = json.dumps({"error": f"echo {dict(request.headers)}", "api_id": "e"})
        return web.Response(status=500, text=body, content_type="application/json")


@asynccontextmanager
async def evil_server() -> AsyncIterator[EvilServer]:
    server = EvilServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def header_dripper(interval_s: float = 0.05) -> AsyncIterator[str]:
    """A server that sends a status line, then one header byte every `interval_s`, forever."""
    writers: list[asyncio.StreamWriter] = []
    stopped = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
            while not stopped.is_set():
                await writer.drain()
                writer.write(b"a")
                await asyncio.sleep(interval_s)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stopped.set()
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()
