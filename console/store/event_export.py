"""Writing the event log out: JSON Lines (one object per event) or CSV (one row per event).

Every parameter goes out as received. CSV gets a fixed set of columns, then one column per
parameter name found in the exported rows (sorted), so a spreadsheet shows them side by side; a
parameter whose name clashes with a fixed column is written as `param:<name>`. Spreadsheets run a
cell starting with `=`, `+`, `-`, `@`, tab or CR as a formula, and callback text is hostile, so
such a CSV cell gets a leading `'` (`csv_cell`); JSON Lines is the verbatim record. Reads use
their own read-only connection, so an export can run while a receiver is writing.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from console.domain.events import EventFilter, StoredEvent
from console.store.event_log import iter_rows
from console.store.event_rows import where

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


FIXED = [
    "id",
    "received_at",
    "verdict",
    "account",
    "source",
    "method",
    "url",
    "detail",
]


def iso(epoch: float) -> str:
    """UTC, ISO 8601 with milliseconds: `2026-12-02T17:00:00.123Z`."""
    stamp = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def open_read_only(path: Path) -> sqlite3.Connection:
    """Raises FileNotFoundError when there is no log (an export never creates one)."""
    if not path.is_file():
        raise FileNotFoundError(f"no event log at {path}")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.execute("PRAGMA query_only=1")
    return conn


def as_json(event: StoredEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "received_at": iso(event.received_at),
        "event": event.event,
        "call_uuid": event.call_uuid,
        "stream_id": event.stream_id,
        "account": event.account,
        "verdict": event.verdict.value,
        "source": event.source,
        "method": event.method,
        "url": event.url,
        "params": dict(event.params),
        "headers": dict(event.headers),
        "detail": event.detail,
    }


def write_jsonl(events: Iterable[StoredEvent], out: TextIO) -> int:
    count = 0
    for event in events:
        out.write(json.dumps(as_json(event), ensure_ascii=False) + "\n")
        count += 1
    return count


def param_names(conn: sqlite3.Connection, flt: EventFilter) -> list[str]:
    table = "rejected" if flt.rejected else "events"
    cond, args = where(flt)
    rows = conn.execute(
        f"SELECT DISTINCT j.key FROM {table}, json_each({table}.params) AS j WHERE {cond}", args
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


def write_csv(conn: sqlite3.Connection, flt: EventFilter, out: TextIO) -> int:
    return write_csv_events(param_names(conn, flt), iter_rows(conn, flt), out)


def write_csv_events(names: list[str], events: Iterable[StoredEvent], out: TextIO) -> int:
    """The CSV: the fixed columns, then one per parameter name in `names` (sorted)."""
    columns = FIXED + [csv_cell(f"param:{n}" if n in FIXED else n) for n in names]
    writer = csv.writer(out)
    writer.writerow(columns)
    count = 0
    for event in events:
        fixed = [
            str(event.id),
            iso(event.received_at),
            event.verdict.value,
            event.account,
            event.source,
            event.method,
            event.url,
            event.detail,
        ]
        writer.writerow([csv_cell(v) for v in fixed + [event.params.get(n, "") for n in names]])
        count += 1
    return count


def export(path: Path, fmt: str, flt: EventFilter, out: TextIO) -> int:
    """Write the matching rows (oldest first) to `out`; returns how many."""
    conn = open_read_only(path)
    try:
        if fmt == "jsonl":
            return write_jsonl(iter_rows(conn, flt), out)
        if fmt == "csv":
            return write_csv(conn, flt, out)
        raise ValueError(f"unknown format {fmt!r}")
    finally:
        conn.close()
