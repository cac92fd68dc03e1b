"""Team mode: the event log and activity history in one shared PostgreSQL database
(docs/team-mode.md). This module imports nothing heavy: the GUI's start-up checks `is_pg_url`
without paying for psycopg."""

from __future__ import annotations

URL_PREFIXES = ("postgresql://", "postgres://")


def is_pg_url(db: str) -> bool:
    """Whether `db` names a PostgreSQL database (else it is a SQLite file path)."""
    return db.strip().lower().startswith(URL_PREFIXES)
