"""Plivo's REST rate limit: 300 requests per 5 seconds per account (docs/api-client.md).

A sliding window (a log of accepted requests), the strictest natural reading: a request is refused
with 429 when `limit` requests were already accepted in the last `window_s` seconds, i.e. with
timestamps t where now - t < window_s. Refused requests are not logged, so a client that keeps
hammering is not locked out for longer than the window. `retry_after()` is the time until the
oldest accepted request leaves the window.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._accepted: dict[str, deque[float]] = {}

    def _log(self, key: str, now: float) -> deque[float]:
        log = self._accepted.setdefault(key, deque())
        while log and now - log[0] >= self.window_s:
            log.popleft()
        return log

    def allow(self, key: str) -> bool:
        """Count the request and say whether it is within the limit."""
        now = self._clock()
        log = self._log(key, now)
        if len(log) >= self.limit:
            return False
        log.append(now)
        return True

    def retry_after(self, key: str) -> float:
        """Seconds until one more request for `key` would be accepted (0 if now)."""
        now = self._clock()
        log = self._log(key, now)
        if len(log) < self.limit:
            return 0.0
        return max(0.0, log[0] + self.window_s - now)

    def retry_after_header(self, key: str) -> str:
        """`Retry-After` in whole seconds, rounded up and at least 1."""
        return str(max(1, math.ceil(self.retry_after(key))))

    def in_window(self, key: str) -> int:
        return len(self._log(key, self._clock()))

    def reset(self) -> None:
        self._accepted.clear()
