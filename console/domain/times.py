"""Plivo's timestamps and the clock-style durations the calls list shows."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_plivo_time(text: str | None) -> float | None:
    """Epoch seconds from Plivo's `2017-05-22 13:17:49.050872` or `2023-06-26 08:14:29+05:30`
    forms; a time without an offset is taken as UTC. None when absent or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def format_clock(seconds: float | None) -> str:
    """`0:07`, `12:04`, `1:02:03`; an em dash when unknown."""
    if seconds is None:
        return "—"
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
