"""A media-streaming simulator and a monitor endpoint on loopback, both on the test's loop."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest_asyncio

from console.monitor import MonitorEndpoint, MonitorServer, MonitorSession
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator
from tests.simulator.conftest import ACCOUNT, quiet_config, wait_for

T = TypeVar("T")
__all__ = ["START", "Monitor", "SimThread", "media", "start_stream", "wait_for"]

START = {
    "event": "start",
    "sequenceNumber": 1,
    "start": {
        "callId": "c-1",
        "streamId": "s-1",
        "accountId": "MA1",
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-l16", "sampleRate": 8000},
    },
    "extra_headers": "a=1",
}


def media(chunk: int, payload: bytes = b"\x10\x00" * 160, track: str = "inbound") -> str:
    body = {"track": track, "timestamp": "1700000000000", "chunk": chunk}
    body["payload"] = base64.b64encode(payload).decode()
    return json.dumps({"event": "media", "sequenceNumber": chunk + 1, "media": body})


class Monitor:
    """The endpoint served alone, with the sessions it has seen (open or ended) in order."""

    def __init__(self) -> None:
        self.seen: list[MonitorSession] = []
        self.endpoint = MonitorEndpoint(on_session=self.seen.append)
        self.server = MonitorServer(self.endpoint)

    @property
    def url(self) -> str:
        return self.server.url


@pytest_asyncio.fixture
async def monitor() -> AsyncIterator[Monitor]:
    mon = Monitor()
    await mon.server.start()
    try:
        yield mon
    finally:
        await mon.server.stop()


class SimThread:
    """The simulator on its own thread and loop, streaming to the monitor on the test's loop over
    real loopback sockets. Kept apart because the simulator's media tasks, stopped on a qasync
    loop that is about to close, can be woken after it has gone (its own tests show this too)."""

    def __init__(self) -> None:
        self.sim = Simulator(quiet_config(media=True))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sim", daemon=True)
        self.base_url = ""

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the simulator's loop (its state is only touched there)."""

        async def wrapper() -> T:
            return fn()

        return await self.run(wrapper())

    async def live_call(self) -> str:
        return (await self.call(self.sim.live_call_uuids))[0]

    async def silence(self, stream_id: str, tracks: list[str]) -> None:
        await self.call(lambda: self.sim.silence_stream(stream_id, tracks))

    async def played_s(self, stream_id: str) -> float:
        return await self.call(lambda: self.sim.engine.sessions[stream_id].played_s)

    async def has_media(self, stream_id: str) -> bool:
        return await self.call(lambda: stream_id in self.sim.engine.sessions)


@pytest_asyncio.fixture
async def msim() -> AsyncIterator[SimThread]:
    sim = SimThread()
    sim.thread.start()
    sim.base_url = await sim.run(sim.sim.start())
    try:
        yield sim
    finally:
        await sim.run(sim.sim.stop())
        sim.loop.call_soon_threadsafe(sim.loop.stop)
        await asyncio.get_running_loop().run_in_executor(None, sim.thread.join, 10)
        sim.loop.close()


@pytest_asyncio.fixture
async def mclient(msim: SimThread) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=msim.base_url + ACCOUNT, auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN), timeout=5.0
    ) as client:
        yield client


async def start_stream(client: httpx.AsyncClient, call: str, **body: object) -> str:
    response = await client.post(f"/Call/{call}/Stream/", json=body)
    assert response.status_code == 201, response.text
    stream_id: str = response.json()["stream_id"]
    return stream_id
