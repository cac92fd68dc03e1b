"""Fault injection and request counters: what tests and trainers turn and read.

`Faults` is plain mutable settings, read by the REST middleware on every `/v1` request, in this
order: latency, dropped connection, forced 429, 5xx (`fail_next`, then `error_rate`), stall. The
admin endpoint and the CLI flags set the same fields. Faults apply before authentication, as a
load balancer's would, and only to the endpoint kinds in `kinds` when that is set.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

ENDPOINT_KINDS = (
    "list_calls",
    "get_call",
    "list_queued_calls",
    "get_queued_call",
    "list_cdrs",
    "get_cdr",
    "start_stream",
    "list_streams",
    "get_stream",
    "stop_stream",
    "stop_all_streams",
    "unknown",
)


@dataclass(slots=True)
class Faults:
    latency_s: float = 0.0
    """Added before every answer."""
    error_rate: float = 0.0
    """Share (0..1) of requests answered `error_status` with a Plivo error body."""
    error_status: int = 500
    fail_next: int = 0
    """The next N requests answer `error_status` whatever `error_rate` says."""
    force_429: bool = False
    """Every request answers 429, with `Retry-After: retry_after` when that is not None."""
    retry_after: int | str | None = 1
    """Seconds (int) or an HTTP-date string; None sends no Retry-After."""
    drop_connection: float = 0.0
    """Share (0..1) of requests whose connection is closed with no answer at all."""
    stall_s: float = 0.0
    """Send the status line and headers, then wait this long before the body."""
    kinds: frozenset[str] | None = None
    """Endpoint kinds the faults apply to; None means every `/v1` request."""
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def applies_to(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def take_error(self) -> bool:
        """Whether this request gets the injected 5xx (consumes one `fail_next`)."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return True
        return self.error_rate > 0 and self.rng.random() < self.error_rate

    def take_drop(self) -> bool:
        return self.drop_connection > 0 and self.rng.random() < self.drop_connection

    def reset(self) -> None:
        for f in fields(self):
            if f.name != "rng":
                setattr(self, f.name, f.default)

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "rng"}
        data["kinds"] = sorted(self.kinds) if self.kinds is not None else None
        return data

    def update(self, values: dict[str, Any]) -> None:
        """Set fields from JSON-ish values (admin endpoint, CLI); ValueError on a bad one, and
        then nothing is changed."""
        names = {f.name for f in fields(self)} - {"rng"}
        checked = {}
        for name, value in values.items():
            if name not in names:
                raise ValueError(f"unknown fault setting: {str(name)[:40]}")
            checked[name] = _coerce(name, value)
        for name, value in checked.items():
            setattr(self, name, value)


MAX_DELAY_S = 3600.0
"""Longest `latency_s` / `stall_s`: an hour already outlasts every client timeout."""
MAX_RETRY_AFTER_CHARS = 64
_HEADER_TEXT = re.compile(r"[ -~]*")


def _number(name: str, value: Any, low: float, high: float) -> float:
    """A finite number from low to high: JSON numbers, or numeric text from the CLI."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} must be a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}")
    return number


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be an integer")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise ValueError(f"{name} must be an integer")
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return number


def _coerce(name: str, value: Any) -> Any:
    if name in ("latency_s", "stall_s"):
        return _number(name, value, 0.0, MAX_DELAY_S)
    if name in ("error_rate", "drop_connection"):
        return _number(name, value, 0.0, 1.0)
    if name == "error_status":
        return _whole(name, value, 500, 599)
    if name == "fail_next":
        return _whole(name, value, 0, 1_000_000_000)
    if name == "force_429":
        if not isinstance(value, bool):
            raise ValueError("force_429 must be true or false")
        return value
    if name == "retry_after":
        if value is None:
            return None
        if isinstance(value, str):
            if len(value) > MAX_RETRY_AFTER_CHARS or not _HEADER_TEXT.fullmatch(value):
                raise ValueError(
                    f"retry_after text must be at most {MAX_RETRY_AFTER_CHARS} printable "
                    "ASCII characters (an HTTP-date)"
                )
            return value
        try:
            return _whole(name, value, 0, 1_000_000_000)
        except ValueError:
            raise ValueError(
                "retry_after must be whole seconds, an HTTP-date string or null"
            ) from None
    if name == "kinds":
        if value is None:
            return None
        if not isinstance(value, list | tuple | set | frozenset) or not all(
            isinstance(k, str) for k in value
        ):
            raise ValueError("kinds must be a list of endpoint kinds, or null")
        kinds = frozenset(value)
        unknown = kinds - set(ENDPOINT_KINDS)
        if unknown:
            shown = ", ".join(k[:40] for k in sorted(unknown)[:5])
            raise ValueError(f"unknown endpoint kinds: {shown}")
        return kinds
    raise ValueError(f"unknown fault setting: {name}")  # pragma: no cover - guarded by update()


class Stats:
    """Counters of what the simulator served and sent. Plain ints: read them, or `reset()`."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._requests: Counter[tuple[str, str]] = Counter()
        self.statuses: Counter[int] = Counter()
        self.rate_limited = 0
        self.unauthorized = 0
        self.faults_injected = 0
        self.callbacks_sent = 0
        self.callbacks_delivered = 0
        self.callbacks_failed = 0
        self.media_frames_sent = 0
        self.ws_messages_received = 0
        self.sink_connections = 0
        self.sink_frames = 0

    @property
    def total(self) -> int:
        return sum(self._requests.values())

    def record(self, method: str, kind: str) -> None:
        self._requests[(method.upper(), kind)] += 1

    def count(self, method: str | None = None, kind: str | None = None) -> int:
        """Requests seen, optionally only those with this HTTP method and/or endpoint kind."""
        return sum(
            n
            for (m, k), n in self._requests.items()
            if (method is None or m == method.upper()) and (kind is None or k == kind)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "requests": [
                {"method": m, "kind": k, "count": n} for (m, k), n in sorted(self._requests.items())
            ],
            "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
            "rate_limited": self.rate_limited,
            "unauthorized": self.unauthorized,
            "faults_injected": self.faults_injected,
            "callbacks_sent": self.callbacks_sent,
            "callbacks_delivered": self.callbacks_delivered,
            "callbacks_failed": self.callbacks_failed,
            "media_frames_sent": self.media_frames_sent,
            "ws_messages_received": self.ws_messages_received,
            "sink_connections": self.sink_connections,
            "sink_frames": self.sink_frames,
        }
