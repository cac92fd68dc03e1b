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
