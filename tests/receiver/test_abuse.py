"""Slow and greedy clients, on raw sockets: they are cut off while real callbacks keep flowing."""

from __future__ import annotations

import asyncio
import time

import pytest

from console.receiver.server import CALLBACK_PATH, CallbackReceiver
from tests.receiver.conftest import Rig, params, wait_for


async def _closed_within(reader: asyncio.StreamReader, deadline: float) -> float | None:
    """Seconds until the server closed the connection (EOF or reset), None if it stayed open."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(deadline):
            while await reader.read(1024):
                pass
    except TimeoutError:
        return None
    except ConnectionError:
        pass
    return time.monotonic() - started


async def _drip(writer: asyncio.StreamWriter, data: bytes, every_s: float) -> None:
    try:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every_s)
    except (ConnectionError, RuntimeError):
        return


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_slowloris_and_idle_connections_are_closed_within_10_s(rig: Rig) -> None:
    port = rig.receiver.port
    head = (f"POST {CALLBACK_PATH} HTTP/1.1\r\nHost: x\r\nX-Slow: {'a' * 200}\r\n\r\n").encode()
    body_head = (
        f"POST {CALLBACK_PATH} HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n"
    ).encode()
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(60)]
    drips = []
    for i, (_, writer) in enumerate(conns):
        if i % 3 == 0:
            drips.append(asyncio.ensure_future(_drip(writer, head, 0.3)))  # headers, slowly
        elif i % 3 == 1:
            writer.write(body_head)  # headers at once, then the body a byte at a time
            drips.append(asyncio.ensure_future(_drip(writer, b"E" * 500, 0.3)))
        # else: idle, sends nothing at all
    closers = [asyncio.ensure_future(_closed_within(r, 12.0)) for r, _ in conns]
    # meanwhile real callbacks are answered promptly
    latencies = []
    for n in range(40):
        t0 = time.monotonic()
        assert (await rig.send(params(n))).status == 200
        latencies.append(time.monotonic() - t0)
        await asyncio.sleep(0.1)
    closed = await asyncio.gather(*closers)
    for task in drips:
        task.cancel()
    await asyncio.gather(*drips, return_exceptions=True)
    for _, writer in conns:
        writer.close()
    assert all(t is not None and t <= 10.5 for t in closed), closed
    assert max(latencies) < 1.0
    assert rig.receiver.stats.malformed == 20  # the slow bodies: counted (408), never stored
    assert rig.receiver.stats.accepted == 40


@pytest.mark.asyncio
async def test_beyond_the_cap_the_oldest_idle_connections_are_closed(rig: Rig) -> None:
    capped = CallbackReceiver(rig.log, lambda: rig.creds, port=0, max_connections=10)
    await capped.start()
    try:
        conns = [await asyncio.open_connection("127.0.0.1", capped.port) for _ in range(30)]
        server = capped.server
        assert server is not None
        await wait_for(lambda: server.evicted >= 20, what="the oldest idle connections closed")
        assert server.open_connections <= 10 and server.refused == 0
        for reader, _ in conns[:20]:
            assert await _closed_within(reader, 5.0) is not None
        rig.receiver, original = capped, rig.receiver
        try:
            # while ten idle ones stay open; closed after the answer, so that the count below
            # waits only for the test's own connections (a keep-alive one would idle for 5 s)
            sent = await rig.send(params(1), headers={"Connection": "close"})
            assert sent.status == 200
        finally:
            rig.receiver = original
        for _, writer in conns:
            writer.close()
        await wait_for(lambda: server.open_connections == 0, what="connections released")
    finally:
        await capped.stop()
