"""`stream-console export --db postgresql://...`: the team's event log as JSON Lines or CSV, the
same files as from a SQLite log (`console.store.event_export` writes both). Rows are streamed
through a server-side cursor, oldest first, in one read-only snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO

import psycopg

from console.domain.events import EventFilter, StoredEvent
from console.store.event_export import write_csv_rows, write_jsonl
from console.store.event_rows import COLUMNS, row_to_event, where
from console.store.pg.connect import Target, unavailable


def export(
    url: str, fmt: str, flt: EventFilter, out: TextIO, *, password: str | None = None
) -> int:
    """Write the matching rows (oldest first) to `out`; returns how many. Raises
    StoreUnavailable when the database cannot be reached."""
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"unknown format {fmt!r}")
    target = Target(url, password=password)
    conn = target.connect_sync()
    try:
        conn.autocommit = False
        conn.read_only = True
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            if fmt == "jsonl":
                return write_jsonl(_rows(conn, flt), out)
            return write_csv_rows(_rows(conn, flt), out)
    except psycopg.OperationalError as exc:
        raise unavailable(exc) from None
    finally:
        conn.close()


def _table(flt: EventFilter) -> str:
    return "rejected" if flt.rejected else "events"


def _rows(conn: psycopg.Connection[Any], flt: EventFilter) -> Iterator[StoredEvent]:
    cond, args = where(flt, mark="%s", like="ILIKE")
    with conn.cursor(name="stream_console_export") as cursor:
        cursor.itersize = 2_000
        cursor.execute(f"SELECT id, {COLUMNS} FROM {_table(flt)} WHERE {cond} ORDER BY id", args)
        for row in cursor:
            yield row_to_event(row)
