"""Named, preemptive background tasks with their failures routed to the user.

A view that asks for a refresh while the last one is still running supersedes it (the old task
is cancelled); any task that fails reports through `on_error` instead of dying silently as
"Task exception was never retrieved". Shutdown cancels everything and waits for it. Loops that
must outlive any one failure run under `run_supervised` (console/app/runtime/supervisor.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from console.app.runtime.supervisor import Backoff, ErrorHandler, FailureStreak, Step, supervise

_log = logging.getLogger(__name__)
__all__ = ["Backoff", "ErrorHandler", "FailureStreak", "TaskRunner"]


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

    def run_supervised(
        self,
        name: str,
        step: Step,
        *,
        interval_s: float = 0.0,
        wake: asyncio.Event | None = None,
        running: Callable[[], bool] = lambda: True,
        backoff: Backoff | None = None,
    ) -> asyncio.Task[Any]:
        """Start a loop of `step` as the task `name` (preempting an older one): an exception
        in a step is reported once per streak of failures and the loop goes on with backoff."""
        return self.run(
            name,
            supervise(
                name, step, report=self.report, interval_s=interval_s, wake=wake,
                running=running, backoff=backoff,
            ),
        )  # fmt: skip

    def report(self, name: str, exc: BaseException) -> None:
        """Hand a failure to the app's error handler; a handler that raises is only logged."""
        try:
            self._on_error(name, exc)
        except Exception:
            _log.exception("the error handler failed on %s", name)

    def cancel(self, name: str) -> bool:
        """Cancel the task called `name` if it is unfinished; True when there was one."""
        task = self._named.get(name)
        if task is None or task.done():
            return False
        task.cancel()
        return True

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
            self.report(task.get_name(), exc)

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
