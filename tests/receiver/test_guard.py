"""The guard's own parts, without aiohttp's keep-alive timer doing the work for them."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web

from console.receiver.guard import GuardedServer, RateLimiter


async def _ok(request: web.BaseRequest) -> web.StreamResponse:
    return web.Response(text="ok")


@pytest.mark.asyncio
async def test_sweeper_aborts_connections_that_send_no_complete_request() -> None:
    server = GuardedServer(_ok, header_deadline_s=1.0, keepalive_timeout=75.0, access_log=None)
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(server, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        await writer.drain()
        started = time.monotonic()
        async with asyncio.timeout(5):
            assert await reader.read() == b""  # closed by the server
        assert time.monotonic() - started < 3.0
        assert server.timed_out == 1 and server.open_connections == 0
        writer.close()
    finally:
        server.stop_sweeping()
        listener.close()
        await server.shutdown(1.0)
        await listener.wait_closed()


def test_rate_limiter_allows_the_burst_then_the_rate() -> None:
    limiter = RateLimiter(rate=10.0, burst=5.0)
    assert sum(limiter.allow() for _ in range(20)) == 5
    limiter._at -= 0.5  # half a second later: five more tokens
    assert sum(limiter.allow() for _ in range(20)) == 5
