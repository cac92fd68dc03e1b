"""Named, preemptive background tasks with their failures routed to the user.

A view that asks for a refresh while the last one is still running supersedes it (the old task
is cancelled); any task that fails reports through `on_error` instead of dying silently as
"Task exception was never retrieved". Shutdown cancels everything and waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

_log = logging.getLogger(__name__)
ErrorHandler = Callable[[str, BaseException], None]


class TaskRunner:
    def __init__(self, on_error: ErrorHandler) -> None:
        self._on_error = on_error
        self._named: dict[str, asyncio.Task[Any]] = {}
        self._all: set[asyncio.Task[Any]] = set()
        self._closed = False

    def run(
        self, name: str, coro: Coroutine[Any, Any, Any], *, preempt: bool = True
    ) -> asyncio.Task[Any]:
        """Start `coro` as the task called `name`; an unfinished task of that name is cancelled
        first when `preempt` (the default), else the new one runs alongside."""
        if self._closed:
            coro.close()
            raise RuntimeError("the console is shutting down")
        previous = self._named.get(name)
        if preempt and previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._named[name] = task
        self._all.add(task)
        task.add_done_callback(self._finished)
        return task

    def running(self, name: str) -> bool:
        task = self._named.get(name)
        return task is not None and not task.done()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._all.discard(task)
        if self._named.get(task.get_name()) is task:
            del self._named[task.get_name()]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            _log.error("task %s failed", task.get_name(), exc_info=exc)
            self._on_error(task.get_name(), exc)

    async def cancel_all(self, timeout_s: float = 2.0) -> None:
        """Cancel every task and wait (bounded) until they have all unwound."""
        self._closed = True
        tasks = list(self._all)
        for task in tasks:
            task.cancel()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout_s)
            for task in pending:
                _log.warning("task %s did not stop within %.1f s", task.get_name(), timeout_s)

    def __len__(self) -> int:
        return len(self._all)
