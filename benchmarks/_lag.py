"""Event-loop lag, measured so that one long stall cannot hide among many short samples.

A probe task sleeps `period_s` over and over and records how late it wakes. Percentiles of those
samples alone flatter a stalled loop: a 500 ms stall is one sample among hundreds of 0.2 ms ones.
So the probe also sums, weighted by time, how long the loop was blocked beyond a threshold: a
500 ms stall counts 500 ms, and the share of the measured time spent so blocked is reported next
to p50, p99 and max. (Not a benchmark itself: `make bench` skips files starting with `_`.)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

BLOCKED_MS = 50.0


@dataclass
class LagProbe:
    period_s: float = 0.005
    samples: list[float] = field(default_factory=list)  # ms late, one per wake-up
    blocked_s: float = 0.0  # summed lateness of wake-ups later than BLOCKED_MS
    _started: float = 0.0
    _stopped: float = 0.0
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._started = time.perf_counter()
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._stopped = time.perf_counter()

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.period_s)
            late_ms = (time.perf_counter() - before - self.period_s) * 1000
            self.samples.append(late_ms)
            if late_ms > BLOCKED_MS:
                self.blocked_s += late_ms / 1000

    def percentile(self, q: float) -> float:
        ordered = sorted(self.samples)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    @property
    def max_ms(self) -> float:
        return max(self.samples, default=float("nan"))

    @property
    def blocked_share(self) -> float:
        """Share of the measured time the loop was blocked for more than BLOCKED_MS at a time."""
        span = self._stopped - self._started
        return self.blocked_s / span if span > 0 else 0.0

    def summary(self) -> str:
        return (
            f"p50 {self.percentile(0.50):.1f} ms, p99 {self.percentile(0.99):.1f} ms, "
            f"max {self.max_ms:.1f} ms, blocked > {BLOCKED_MS:.0f} ms "
            f"{self.blocked_share * 100:.1f} % of the time ({len(self.samples)} samples)"
        )
