"""Idle connections held open (and opened again as they are closed) do not lock genuine callbacks
out, and the log says so in a few lines, never one per connection (docs/callbacks.md,
Connections)."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from console.domain.signature import sign_request
from console.receiver.server import CALLBACK_PATH, Credential
from console.receiver.thread import ThreadedReceiver
from console.store.event_log import EventLog
from tests.receiver.conftest import AUTH_ID, FORM, PUBLIC, TOKEN, params

URL = PUBLIC + CALLBACK_PATH
CAP = 32
HELD = 300
CALLBACKS = 51


class Siege:
    """`held` connections that never send a byte, from a thread and loop of their own (so the
    attacker is not slowed by the test's Qt loop); each is opened again as soon as the server
    closes it."""

    def __init__(self, port: int, held: int) -> None:
        self.port = port
        self.held = held
        self.opened = 0
        self.all_open = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._holders: list[asyncio.Future[None]] = []
        self._thread = threading.Thread(target=self._run, name="siege", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(lambda: [task.cancel() for task in self._holders])
        self._thread.join(10.0)
        assert not self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._siege())
        finally:
            self._loop.close()

    async def _siege(self) -> None:
        self._holders = [asyncio.ensure_future(self._hold()) for _ in range(self.held)]
        await asyncio.gather(*self._holders, return_exceptions=True)  # until stop() cancels

    async def _hold(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                continue
            self.opened += 1
            if self.opened >= self.held:
                self.all_open.set()
            try:
                await reader.read(1)  # b"" or a reset: the server closed it; open another
            except OSError:
                pass
            finally:
                writer.close()


async def _send(http: aiohttp.ClientSession, port: int, n: int) -> int | str:
    """One signed callback on a new connection, as Plivo's sender (through a tunnel) does."""
    p = params(n)
    headers = sign_request(TOKEN, "POST", URL, p).as_dict() | {"Content-Type": FORM}
    try:
        async with http.post(
            f"http://127.0.0.1:{port}{CALLBACK_PATH}", data=urlencode(p), headers=headers
        ) as r:
            await r.read()
            return r.status
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return type(exc).__name__


@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_idle_connections_held_open_do_not_lock_genuine_callbacks_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    log = EventLog(tmp_path / "events.sqlite3", maintenance_interval_s=0)
    await log.open()
    creds = [Credential(AUTH_ID, TOKEN, URL)]
    receiver = ThreadedReceiver(log, lambda: creds, port=0, max_connections=CAP)
    await receiver.start()
    siege = Siege(receiver.port, HELD)
    siege.start()
    timeout = aiohttp.ClientTimeout(total=5.0)
    connector = aiohttp.TCPConnector(force_close=True)
    try:
        assert await asyncio.get_running_loop().run_in_executor(None, siege.all_open.wait, 30.0)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            answers = [await _send(http, receiver.port, n) for n in range(CALLBACKS)]
        reopened = siege.opened
    finally:
        siege.stop()
        await receiver.stop()
        await log.close()
    ok = answers.count(200)
    assert ok >= 0.9 * CALLBACKS, answers
    assert reopened > HELD  # the server closed idle ones to let callbacks in, and they came back
    # A few lines, whatever the number of connections; never a traceback.
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert not [r for r in records if r.exc_info or "Traceback" in r.getMessage()]
    size = sum(len(r.getMessage()) for r in records)
    assert len(records) <= 10, [r.getMessage() for r in records]
    assert size < 4_096
    assert any("idle connection" in r.getMessage() for r in records)  # said, once
