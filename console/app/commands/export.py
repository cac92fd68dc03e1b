"""`stream-console export`: the event log (or the refused requests) as JSON Lines or CSV.

Reads a copy-safe, read-only view of the database, so it can run while a receiver writes.
Imports only argparse at import time.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TextIO

HELP = "write the status-callback event log out as JSON Lines or CSV"


def _since(text: str) -> float:
    from datetime import UTC, datetime

    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            "expected an ISO time such as 2026-12-02T17:00 or 2026-12-02T17:00:00Z"
        ) from exc
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        required=True,
        help="the event log file, or a team's postgresql://user@host/db URL (password from "
        "PGPASSWORD or ~/.pgpass)",
    )
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument(
        "--since", type=_since, metavar="ISO-TIME", help="only events received at or after (UTC)"
    )
    parser.add_argument("--call", default="", metavar="UUID", help="only this call's events")
    parser.add_argument(
        "--rejected", action="store_true", help="the refused requests (and replays) instead"
    )
    parser.add_argument("-o", "--output", help="write to this file instead of standard output")


def run(args: argparse.Namespace) -> int:
    import sqlite3
    import sys
    from pathlib import Path

    from console.app.runtime.private_files import open_private_text
    from console.domain.events import EventFilter
    from console.domain.redaction import redact_db_text, remember_url_passwords
    from console.store.event_export import export as export_file
    from console.store.pg import is_pg_url
    from console.store.sqlite_writer import StoreUnavailable

    flt = EventFilter(call_uuid=args.call, since=args.since, rejected=args.rejected)
    db: str | Path = Path(args.db).expanduser()
    export: Callable[[Any, str, EventFilter, TextIO], int] = export_file
    if is_pg_url(args.db):
        from console.store.pg.export import export as export_team

        remember_url_passwords(args.db)  # before any parser sees the URL
        db, export = args.db, export_team
    try:
        if args.output:
            target = Path(args.output).expanduser()
            part = target.with_name(target.name + ".part")
            try:
                with open_private_text(part) as out:  # 0600, like the log it comes from
                    count = export(db, args.format, flt, out)
                part.replace(target)
            except BaseException:
                part.unlink(missing_ok=True)  # no half file left behind
                raise
        else:
            count = export(db, args.format, flt, sys.stdout)
            sys.stdout.flush()
    except (OSError, sqlite3.Error, StoreUnavailable, ValueError) as exc:
        print(f"export: {redact_db_text(str(exc), args.db)}", file=sys.stderr)
        return 1
    except Exception as exc:  # a database error (psycopg.Error): one line, password-free
        from console.store.pg.connect import reason

        print(f"export: {redact_db_text(reason(exc), args.db)}", file=sys.stderr)
        return 1
    noun = "request" if args.rejected else "event"
    print(f"exported {count} {noun}{'' if count == 1 else 's'}", file=sys.stderr)
    return 0
