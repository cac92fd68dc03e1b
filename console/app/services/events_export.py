"""The event pane's export: the selected events, or every event matching the pane's filters, in the
same JSON Lines and CSV layouts as `stream-console export` (console/store/event_export.py, which
also guards every CSV cell against spreadsheet formulas), oldest first, to a file that appears
only when complete (written as `name.part`, then renamed). The work runs in a worker thread with
its own read-only connection, so a large export never stalls the window or the receiver.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from console.app.runtime.private_files import open_private_text
from console.domain.events import EventFilter, StoredEvent
from console.store.event_export import open_read_only, write_csv_rows, write_jsonl
from console.store.event_log import iter_rows

FORMATS = ("jsonl", "csv")


def _write(part: Path, fmt: str, events: Iterable[StoredEvent]) -> int:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    with open_private_text(part) as out:
        return write_jsonl(events, out) if fmt == "jsonl" else write_csv_rows(events, out)


def _finish(part: Path, target: Path, write: Callable[[], int]) -> int:
    try:
        count = write()
        part.replace(target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count


async def export_selection(target: Path, fmt: str, events: Sequence[StoredEvent]) -> int:
    """Write `events` (any order) oldest first; returns how many."""
    ordered = sorted(events, key=lambda e: e.id)
    part = target.with_name(target.name + ".part")
    return await asyncio.to_thread(_finish, part, target, lambda: _write(part, fmt, ordered))


async def export_matching_team(
    target: Path, fmt: str, url: str, password: str | None, flt: EventFilter
) -> int:
    """The same from the team database (the store's `stream-console export --db` writer, whose
    CSV cells are guarded the same way), in one read-only snapshot. Raises StoreUnavailable."""
    from console.store.pg.export import export

    part = target.with_name(target.name + ".part")

    def write() -> int:
        with open_private_text(part) as out:
            return export(url, fmt, flt, out, password=password)

    return await asyncio.to_thread(_finish, part, target, write)


async def export_matching(target: Path, fmt: str, log_path: Path, flt: EventFilter) -> int:
    """Write every event in the log at `log_path` that matches `flt`, oldest first."""
    part = target.with_name(target.name + ".part")

    def write() -> int:
        conn: sqlite3.Connection = open_read_only(log_path)
        try:
            return _write(part, fmt, iter_rows(conn, flt))
        finally:
            conn.close()

    return await asyncio.to_thread(_finish, part, target, write)
