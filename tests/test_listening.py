"""Servers whose start is cancelled (the window closed while starting) leave no port listening:
the simulator (run embedded by --demo) and the stream monitor's loopback endpoint. The callback
receiver's own cases are in tests/receiver/test_thread.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from console.listening import to_the_end
from console.monitor.endpoint import MonitorEndpoint, MonitorServer
from console.simulator.server import Simulator
from tests.net import free_port, listening


def simulator(port: int) -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
    sim = Simulator()
    return (lambda: sim.start(port=port)), sim.stop


def monitor(port: int) -> tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]:
    server = MonitorServer(MonitorEndpoint())
    return (lambda: server.start(port=port)), server.stop


@pytest.mark.asyncio
@pytest.mark.parametrize("make", [simulator, monitor], ids=["simulator", "monitor"])
@pytest.mark.parametrize("turns", range(8))
async def test_a_start_cancelled_after_any_number_of_turns_leaves_no_port_listening(
    make: Callable[[int], tuple[Callable[[], Awaitable[object]], Callable[[], Awaitable[None]]]],
    turns: int,
) -> None:
    port = free_port()
    start, stop = make(port)
    starting = asyncio.ensure_future(start())
    for _ in range(turns):
        await asyncio.sleep(0)
    starting.cancel()
    await asyncio.gather(starting, return_exceptions=True)
    await stop()  # what the console's shutdown does whether or not the start finished
    assert not listening(port)


@pytest.mark.asyncio
async def test_to_the_end_finishes_the_opening_then_passes_the_cancellation_on() -> None:
    opened: list[str] = []
    release = asyncio.Event()

    async def opening() -> str:
        await release.wait()
        opened.append("socket")
        return "socket"

    waiting = asyncio.ensure_future(to_the_end(opening()))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0)
    assert not waiting.done() and opened == []  # still waiting for the opening to finish
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert opened == ["socket"]
