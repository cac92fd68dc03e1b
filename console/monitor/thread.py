"""The monitor endpoint on its own thread and asyncio loop.

Measured (benchmarks/monitor.py): with 50 streams' sockets on the GUI's qasync loop, Qt's timers
are starved (asyncio sleeps wake seconds late) although the CPU is far from busy, so the window
would freeze. On a thread of its own the endpoint receives, decodes, meters and records while
the GUI loop only reads snapshots. `call` and `submit` run work on the monitor's loop; new
sessions are announced on the GUI loop through `on_session`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from console.monitor.endpoint import MonitorEndpoint, MonitorServer

if TYPE_CHECKING:
    from console.monitor.session import MonitorSession

T = TypeVar("T")


class ThreadedMonitor:
    def __init__(self, on_session: Callable[[MonitorSession], None]) -> None:
        self._gui_loop = asyncio.get_running_loop()
        self._on_session = on_session
        self.loop = asyncio.new_event_loop()
        self.endpoint = MonitorEndpoint(on_session=self._announce)
        self.server = MonitorServer(self.endpoint)
        self._thread = threading.Thread(target=self._run, name="stream-monitor", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _announce(self, session: MonitorSession) -> None:
        self._gui_loop.call_soon_threadsafe(self._on_session, session)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` run on the monitor's loop from the GUI loop."""
        return await asyncio.wrap_future(self.submit(coro))

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._thread.start()
        try:
            return await self.call(self.server.start(host, port))
        except BaseException:
            await self.stop()
            raise

    @property
    def thread_id(self) -> int:
        """The monitor thread's native id (to measure its CPU), 0 before it runs."""
        return self._thread.native_id or 0

    @property
    def url(self) -> str:
        return self.server.url

    async def stop(self) -> None:
        if self._thread.is_alive():
            try:
                await asyncio.wait_for(self.call(self.server.stop()), 3.0)
            finally:
                self.loop.call_soon_threadsafe(self.loop.stop)
                await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 3.0)
        if not self._thread.is_alive() and not self.loop.is_closed():
            self.loop.close()
