"""The callback receiver on a thread and asyncio loop of its own (docs/callbacks.md).

On the GUI's qasync loop every asyncio callback is a Qt timer, about five per request. Measured
(benchmarks/receiver.py, event pane open): at 3,000 callbacks/s the receiver on the GUI loop took
2,212/s with ack p99 3.6 s, on its own thread 2,813/s with ack p99 0.68 s; at 2,000/s both keep
up, the thread with 12 % less CPU per callback. On its own plain asyncio loop the receiver
verifies, stores (through the event log's writer thread, as before) and answers, while the GUI
loop hears only of each commit (the event log calls its listeners on the loop they were added
from) and of changes to the counters, at most once per turn of its loop.

Counter changes reach the GUI loop at most every `CHANGE_INTERVAL_S`: one hop per turn of the GUI
loop was about 870 hops a second at 2,000 callbacks/s (each a wake-up of the qasync loop, a
self-pipe write on the receiver's thread and a GIL hand-over), for a status bar that the service
updates at most twice a second anyway.

The receiver, the log's writer and the GUI thread trade Python's GIL back and forth; at the
interpreter's default 5 ms switch interval a thread waking for the GIL can wait that long each
time. `start()` lowers the interval to 1 ms for the process: measured at 2,000 callbacks/s with
the event pane open, the GUI loop's lag p99 went from 31-36 ms to 17-18 ms and ack p99 down too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from console.listening import to_the_end
from console.receiver.guard import GuardedServer
from console.receiver.server import CallbackReceiver, Credential, EventSink, ReceiverStats

T = TypeVar("T")
log = logging.getLogger(__name__)
SWITCH_INTERVAL_S = 0.001
CHANGE_INTERVAL_S = 0.1
JOIN_TIMEOUT_S = 5.0


class ThreadedReceiver:
    """A `CallbackReceiver` run on its own thread: await `start()`, then `stop()`, from the GUI
    loop. `on_change` is called on that loop. Options are `CallbackReceiver`'s."""

    def __init__(
        self,
        sink: EventSink,
        credentials: Callable[[], Sequence[Credential]],
        *,
        on_change: Callable[[], None] | None = None,
        **options: Any,
    ) -> None:
        self.receiver = CallbackReceiver(sink, credentials, on_change=self._changed, **options)
        self._on_change = on_change or (lambda: None)
        self._home: asyncio.AbstractEventLoop | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._change_pending = False
        self._change_posted_at = -CHANGE_INTERVAL_S

    # --- what CallbackReceiver shows ---------------------------------------------------------
    @property
    def host(self) -> str:
        return self.receiver.host

    @property
    def port(self) -> int:
        return self.receiver.port

    @port.setter
    def port(self, value: int) -> None:
        self.receiver.port = value

    @property
    def local_url(self) -> str:
        return self.receiver.local_url

    @property
    def listening(self) -> bool:
        return self.receiver.listening

    @property
    def stats(self) -> ReceiverStats:
        return self.receiver.stats

    @property
    def server(self) -> GuardedServer | None:
        return self.receiver.server

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The receiver's own loop while it runs."""
        return self._loop

    # --- life cycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the thread, bind and listen. Raises OSError when the address is taken."""
        self._home = asyncio.get_running_loop()
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        if self._thread is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=_run, args=(loop,), name="callback-receiver", daemon=True
            )
            self._loop, self._thread = loop, thread
            thread.start()
        try:
            await to_the_end(self._call(self.receiver.start()))  # console/listening.py
        except BaseException:
            with contextlib.suppress(Exception):  # a start cancelled after the bind: close it
                await self._call(self.receiver.stop(drain_s=0))
            await self._end_thread()
            raise

    async def stop(self, drain_s: float = 5.0) -> None:
        """Stop accepting, let requests in flight commit, then end the thread."""
        if self._thread is None:
            return
        try:
            await self._call(self.receiver.stop(drain_s))
        finally:
            await self._end_thread()
            if self._change_pending:  # held back for the interval when the thread ended
                self._deliver_change()

    async def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    async def _end_thread(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):  # already closed
            loop.call_soon_threadsafe(loop.stop)
        await asyncio.get_running_loop().run_in_executor(None, thread.join, JOIN_TIMEOUT_S)
        if thread.is_alive():
            log.warning("the callback receiver's thread did not end in %s s", JOIN_TIMEOUT_S)

    # --- on the receiver's thread -------------------------------------------------------------
    def _changed(self) -> None:
        """Counters changed: tell the GUI loop once, at most every CHANGE_INTERVAL_S, however
        many requests come meanwhile."""
        if self._change_pending or self._home is None:
            return
        self._change_pending = True
        wait = self._change_posted_at + CHANGE_INTERVAL_S - time.monotonic()
        if wait > 0 and self._loop is not None:
            self._loop.call_later(wait, self._post_change)
        else:
            self._post_change()

    def _post_change(self) -> None:
        home = self._home
        self._change_posted_at = time.monotonic()
        try:
            if home is None:
                raise RuntimeError("no GUI loop")
            home.call_soon_threadsafe(self._deliver_change)
        except RuntimeError:  # the GUI loop is closed: nobody to tell
            self._change_pending = False

    def _deliver_change(self) -> None:
        self._change_pending = False
        self._on_change()


def _run(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        try:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
