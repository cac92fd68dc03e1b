"""One place that turns the `--db` a user gave into a store: a file path means the single-agent
SQLite store, a `postgresql://` or `postgres://` URL the team's PostgreSQL database
(docs/team-mode.md). Both kinds have the same methods, so callers need not know which they hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from console.domain.redaction import redact_db_text, remember_url_passwords
from console.store.activity_log import ActivityLog
from console.store.event_log import EventLog
from console.store.event_rows import MAINTENANCE_INTERVAL_S
from console.store.pg import is_pg_url

if TYPE_CHECKING:  # psycopg is imported only when a database URL is used
    from console.store.pg.activity_log import PgActivityLog
    from console.store.pg.event_log import PgEventLog

EventStore: TypeAlias = "EventLog | PgEventLog"
ActivityStore: TypeAlias = "ActivityLog | PgActivityLog"

__all__ = [
    "ActivityStore",
    "EventStore",
    "activity_store_for",
    "event_store_for",
    "is_pg_url",
    "open_activity_store",
    "open_event_store",
]


def event_store_for(
    db: str, *, password: str | None = None, maintenance_interval_s: float = MAINTENANCE_INTERVAL_S
) -> EventStore:
    """The event log `db` names, not opened yet. `password` is for a database URL only; a
    malformed database URL raises ValueError (its message carries no password: `_no_password`)."""
    if is_pg_url(db):
        from console.store.pg.event_log import PgEventLog

        with _no_password(db):
            return PgEventLog(db, password=password, maintenance_interval_s=maintenance_interval_s)
    return EventLog(Path(db).expanduser(), maintenance_interval_s=maintenance_interval_s)


async def open_event_store(
    db: str, *, password: str | None = None, maintenance_interval_s: float = MAINTENANCE_INTERVAL_S
) -> EventStore:
    """The event log `db` names, opened. A database that cannot be reached raises
    StoreUnavailable; an unwritable SQLite file opens `unavailable` (it retries by itself)."""
    store = event_store_for(db, password=password, maintenance_interval_s=maintenance_interval_s)
    await store.open()
    return store


def activity_store_for(db: str, *, password: str | None = None) -> ActivityStore:
    if is_pg_url(db):
        from console.store.pg.activity_log import PgActivityLog

        with _no_password(db):
            return PgActivityLog(db, password=password)
    return ActivityLog(Path(db).expanduser())


async def open_activity_store(db: str, *, password: str | None = None) -> ActivityStore:
    """The activity history `db` names, opened; raises StoreUnavailable when it cannot be."""
    store = activity_store_for(db, password=password)
    await store.open()
    return store


@contextmanager
def _no_password(url: str) -> Iterator[None]:
    """The URL's password is registered with the redactor before any parser sees the URL, and a
    parser's complaint about it is scrubbed: libpq quotes the part it could not read, which may
    be the password itself (`unexpected spaces found in "My Secret Pass"`)."""
    remember_url_passwords(url)
    try:
        yield
    except ValueError as exc:
        raise ValueError(redact_db_text(str(exc), url)) from None
