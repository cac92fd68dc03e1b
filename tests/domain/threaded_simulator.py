"""The real simulator served from its own thread and asyncio loop, so synchronous tests
(hypothesis properties, subprocesses, the official synchronous SDK) can talk HTTP to it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from console.simulator import Simulator, SimulatorConfig

T = TypeVar("T")


class ThreadedSimulator:
    def __init__(self, config: SimulatorConfig) -> None:
        self.sim = Simulator(config)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="simulator", daemon=True)
        self.base_url = ""

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the simulator's loop (its state is only touched from there)."""

        async def wrapper() -> T:
            return fn()

        return self._run(wrapper())

    def start(self) -> str:
        self._thread.start()
        self.base_url = self._run(self.sim.start(port=0))
        return self.base_url

    def stop(self) -> None:
        try:
            self._run(self.sim.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            self.loop.close()

    def new_call(self) -> str:
        """A fresh live call, so no earlier stream to the same URL can collide."""
        return self.call(lambda: self.sim.add_live_calls(1))[0]

    def stream_ids(self, call_uuid: str) -> list[str]:
        return self.call(lambda: [s.stream_id for s in self.sim.streams_of(call_uuid)])
