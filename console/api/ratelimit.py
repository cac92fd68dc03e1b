"""Per-account pacing that uses Plivo's rate limit window exactly, with priority for the agent's
own actions.

Plivo allows 300 requests in any 5 s per account and answers 429 beyond that (docs/api-client.md).
The bucket holds `limit` tokens; a request takes one, and the token comes back one window after
the request's answer arrived. Plivo counts a request at some moment between our sending it and
our reading its answer, so a token returned `window_s` after the answer can never be counted
twice in one of Plivo's windows, however the latency varies: the console never causes a 429, yet
uses the whole window (300 at once, the next 300 as the first leave it). A rate-based bucket
cannot do both: its `burst + rate * 5 <= 300` leaves either the burst or the rate short.

Waiters queue by priority, then arrival: an operator action (start/stop) goes ahead of every
queued background refresh, and background requests leave `operator_reserve` tokens, so that many
clicks go out at once even while a refresh has used its share of the window. After a 429 every
grant can be held until Plivo's `Retry-After` has passed (`pause_until`), so no request of this
account adds to the problem.

One bucket per account: clients built for the same base URL and auth id share it through
`shared_bucket` (held weakly, so it goes away with its last client).
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from collections import deque
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
    limit: int = PLIVO_LIMIT
    window_s: float = PLIVO_WINDOW_S
    operator_reserve: int = 22
    """Tokens background requests leave for the agent: 11 start/stop pairs at once, in any
    window; the reason for the figure is in docs/api-client.md."""
    margin_s: float = 0.01
    """Added to the window: a server that rounds its timestamps to milliseconds still sees
    a whole window between two uses of one token."""

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_s <= 0 or self.margin_s < 0:
            raise ValueError("limit must be at least 1, window_s positive, margin_s >= 0")
        if not 0 <= self.operator_reserve < self.limit:
            raise ValueError("operator_reserve must be below limit")

    @property
    def background_share(self) -> int:
        """The most tokens background requests hold at once."""
        return self.limit - self.operator_reserve


@dataclass(eq=False, slots=True)
class _Ticket:
    priority: Priority
    seq: int
    turn: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def key(self) -> tuple[int, int]:
        return (-int(self.priority), self.seq)


@dataclass(eq=False, slots=True)
class Grant:
    """One taken token; give it back with `TokenBucket.release` once the answer is in (or the
    attempt ended without one)."""

    waited_s: float
    released: bool = False


class TokenBucket:
    """Grants tokens by priority. Not thread-safe: one asyncio loop, like everything here."""

    def __init__(self, limit: RateLimit | None = None, clock: Clock | None = None) -> None:
        self.limit = limit or RateLimit()
        self._clock = clock or SYSTEM_CLOCK
        self._out = 0  # taken, request not answered yet
        self._returns: deque[float] = deque()  # when each answered token comes back, in order
        self._queue: list[_Ticket] = []
        self._seq = itertools.count()
        self._paused_until = 0.0
        self._answer_waiters: list[asyncio.Future[None]] = []
        self.granted = 0

    def __repr__(self) -> str:
        return (
            f"TokenBucket(limit={self.limit.limit} per {self.limit.window_s:g} s, "
            f"in use={self.in_use()}, waiting={len(self._queue)})"
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

    def in_use(self, now: float | None = None) -> int:
        """Tokens not back yet: requests in flight and those answered within the window."""
        now = self._clock.monotonic() if now is None else now
        returns = self._returns
        while returns and returns[0] <= now:
            returns.popleft()
        return self._out + len(returns)

    def release(self, grant: Grant) -> None:
        """The request of `grant` has its answer (or ended): its token comes back one window
        (plus the margin) from now. Releasing twice does nothing."""
        if grant.released:
            return
        grant.released = True
        self._out -= 1
        self._returns.append(self._clock.monotonic() + self.limit.window_s + self.limit.margin_s)
        waiters, self._answer_waiters = self._answer_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _share(self, priority: Priority) -> int:
        if priority is Priority.OPERATOR:
            return self.limit.limit
        return self.limit.background_share

    def _enqueue(self, ticket: _Ticket) -> None:
        index = len(self._queue)
        while index > 0 and self._queue[index - 1].key > ticket.key:
            index -= 1
        self._queue.insert(index, ticket)

    def _wake_head(self) -> None:
        if self._queue:
            self._queue[0].turn.set()

    async def _wait_for_token(self, priority: Priority, now: float) -> bool:
        """Wait for the pause to end or for a token to come back; False when one is free now."""
        if self._paused_until - now > _EPSILON_S:
            await self._clock.sleep(max(self._paused_until - now, _MIN_SLEEP_S))
            return True
        excess = self.in_use(now) - self._share(priority) + 1
        if excess <= 0:
            return False
        if excess <= len(self._returns):  # tokens come back in order: sleep until enough have
            await self._clock.sleep(max(self._returns[excess - 1] - now, _MIN_SLEEP_S))
            return True
        answered = asyncio.get_running_loop().create_future()  # only requests in flight
        self._answer_waiters.append(answered)
        await answered
        return True

    async def acquire(self, priority: Priority = Priority.BACKGROUND) -> Grant:
        """Take one token, waiting for it in priority order. Cancellation while waiting takes
        nothing; once granted, `release` must follow."""
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
                if not await self._wait_for_token(priority, now):
                    self._out += 1
                    self.granted += 1
                    return Grant(now - started)
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
