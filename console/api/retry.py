"""When to repeat a request, and how long to wait first.

Rules (docs/api-client.md, "Resilience"):
- a request that certainly did not act (connect failure, no free connection, 429) may be repeated
  whatever its method;
- other transient failures (timeouts, broken connections, 5xx) are repeated only for idempotent
  methods (GET, DELETE), never for the start POST: a duplicate start is refused with 400 while
  the first stream is active, so the client reconciles instead;
- waits use full-jitter exponential backoff (AWS architecture blog, "Exponential Backoff and
  Jitter"), unless Plivo sent a readable `Retry-After` (seconds or an HTTP date), which is obeyed;
  a `Retry-After` beyond `retry_after_cap` is not slept through: the 429 is raised so the agent
  sees when to try again.

A `Retry-After` is a number from the network, so it is range-checked before anything uses it
(docs/reliability.md): at least `RETRY_AFTER_MIN_S` (a date already past, or "0", would otherwise
repeat the request at once, four times over) and at most `RETRY_AFTER_MAX_S` (a value of 10**20
seconds would otherwise overflow the clock functions that turn it into "until 14:03:07").
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

from console.api.errors import ApiError, RateLimited

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})
RETRY_AFTER_MIN_S = 1.0
RETRY_AFTER_MAX_S = 3600.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 8.0
    retry_after_cap_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base_s < 0 or self.backoff_cap_s < self.backoff_base_s:
            raise ValueError("need 0 <= backoff_base_s <= backoff_cap_s")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))] after failed `attempt`."""
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * (2 ** max(0, attempt - 1)))
        return rng.uniform(0.0, ceiling)


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """A Retry-After the console will honour: `seconds` lies in [RETRY_AFTER_MIN_S,
    RETRY_AFTER_MAX_S]; `capped` says Plivo asked for longer than the maximum."""

    seconds: float
    capped: bool = False


def _bounded(seconds: float) -> RetryAfter:
    if math.isnan(seconds):
        return RetryAfter(RETRY_AFTER_MIN_S)
    if seconds > RETRY_AFTER_MAX_S:
        return RetryAfter(RETRY_AFTER_MAX_S, capped=True)
    return RetryAfter(max(RETRY_AFTER_MIN_S, seconds))


def parse_retry_after(value: str | None, now: float) -> RetryAfter | None:
    """The wait a Retry-After header asks for: delta-seconds or an HTTP date (RFC 9110
    §10.2.3), relative to the wall-clock `now`, bounded (see the module docstring). None when
    absent or unreadable (a negative number or a malformed date is unreadable)."""
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > 64:  # a valid value is at most ~30 characters
        return None
    if text.isascii() and text.replace(".", "", 1).isdigit():
        return _bounded(float(text))  # float() of a huge digit string is inf, never an error
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # asctime/"-0000" forms carry no zone: HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    try:
        return _bounded(when.timestamp() - now)
    except (OverflowError, ValueError, OSError):
        return None


def may_retry(error: ApiError, method: str) -> bool:
    """Whether a failure of this kind may be repeated for this method at all."""
    if error.nothing_sent:
        return True
    return error.transient and method.upper() in IDEMPOTENT_METHODS


def delay_before_retry(
    error: ApiError, *, method: str, attempt: int, policy: RetryPolicy, rng: random.Random
) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None when the error is final."""
    if attempt >= policy.max_attempts or not may_retry(error, method):
        return None
    if isinstance(error, RateLimited) and error.retry_after is not None:
        if error.retry_after > policy.retry_after_cap_s:
            return None
        return error.retry_after
    return policy.backoff(attempt, rng)
