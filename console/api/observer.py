"""How the API layer tells the app about waits and health, without Qt.

The client calls its observer synchronously on the loop; the app adapts these three calls to Qt
signals (a status-bar line "Waiting for Plivo's rate limit until 14:03:07", a health dot). An
observer that raises is logged and otherwise ignored: reporting must never break a request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from console.api.errors import ApiError, clock_time
from console.domain.durations import format_seconds

log = logging.getLogger("console.api")


class WaitReason(StrEnum):
    RETRY_AFTER = "retry-after"  # Plivo answered 429 and said how long to wait
    BACKOFF = "backoff"  # a failed attempt will be repeated after a short random pause


@dataclass(frozen=True, slots=True)
class Wait:
    reason: WaitReason
    seconds: float
    until: float  # wall-clock epoch seconds, for "until 14:03:07"
    operation: str  # "GET /Call/" style, without the account prefix
    attempt: int  # the attempt that just failed
    error: ApiError

    def describe(self) -> str:
        """A line for a status bar."""
        at = clock_time(self.until)
        if self.reason is WaitReason.RETRY_AFTER:
            return f"Waiting for Plivo's rate limit until {at} ({format_seconds(self.seconds)})."
        return f"Plivo request failed; trying again at {at} (attempt {self.attempt + 1})."


class ClientObserver(Protocol):
    def waiting(self, wait: Wait) -> None:
        """A request is about to pause before repeating."""

    def request_failed(self, error: ApiError, *, retrying: bool) -> None:
        """An attempt failed; `retrying` says whether another attempt follows."""

    def healthy(self) -> None:
        """A request succeeded after failures that affected health (network, 5xx, 429, 401)."""


class NullObserver:
    """Hears nothing."""

    def waiting(self, wait: Wait) -> None:
        pass

    def request_failed(self, error: ApiError, *, retrying: bool) -> None:
        pass

    def healthy(self) -> None:
        pass


class SafeObserver:
    """Wraps an app observer so its exceptions are logged instead of breaking a request, and
    tracks health so `healthy()` is reported once per recovery."""

    def __init__(self, inner: ClientObserver | None) -> None:
        self._inner: ClientObserver = inner or NullObserver()
        self.unhealthy = False

    def waiting(self, wait: Wait) -> None:
        try:
            self._inner.waiting(wait)
        except Exception:
            log.exception("client observer failed in waiting()")

    def request_failed(self, error: ApiError, *, retrying: bool) -> None:
        if error.affects_health:
            self.unhealthy = True
        try:
            self._inner.request_failed(error, retrying=retrying)
        except Exception:
            log.exception("client observer failed in request_failed()")

    def succeeded(self) -> None:
        if not self.unhealthy:
            return
        self.unhealthy = False
        try:
            self._inner.healthy()
        except Exception:
            log.exception("client observer failed in healthy()")
