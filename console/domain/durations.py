"""Seconds as an agent reads them: `86400` is "24 h", `5400` is "1 h 30 min"."""

from __future__ import annotations

_UNITS = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))


def format_duration(seconds: int) -> str:
    """Exact, compact, largest units first. Hours are kept up to 48 h (Plivo's default is
    written "24 h" in its docs); days appear only from two days on. Never raises."""
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if seconds == 0:
        return "0 s"
    units = _UNITS if seconds >= 2 * 86_400 else _UNITS[1:]
    parts: list[str] = []
    rest = seconds
    for name, size in units:
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(f"{amount} {name}")
    return " ".join(parts)


def format_seconds(seconds: float) -> str:
    """A measured or configured span for a message, rounded as a person reads it: "0.3 s",
    "9.5 s" (tenths below 10 s), "12 s", "1 min 5 s", "1 h". Never raises: a negative span is
    "0 s" and a non-finite one "an unknown time"."""
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return "an unknown time"
    if seconds <= 0:
        return "0 s"
    if seconds < 9.95:
        tenths = round(seconds, 1)
        return f"{tenths:g} s" if tenths > 0 else "0.1 s"
    return format_duration(round(seconds))
