"""The team database's schema, as numbered migrations the program applies itself at open.

`schema_version` records each applied migration (version, description, when). Opening runs, in
ONE transaction under a transaction-level advisory lock, every migration above the recorded
version, so two collectors starting together neither race nor apply one twice: the second waits
for the lock, then finds nothing to do. A database at a version this program does not know
(written by a newer console) is refused rather than guessed at. docs/team-mode.md lists the
tables; append a migration here, never edit one that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from console.store.sqlite_writer import StoreUnavailable

# Advisory lock keys (any bigint, fixed forever): schema changes, event commits, maintenance.
MIGRATION_LOCK = 7_311_205_001
EVENTS_LOCK = 7_311_205_002
MAINTENANCE_LOCK = 7_311_205_003

_EVENT_TABLE = """
CREATE TABLE {name} (
    id BIGSERIAL PRIMARY KEY,
    received_at DOUBLE PRECISION NOT NULL,
    event TEXT NOT NULL,
    call_uuid TEXT NOT NULL,
    stream_id TEXT NOT NULL,
    account TEXT NOT NULL,
    source TEXT NOT NULL,
    verdict TEXT NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    params TEXT NOT NULL,
    headers TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX {name}_received ON {name} (received_at);
"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "events, rejected, nonces, activity",
        _EVENT_TABLE.format(name="events")
        + _EVENT_TABLE.format(name="rejected")
        + """
CREATE INDEX events_event ON events (event, id);
CREATE INDEX events_call ON events (call_uuid, id);
CREATE INDEX events_stream ON events (stream_id, id);
CREATE TABLE nonces (
    nonce TEXT NOT NULL,
    signature TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL,
    event_id BIGINT NOT NULL,
    CONSTRAINT nonces_once UNIQUE (nonce, signature)
);
CREATE INDEX nonces_received ON nonces (received_at);
CREATE TABLE activity (
    id BIGSERIAL PRIMARY KEY,
    at DOUBLE PRECISION NOT NULL,
    "user" TEXT NOT NULL,
    account TEXT NOT NULL,
    action TEXT NOT NULL,
    call_uuid TEXT NOT NULL,
    outcome TEXT NOT NULL,
    service_url TEXT NOT NULL DEFAULT '',
    stream_id TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    account_name TEXT NOT NULL DEFAULT '',
    from_number TEXT NOT NULL DEFAULT '',
    to_number TEXT NOT NULL DEFAULT '',
    host TEXT NOT NULL DEFAULT '',
    console_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX activity_at ON activity (at);
CREATE INDEX activity_call ON activity (call_uuid, id);
CREATE INDEX activity_user ON activity ("user", id);
""",
    ),
    Migration(
        2,
        "nonces used once, whatever the signature headers (used_nonces)",
        """
CREATE TABLE used_nonces (
    nonce TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL,
    event_id BIGINT NOT NULL
);
CREATE INDEX used_nonces_received ON used_nonces (received_at);
INSERT INTO used_nonces (nonce, fingerprint, received_at, event_id)
    SELECT DISTINCT ON (nonce) nonce, '', received_at, event_id FROM nonces
    ORDER BY nonce, event_id;
DROP TABLE nonces;
""",
    ),
    Migration(
        3,
        "activity rows name the database login that wrote them (os_user keeps the OS login)",
        """
ALTER TABLE activity ADD COLUMN os_user TEXT NOT NULL DEFAULT '';
ALTER TABLE activity ADD COLUMN team_login BOOLEAN NOT NULL DEFAULT false;
UPDATE activity SET os_user = "user";
ALTER TABLE activity ALTER COLUMN "user" SET DEFAULT session_user;
CREATE FUNCTION activity_attributed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.os_user := coalesce(nullif(NEW.os_user, ''), NEW."user", '');
    NEW."user" := session_user;
    NEW.team_login := true;
    RETURN NEW;
END
$$;
CREATE TRIGGER activity_attributed BEFORE INSERT ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_attributed();
""",
    ),
    Migration(
        4,
        "team_roles: the group roles `stream-console team init` made",
        """
CREATE TABLE team_roles (
    kind TEXT PRIMARY KEY,
    role TEXT NOT NULL UNIQUE
);
""",
    ),
)
LATEST = MIGRATIONS[-1].version

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


