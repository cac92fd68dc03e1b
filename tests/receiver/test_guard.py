"""The guard's own parts, without aiohttp's keep-alive timer doing the work for them."""

from __future__ import annotations

import asyncio
import gc
import logging
import subprocess
import sys
import time

import pytest
from aiohttp import web

from console.receiver.guard import (
    MAX_CONNECTIONS,
    MIN_CONNECTIONS,
    OVERSHOOT,
    GuardedServer,
    RateLimiter,
    TroubleLog,
    connection_cap,
)
from tests.receiver.conftest import wait_for


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


class _Listening:
    """A GuardedServer on loopback whose handler holds each request until `release` is set."""

    def __init__(self, server: GuardedServer) -> None:
        self.server = server
        self.listener: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> _Listening:
        self.listener = await asyncio.get_running_loop().create_server(self.server, "127.0.0.1", 0)
        self.port = int(self.listener.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.listener is not None
        self.server.stop_sweeping()
        self.listener.close()
        await self.server.shutdown(1.0)
        await self.listener.wait_closed()

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        connection = await asyncio.open_connection("127.0.0.1", self.port)
        await wait_for(lambda: self.server.open_connections > 0, what="accepted")
        return connection


async def _closed(reader: asyncio.StreamReader) -> bool:
    try:
        async with asyncio.timeout(5):
            return await reader.read() == b""
    except ConnectionError:
        return True


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    async with asyncio.timeout(5):
        return await reader.readline()


@pytest.mark.asyncio
async def test_at_the_ceiling_the_oldest_silent_connection_makes_room() -> None:
    server = GuardedServer(_ok, max_connections=2, overshoot=0, grace_s=0.0, access_log=None)
    async with _Listening(server) as up:
        talking = await up.connect()
        talking[1].write(b"GET / HTTP/1.1\r\n")  # part of a request: spared while others are idle
        await wait_for(lambda: len(server._heard) == 1, what="bytes heard")
        silent = await up.connect()
        await wait_for(lambda: server.open_connections == 2, what="two open")
        newest = await up.connect()
        assert await _closed(silent[0])  # the silent one went, though the talking one is older
        assert server.evicted == 1 and server.refused == 0
        assert (await _answer(*newest)).startswith(b"HTTP/1.1 200")
        talking[1].write(b"Host: x\r\n\r\n")
        assert (await _answer(*talking)).startswith(b"HTTP/1.1 200")
        for _, writer in (talking, silent, newest):
            writer.close()


@pytest.mark.asyncio
async def test_new_connections_get_a_moment_before_the_count_is_trimmed_to_the_cap() -> None:
    server = GuardedServer(_ok, max_connections=2, grace_s=0.05, access_log=None)
    async with _Listening(server) as up:
        idle = [await up.connect() for _ in range(6)]
        await wait_for(lambda: server.open_connections == 2, what="trimmed to the cap")
        assert server.evicted == 4 and server.refused == 0
        assert [await _closed(reader) for reader, _ in idle[:4]] == [True] * 4
        assert (await _answer(*idle[5])).startswith(b"HTTP/1.1 200")
        for _, writer in idle:
            writer.close()


@pytest.mark.asyncio
async def test_when_every_connection_is_busy_a_new_one_is_refused_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    release = asyncio.Event()

    async def held(request: web.BaseRequest) -> web.StreamResponse:
        server.request_started(request.protocol)
        try:
            await release.wait()
            return web.Response(text="ok")
        finally:
            server.request_finished(request.protocol)

    server = GuardedServer(held, max_connections=2, overshoot=0, grace_s=0.0, access_log=None)
    async with _Listening(server) as up:
        busy = [await up.connect() for _ in range(2)]
        for _, writer in busy:
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await wait_for(lambda: len(server._busy) == 2, what="both handling a request")
        for _ in range(20):
            reader, writer = await asyncio.open_connection("127.0.0.1", up.port)
            assert await _closed(reader)
            writer.close()
        assert server.refused == 20 and server.evicted == 0
        release.set()
        for reader, _ in busy:
            async with asyncio.timeout(5):
                assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        for _, writer in busy:
            writer.close()
    gc.collect()  # a request task that failed would report it when collected
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("refused 20 connections in the last")
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.asyncio
async def test_trouble_is_logged_once_per_kind_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    trouble = TroubleLog(
        {"a": (logging.WARNING, "closed {n} in the last {span}"), "b": (logging.INFO, "{n} b")},
        interval_s=0.05,
    )
    for _ in range(100_000):
        trouble.note("a")
    trouble.note("b")
    await wait_for(lambda: len(caplog.records) == 2, what="one line per kind")
    assert sorted(r.getMessage().split(" in the")[0] for r in caplog.records) == [
        "1 b",
        "closed 100,000",
    ]
    trouble.note("a")
    trouble.flush()  # the receiver stopping
    assert caplog.records[-1].getMessage().startswith("closed 1 in the last")


def test_the_cap_is_sized_from_the_open_file_limit() -> None:
    assert connection_cap(1_024) == MIN_CONNECTIONS  # the old fixed cap: nothing lost
    assert connection_cap(16_384) == 16_384 // 2 - OVERSHOOT
    assert connection_cap(1_048_576) == MAX_CONNECTIONS
    for open_files in (1_024, 4_096, 16_384, 1_048_576):
        assert connection_cap(open_files) + OVERSHOOT <= max(open_files // 2, 768)


RAISE = """
import asyncio, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (256, int(sys.argv[1])))
from console.receiver.guard import GuardedServer
async def main():
    server = GuardedServer(lambda request: None)
    print(resource.getrlimit(resource.RLIMIT_NOFILE)[0], server.max_connections)
asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("hard", "soft", "cap"), [(20_000, 16_384, 7_680), (1_024, 1_024, MIN_CONNECTIONS)]
)
def test_the_receiver_raises_the_open_file_limit_toward_the_hard_limit(
    hard: int, soft: int, cap: int
) -> None:
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < hard:
        pytest.skip("the hard open-file limit here is lower than the case needs")
    out = subprocess.run(
        [sys.executable, "-c", RAISE, str(hard)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [str(soft), str(cap)]
