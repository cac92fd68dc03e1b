"""A per-account token bucket that keeps the console under Plivo's rate limit, with priority for
the agent's own actions.

Plivo allows 300 requests per 5 s per account (docs/api-client.md) and answers 429 beyond
that. A bucket of `burst` tokens refilled at `rate` per second lets through at most
`burst + rate * T` requests in any interval of length T, so `burst + 5 * rate <= 300` holds
the limit for a rolling window and for fixed windows alike. The default (55/s, burst 10: at
most 285 per 5 s) leaves 15 requests of margin for requests that leave close together but
arrive even closer.

Waiters queue by priority, then arrival: an operator action (start/stop) goes ahead of every
queued background refresh, and background requests also leave `operator_reserve` tokens in the
bucket, so a click usually needs no wait at all. After a 429 the whole bucket can be paused until
Plivo's `Retry-After` has passed (`pause_until`), so no request of this account adds to the
problem.

One bucket per account: clients built for the same base URL and auth id share it through
`shared_bucket` (held weakly, so it goes away with its last client).
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from dataclasses import dataclass, field
from enum import IntEnum

from console.api.clock import SYSTEM_CLOCK, Clock

PLIVO_LIMIT = 300
PLIVO_WINDOW_S = 5.0
_EPSILON_S = 1e-9
_MIN_SLEEP_S = 0.001  # qasync timers have millisecond resolution: no sub-ms spinning


class Priority(IntEnum):
    BACKGROUND = 0
    OPERATOR = 1


@dataclass(frozen=True, slots=True)
class RateLimit:
    rate: float = 55.0
    burst: int = 10
    operator_reserve: int = 2
    limit: int = PLIVO_LIMIT
    window_s: float = PLIVO_WINDOW_S

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        if not 0 <= self.operator_reserve < self.burst:
            raise ValueError("operator_reserve must be below burst")
        if self.burst + self.rate * self.window_s > self.limit:
            raise ValueError(
                f"burst + rate * {self.window_s:g} s must stay within {self.limit} requests"
            )

    @property
    def worst_window(self) -> float:
        """The most requests this bucket can release in one window."""
        return self.burst + self.rate * self.window_s


@dataclass(eq=False, slots=True)
class _Ticket:
    priority: Priority
    seq: int
    turn: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def key(self) -> tuple[int, int]:
        return (-int(self.priority), self.seq)


class TokenBucket:
    """Grants tokens by priority. Not thread-safe: one asyncio loop, like everything here."""

    def __init__(self, limit: RateLimit | None = None, clock: Clock | None = None) -> None:
        self.limit = limit or RateLimit()
        self._clock = clock or SYSTEM_CLOCK
        self._tokens = float(self.limit.burst)
        self._stamp = self._clock.monotonic()
        self._queue: list[_Ticket] = []
        self._seq = itertools.count()
        self._paused_until = 0.0
        self.granted = 0

    def __repr__(self) -> str:
        return (
            f"TokenBucket(rate={self.limit.rate:g}/s, burst={self.limit.burst}, "
            f"tokens={self._tokens:.1f}, waiting={len(self._queue)})"
        )

    @property
    def waiting(self) -> int:
        return len(self._queue)

    @property
    def paused_until(self) -> float:
        """Monotonic time before which no token is granted (0 when not paused)."""
        return self._paused_until

    def pause_until(self, when: float) -> None:
        """Hold every grant until the monotonic time `when` (after a 429)."""
        self._paused_until = max(self._paused_until, when)

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(
                float(self.limit.burst), self._tokens + (now - self._stamp) * self.limit.rate
            )
            self._stamp = now

    def _wait_for(self, priority: Priority, now: float) -> float:
        need = 1.0 if priority is Priority.OPERATOR else 1.0 + self.limit.operator_reserve
        token_wait = max(0.0, (need - self._tokens) / self.limit.rate)
        return max(token_wait, self._paused_until - now)

    def _enqueue(self, ticket: _Ticket) -> None:
        index = len(self._queue)
        while index > 0 and self._queue[index - 1].key > ticket.key:
            index -= 1
        self._queue.insert(index, ticket)

    def _wake_head(self) -> None:
        if self._queue:
            self._queue[0].turn.set()

    async def acquire(self, priority: Priority = Priority.BACKGROUND) -> float:
        """Take one token, waiting for it in priority order; returns the seconds waited.
        Cancellation while waiting takes nothing."""
        started = self._clock.monotonic()
        ticket = _Ticket(priority, next(self._seq))
        self._enqueue(ticket)
        try:
            while True:
                if self._queue[0] is not ticket:
                    ticket.turn.clear()
                    await ticket.turn.wait()
                    continue
                now = self._clock.monotonic()
                self._refill(now)
                wait = self._wait_for(priority, now)
                if wait <= _EPSILON_S:  # float dust must not leave us waiting for ~0 s forever
                    self._tokens = max(0.0, self._tokens - 1.0)
                    self.granted += 1
                    return now - started
                await self._clock.sleep(max(wait, _MIN_SLEEP_S))
        finally:
            self._queue.remove(ticket)
            self._wake_head()


_SHARED: weakref.WeakValueDictionary[tuple[str, str], TokenBucket] = weakref.WeakValueDictionary()


def shared_bucket(base_url: str, auth_id: str, limit: RateLimit | None = None) -> TokenBucket:
    """The bucket of this account, created on first use (system clock)."""
    key = (base_url.rstrip("/").lower(), auth_id)
    bucket = _SHARED.get(key)
    if bucket is None:
        bucket = TokenBucket(limit)
        _SHARED[key] = bucket
    return bucket
