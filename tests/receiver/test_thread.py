"""The receiver on its own thread and loop: what the GUI loop sees, and a clean start and stop."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from console.domain.events import EventFilter, StoredEvent
from console.domain.signature import sign_request
from console.receiver.server import CALLBACK_PATH, CallbackReceiver, Credential
from console.receiver.thread import CHANGE_INTERVAL_S, ThreadedReceiver
from console.store.event_log import EventLog
from tests.net import free_port, listening
from tests.receiver.conftest import AUTH_ID, FORM, PUBLIC, TOKEN, params, wait_for

URL = PUBLIC + CALLBACK_PATH


def receiver_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "callback-receiver"]


async def post(
    http: aiohttp.ClientSession, receiver: ThreadedReceiver, p: dict[str, str], nonce: str | None
) -> int:
    headers = sign_request(TOKEN, "POST", URL, p, nonce=nonce).as_dict()
    headers["Content-Type"] = FORM
    async with http.post(
        receiver.local_url + CALLBACK_PATH, data=urlencode(p), headers=headers
    ) as r:
        await r.read()
        return r.status


@pytest.mark.asyncio
async def test_callbacks_are_handled_off_the_calling_loop_and_reported_back_on_it(
    tmp_path: Path,
) -> None:
    here = asyncio.get_running_loop()
    me = threading.get_ident()
    log = EventLog(tmp_path / "events.sqlite3", maintenance_interval_s=0)
    await log.open()
    committed: list[tuple[int, list[StoredEvent]]] = []
    log.add_listener(lambda events: committed.append((threading.get_ident(), events)))
    changes: list[int] = []
    creds = [Credential(AUTH_ID, TOKEN, URL)]
    receiver = ThreadedReceiver(
        log, lambda: creds, port=0, on_change=lambda: changes.append(threading.get_ident())
    )
    await receiver.start()
    try:
        assert receiver.listening and receiver.port != 0
        assert receiver.loop is not None and receiver.loop is not here
        assert len(receiver_threads()) == 1
        async with aiohttp.ClientSession() as http:
            statuses = await asyncio.gather(
                *(post(http, receiver, params(n), nonce=f"{n:020d}") for n in range(200))
            )
            # An exact replay of one of them: answered, not stored again.
            assert await post(http, receiver, params(7), nonce=f"{7:020d}") == 200
        assert statuses == [200] * 200
        assert await log.count(EventFilter()) == 200  # every 200 is a row
        await wait_for(lambda: sum(len(b) for _, b in committed) == 200, what="all reported")
        assert {thread for thread, _ in committed} == {me}  # on the loop the listener came from
        ids = [e.id for _, batch in committed for e in batch]
        assert ids == sorted(ids) and len(set(ids)) == 200
        await wait_for(lambda: receiver.stats.replays == 1, what="replay counted")
        assert receiver.stats.accepted == 200
        await wait_for(lambda: changes, what="a change reported")
        assert set(changes) == {me} and len(changes) < 201  # coalesced, on the calling loop
    finally:
        await receiver.stop()
        await log.close()
    assert not receiver.listening and receiver_threads() == []
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", receiver.port), 1):
        pass


@pytest.mark.asyncio
async def test_changes_reach_the_calling_loop_spaced_out_and_the_last_one_after_stop(
    tmp_path: Path,
) -> None:
    """Counter changes are coalesced to one hop every CHANGE_INTERVAL_S however fast callbacks
    come, and a change held back when the receiver stops still arrives, showing it stopped."""
    log = EventLog(tmp_path / "events.sqlite3", maintenance_interval_s=0)
    await log.open()
    creds = [Credential(AUTH_ID, TOKEN, URL)]
    seen: list[tuple[float, int, bool]] = []
    receiver: ThreadedReceiver

    def changed() -> None:
        seen.append((time.monotonic(), receiver.stats.accepted, receiver.listening))

    receiver = ThreadedReceiver(log, lambda: creds, port=0, on_change=changed)
    await receiver.start()
    try:
        async with aiohttp.ClientSession() as http:
            for batch in range(6):  # ~0.3 s or more of steady callbacks
                await asyncio.gather(
                    *(
                        post(http, receiver, params(n), f"{n:020d}")
                        for n in range(batch * 40, batch * 40 + 40)
                    )
                )
        await wait_for(lambda: seen and seen[-1][1] == 240, what="the last count reported")
    finally:
        running = list(seen)
        await receiver.stop()
        await log.close()
    # Hops leave the receiver's thread CHANGE_INTERVAL_S apart (their arrival here jitters).
    span = running[-1][0] - running[0][0]
    assert 2 <= len(running) <= span / CHANGE_INTERVAL_S + 2, running
    assert seen[-1][2] is False  # the last change told of the stop


@pytest.mark.asyncio
async def test_a_taken_port_fails_the_start_leaves_no_thread_and_a_retry_works(
    tmp_path: Path,
) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    busy = blocker.getsockname()[1]
    log = EventLog(tmp_path / "events.sqlite3", maintenance_interval_s=0)
    await log.open()
    receiver = ThreadedReceiver(log, list, port=busy)
    try:
        with pytest.raises(OSError):
            await receiver.start()
        assert receiver_threads() == [] and not receiver.listening
        receiver.port = 0  # what the console does when its default port is busy
        await receiver.start()
        assert receiver.listening and receiver.port not in (0, busy)
    finally:
        await receiver.stop()
        await log.close()
        blocker.close()
    assert receiver_threads() == []


def accepts(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["own thread", "this loop"])
@pytest.mark.parametrize("when", ["at once", 1, 2, 3, 4, 5, 6, "once listening"])
async def test_a_start_cancelled_at_any_moment_leaves_no_port_open(
    tmp_path: Path, kind: str, when: str | int
) -> None:
    """What the console does when its window closes while the receiver is still starting: the
    start is cancelled. asyncio can lose a listening socket when `create_server` is cancelled
    after it began to serve; the port must be closed (and the thread gone) all the same."""
    log = EventLog(tmp_path / "events.sqlite3", maintenance_interval_s=0)
    await log.open()
    port = free_port()
    receiver = (ThreadedReceiver if kind == "own thread" else CallbackReceiver)(
        log, list, port=port
    )
    try:
        starting = asyncio.ensure_future(receiver.start())
        if isinstance(when, int):  # that many turns of the loop
            for _ in range(when):
                await asyncio.sleep(0)
        elif when == "once listening":
            await wait_for(lambda: listening(port) or starting.done(), what="the bind")
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await receiver.stop()
        assert not listening(port) and not accepts(port)
        assert receiver_threads() == [] and not receiver.listening
    finally:
        await log.close()
