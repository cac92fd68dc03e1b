"""Long-running loops that no single failure can kill.

A background loop (the calls refresh, the selected call's streams reload, a receiver's writer)
repeats one step. A step that raises something unexpected must neither end the loop for the rest
of the session nor put a banner up every few seconds, so:

- `FailureStreak` reports the first failure of a streak through the error handler and only logs
  the repeats; a success ends the streak (and logs the recovery), so the next failure is
  reported again. It also says how long to back off before the next try.
- `supervise()` runs a step forever (until `running()` is false or the task is cancelled): after
  a success it waits `interval_s` (or until `wake` is set), after a failure the longer of that and
  the backoff. Cancellation always passes through.

Use it through `TaskRunner.run_supervised` (console/app/runtime/tasks.py), which names the task
and routes reports to the app's error handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from console.domain.backoff import Backoff as Backoff  # re-exported for the app

_log = logging.getLogger(__name__)
ErrorHandler = Callable[[str, BaseException], None]
Step = Callable[[], Awaitable[object]]


class FailureStreak:
    """Counts consecutive failures of one loop; reports only the first of each streak."""

    def __init__(
        self,
        name: str,
        report: ErrorHandler,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.backoff = backoff or Backoff()
        self.failures = 0  # in the current streak
        self.reported = 0  # over the whole life: one per streak
        self._report = report
        self._clock = clock
        self._retry_at = 0.0

    def failed(self, exc: BaseException) -> float:
        """Record a failure; returns the backoff before the next try. The first failure of a
        streak goes to the error handler (which must not raise; if it does, that is logged)."""
        self.failures += 1
        delay = self.backoff.delay(self.failures)
        self._retry_at = self._clock() + delay
        if self.failures == 1:
            self.reported += 1
            _log.error("%s failed; it carries on, retrying with backoff", self.name, exc_info=exc)
            try:
                self._report(self.name, exc)
            except Exception:
                _log.exception("reporting the failure of %s failed", self.name)
        else:
            _log.warning(
                "%s failed again (%d in a row, next try in %.1f s): %s",
                self.name, self.failures, delay, type(exc).__name__,
            )  # fmt: skip
        return delay

    def succeeded(self) -> None:
        if self.failures:
            _log.info("%s works again after %d failures", self.name, self.failures)
        self.failures = 0
        self._retry_at = 0.0

    def ready(self) -> bool:
        """False while backing off after a failure (for steps driven from outside a loop)."""
        return self._clock() >= self._retry_at


async def _nap(seconds: float, wake: asyncio.Event | None) -> None:
    if wake is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()


async def supervise(
    name: str,
    step: Step,
    *,
    report: ErrorHandler,
    interval_s: float = 0.0,
    wake: asyncio.Event | None = None,
    running: Callable[[], bool] = lambda: True,
    backoff: Backoff | None = None,
) -> FailureStreak:
    """Run `step` repeatedly while `running()`; returns the streak record when it stops.
    `wake` (optional) cuts a wait short and is cleared before each step."""
    streak = FailureStreak(name, report, backoff)
    while running():
        if wake is not None:
            wake.clear()
        try:
            await step()
        except Exception as exc:  # anything but cancellation: report once, back off, go on
            if not running():  # stopped meanwhile (an account switched from): not the agent's
                _log.info("%s ended; its last step failed: %s", name, exc)
                break
            wait = max(interval_s, streak.failed(exc))
        else:
            streak.succeeded()
            wait = interval_s
        if not running():
            break
        await _nap(wait, wake)
    return streak