async def migrate(conn: psycopg.AsyncConnection[Any]) -> list[int]:
    """Bring the schema to `LATEST`; returns the versions applied now ([] when up to date).
    An up-to-date database is only read, so a login that may not change the schema (an agent's
    or a collector's, docs/team-mode.md) opens it. Raises StoreUnavailable for a database newer
    than this program, or one this login may not bring up to date."""
    current = await _recorded_version(conn)
    if current == LATEST:
        return []
    if current > LATEST:
        raise _newer(current)
    applied: list[int] = []
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            await conn.execute(_VERSION_TABLE)
            current = await schema_version(conn)
            if current > LATEST:
                raise _newer(current)
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                await conn.execute(migration.sql)  # fixed text: no parameters
                await conn.execute(
                    "INSERT INTO schema_version (version, description) VALUES (%s, %s)",
                    (migration.version, migration.description),
                )
                applied.append(migration.version)
    except psycopg.errors.InsufficientPrivilege:
        raise StoreUnavailable(
            f"the team database's tables are at version {current} and this program needs "
            f"{LATEST}, which this login may not do: the database's owner runs "
            "`stream-console team init`"
        ) from None
    return applied


def _newer(version: int) -> StoreUnavailable:
    return StoreUnavailable(
        f"the team database has schema version {version}, newer than this program's "
        f"{LATEST}: update Stream Console"
    )


async def _recorded_version(conn: psycopg.AsyncConnection[Any]) -> int:
    """The schema version without creating anything (0: no `schema_version` table yet)."""
    cursor = await conn.execute("SELECT to_regclass('public.schema_version') IS NOT NULL")
    row = await cursor.fetchone()
    return await schema_version(conn) if row and row[0] else 0


async def schema_version(conn: psycopg.AsyncConnection[Any]) -> int:
    cursor = await conn.execute("SELECT coalesce(max(version), 0) FROM schema_version")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Readiness:
    """What a database holds for the console, found without changing anything (Test connection
    must not create tables in a database the team lead only meant to try)."""

    version: int  # the schema version; 0 when the console's tables are not there yet
    events: int | None  # callbacks stored; None without tables
    can_create: bool  # whether this role may create the tables in schema public
    # Whether this login may rewrite or erase the team's history (a superuser, the tables'
    # owner, or one granted UPDATE, DELETE or TRUNCATE): a console should use an agent login.
    rewrites: bool = False


_REWRITES = (
    "SELECT has_table_privilege('public.events', 'UPDATE, DELETE, TRUNCATE')"
    " OR has_table_privilege('public.activity', 'UPDATE, DELETE, TRUNCATE')"
)


async def readiness(conn: psycopg.AsyncConnection[Any]) -> Readiness:
    cursor = await conn.execute(
        "SELECT to_regclass('public.schema_version') IS NOT NULL,"
        " has_schema_privilege('public', 'CREATE'),"
        " (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
    )
    row = await cursor.fetchone()
    has_versions, can_create, superuser = (
        (bool(row[0]), bool(row[1]), bool(row[2])) if row else (False, False, False)
    )
    version = await schema_version(conn) if has_versions else 0
    events = None
    rewrites = superuser or (version == 0 and can_create)  # who creates the tables owns them
    if version >= 1:
        cursor = await conn.execute("SELECT count(*) FROM events")
        counted = await cursor.fetchone()
        events = int(counted[0]) if counted else 0
        cursor = await conn.execute(_REWRITES)
        granted = await cursor.fetchone()
        rewrites = rewrites or bool(granted and granted[0])
    return Readiness(version, events, can_create, rewrites)
