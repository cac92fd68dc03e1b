"""The event pane's export: the selected events, or every event matching the pane's filters, in the
same JSON Lines and CSV layouts as `stream-console export` (console/store/event_export.py),
oldest first, to a file that appears only when complete (written as `name.part`, then renamed).

One difference from the command-line CSV: a spreadsheet runs a cell that starts with `=`, `+`,
`-` or `@` as a formula, and callback text is hostile, so such a cell gets a leading `'` here (the
usual guard; the JSON Lines export is the verbatim record). The work runs in a worker thread with
its own read-only connection, so a large export never stalls the window or the receiver.
"""

from __future__ import annotations

import asyncio
import csv
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TextIO

from console.domain.events import EventFilter, StoredEvent
from console.store.event_export import FIXED, iso, open_read_only, param_names, write_jsonl
from console.store.event_log import iter_rows

FORMATS = ("jsonl", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_columns(names: Sequence[str]) -> list[str]:
    """The command-line export's columns: the fixed ones, then one per parameter name."""
    return FIXED + [f"param:{n}" if n in FIXED else n for n in names]


def write_csv(events: Iterable[StoredEvent], names: Sequence[str], out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(csv_columns(names))
    count = 0
    for e in events:
        fixed = [str(e.id), iso(e.received_at), e.verdict.value, e.account, e.source, e.method]
        fixed += [e.url, e.detail]
        writer.writerow([safe_cell(v) for v in fixed + [e.params.get(n, "") for n in names]])
        count += 1
    return count


def _write(part: Path, fmt: str, events: Iterable[StoredEvent], names: Sequence[str]) -> int:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    with part.open("w", encoding="utf-8", newline="") as out:
        return write_jsonl(events, out) if fmt == "jsonl" else write_csv(events, names, out)


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
    names = sorted({name for e in ordered for name in e.params})
    part = target.with_name(target.name + ".part")
    return await asyncio.to_thread(_finish, part, target, lambda: _write(part, fmt, ordered, names))


async def export_matching_team(
    target: Path, fmt: str, url: str, password: str | None, flt: EventFilter
) -> int:
    """The same from the team database (the store's `stream-console export --db` writer, whose
    CSV cells are guarded the same way), in one read-only snapshot. Raises StoreUnavailable."""
    from console.store.pg.export import export

    part = target.with_name(target.name + ".part")

    def write() -> int:
        with part.open("w", encoding="utf-8", newline="") as out:
            return export(url, fmt, flt, out, password=password)

    return await asyncio.to_thread(_finish, part, target, write)


async def export_matching(target: Path, fmt: str, log_path: Path, flt: EventFilter) -> int:
    """Write every event in the log at `log_path` that matches `flt`, oldest first."""
    part = target.with_name(target.name + ".part")

    def write() -> int:
        conn: sqlite3.Connection = open_read_only(log_path)
        try:
            names = param_names(conn, flt) if fmt == "csv" else []
            return _write(part, fmt, iter_rows(conn, flt), names)
        finally:
            conn.close()

    return await asyncio.to_thread(_finish, part, target, write)
