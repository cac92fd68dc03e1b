"""Writing the event log out: JSON Lines (one object per event) or CSV (one row per event).

JSON Lines is the verbatim record. CSV has fixed columns, whatever the events hold: the
record's own fields, the parameters Plivo is known to send (`PARAM_COLUMNS`), then
`other_params`, every other parameter as one JSON object. (A column per parameter name, as
before, let one refused request with 200 made-up names turn a 4 MB log into a 200 MB CSV of
200,000 columns.) Callback text is hostile and spreadsheets run formulas, so every cell is
quoted and passed through `csv_cell`. Reads use their own read-only connection, so an export can
run while a receiver is writing.
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
from console.store.csv_cells import csv_cell
from console.store.event_log import iter_rows

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
PARAM_COLUMNS = [
    "Event",
    "StreamID",
    "CallUUID",
    "Timestamp",
    "ServiceURL",
    "ExtraHeaders",
    "Error",
    "Reason",
    "BufferUsage",
]
_PARAMS_WITH_A_COLUMN = frozenset(PARAM_COLUMNS)
OTHER_PARAMS = "other_params"
CSV_COLUMNS = FIXED + PARAM_COLUMNS + [OTHER_PARAMS]


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


def csv_row(event: StoredEvent) -> list[str]:
    """One event's cells, in `CSV_COLUMNS` order, guarded."""
    params = event.params
    others = {k: v for k, v in params.items() if k not in _PARAMS_WITH_A_COLUMN}
    cells = [
        str(event.id),
        iso(event.received_at),
        event.verdict.value,
        event.account,
        event.source,
        event.method,
        event.url,
        event.detail,
        *(params.get(name, "") for name in PARAM_COLUMNS),
        json.dumps(others, ensure_ascii=False, sort_keys=True) if others else "",
    ]
    return [csv_cell(cell) for cell in cells]


def write_csv_rows(events: Iterable[StoredEvent], out: TextIO) -> int:
    """The CSV (`CSV_COLUMNS`, every cell quoted); returns how many events."""
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events:
        writer.writerow(csv_row(event))
        count += 1
    return count


def write_csv(conn: sqlite3.Connection, flt: EventFilter, out: TextIO) -> int:
    return write_csv_rows(iter_rows(conn, flt), out)


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
