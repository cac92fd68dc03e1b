"""Who may do what in the team database, with PostgreSQL's own roles (docs/team-mode.md, Roles).

`init_team` (run by the database's owner, as often as wanted) brings the schema up to date and
makes two group roles: collectors add callbacks and refused requests; agents read the event log
and the activity history and add activity rows. Neither may UPDATE, DELETE or TRUNCATE: only the
owner rewrites history, and retention runs through ONE owner-defined SECURITY DEFINER function
whose effect is bounded by the owner (`RETENTION_FUNCTION`), which collectors call instead of
deleting. `add_login` / `remove_login` manage the people's and machines' LOGIN roles; a removed
agent's activity rows stay (a row names its writer as text, not as a reference to the role).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from console.store.event_rows import (
    DEFAULT_MAX_AGE_S,
    DEFAULT_MAX_REJECTED,
    DEFAULT_MAX_REJECTED_BYTES,
    MAX_NONCES,
    NONCE_MIN_AGE_S,
    PRUNE_BATCH,
    rejected_rows_cap,
)
from console.store.pg.migrations import MAINTENANCE_LOCK, migrate

AGENT = "agent"
COLLECTOR = "collector"
KINDS = (AGENT, COLLECTOR)
RETENTION_FUNCTION = "stream_console_retention"
RETENTION_SIGNATURE = (
    f"public.{RETENTION_FUNCTION}(double precision, double precision, bigint, boolean)"
)
PASSWORD_BYTES = 24  # 32 URL-safe characters: ~192 bits

_GROUP_PREFIX = re.compile(r"[a-z_][a-z0-9_]{0,49}")
_LOGIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,62}")


class TeamRolesError(Exception):
    """Something the owner must fix first, said in a sentence."""


@dataclass(frozen=True, slots=True)
class Bounds:
    """What the retention function never goes below, whatever a collector asks: rows younger
    than `min_age_s` stay, and at least `min_refused` refused requests are kept."""

    min_age_s: float = DEFAULT_MAX_AGE_S
    min_refused: int = rejected_rows_cap(DEFAULT_MAX_REJECTED, DEFAULT_MAX_REJECTED_BYTES)


@dataclass(frozen=True, slots=True)
class Groups:
    agent: str
    collector: str

    def of(self, kind: str) -> str:
        return self.agent if kind == AGENT else self.collector


DEFAULT_BOUNDS = Bounds()


def default_prefix(dbname: str) -> str:
    """`stream_console_<database>`: roles are cluster-wide, so each team database gets its own
    groups (an agent of one team's database is nobody in another's)."""
    name = re.sub(r"[^a-z0-9_]", "_", dbname.lower())
    return f"stream_console_{name}"[:50]


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


async def init_team(
    conn: psycopg.AsyncConnection[Any],
    *,
    prefix: str | None = None,
    bounds: Bounds = DEFAULT_BOUNDS,
) -> Groups:
    """Schema, groups, grants and the retention function; idempotent. `conn` is the owner's,
    in autocommit. Raises TeamRolesError."""
    if prefix is not None and not _GROUP_PREFIX.fullmatch(prefix):
        raise TeamRolesError("a role prefix is up to 50 lower-case letters, digits and underscores")
    await migrate(conn)
    dbname = await _scalar(conn, "SELECT current_database()")
    recorded = await _recorded_groups(conn)
    if recorded is not None and prefix is not None and recorded.agent != f"{prefix}_{AGENT}":
        raise TeamRolesError(
            f"this database's groups are {recorded.agent} and {recorded.collector}: run init "
            "without --role-prefix (or with the prefix used the first time)"
        )
    if recorded is None:
        prefix = prefix or default_prefix(str(dbname))
        groups = Groups(f"{prefix}_{AGENT}", f"{prefix}_{COLLECTOR}")
    else:
        groups = recorded
    async with conn.transaction():
        for kind in KINDS:
            await _ensure_group(conn, groups.of(kind))
            await conn.execute(
                "INSERT INTO team_roles (kind, role) VALUES (%s, %s) ON CONFLICT (kind) DO NOTHING",
                (kind, groups.of(kind)),
            )
        await _grant(conn, str(dbname), groups, bounds)
    return groups


async def add_login(
    conn: psycopg.AsyncConnection[Any], name: str, kind: str, *, password: bool = True
) -> str | None:
    """Create LOGIN role `name` in the `kind` group; returns its new password (None with
    `password=False`: the site authenticates it by certificate or Kerberos). The password is
    sent to the server only as a SCRAM verifier, so no server log can show it."""
    groups = await _groups(conn)
    _check_login_name(name, groups)
    if await _role_exists(conn, name):
        raise TeamRolesError(
            f"a role named {name} exists already: pick another name (or `team remove` it)"
        )
    secret = new_password() if password else None
    statement = sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
        sql.Identifier(name), sql.Identifier(groups.of(kind))
    )
    if secret is not None:
        verifier = conn.pgconn.encrypt_password(
            secret.encode(), name.encode(), b"scram-sha-256"
        ).decode()
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(verifier))
    await conn.execute(statement)
    return secret


@dataclass(frozen=True, slots=True)
class Removed:
    ended: int  # open sessions ended
    left: int  # open sessions this owner may not end (they keep no rights: the role is gone)


async def remove_login(conn: psycopg.AsyncConnection[Any], name: str) -> Removed:
    """Drop the LOGIN role `name` (an agent or a collector of this database; never anyone
    else): it may not log in from now, its open sessions are ended where the caller may, what it
    owns or was granted here is handed over or revoked (normally there is nothing: REASSIGN and
    DROP OWNED run only then, as they need rights over the role a CREATEROLE owner may lack),
    then the role goes, and with it its membership. Its activity rows stay."""
    groups = await _groups(conn)
    if not await _role_exists(conn, name):
        raise TeamRolesError(f"there is no role named {name}")
    if (await _kind(conn, name, groups)) is None:
        raise TeamRolesError(f"{name} is not an agent or a collector of this database")
    role = sql.Identifier(name)
    await conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(role))
    cursor = await conn.execute("SELECT pid FROM pg_stat_activity WHERE usename = %s", (name,))
    ended = left = 0
    for (pid,) in await cursor.fetchall():
        try:
            await conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
            ended += 1
        except psycopg.errors.InsufficientPrivilege:
            left += 1
    async with conn.transaction():
        if await _scalar(conn, sql.SQL(_DEPENDS).format(sql.Literal(name))):
            await conn.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(role))
            await conn.execute(sql.SQL("DROP OWNED BY {}").format(role))
        await conn.execute(sql.SQL("DROP ROLE {}").format(role))
    return Removed(ended, left)


# Whether anything in this database (or shared) is owned by, or granted to, a role.
_DEPENDS = """
SELECT EXISTS (
    SELECT FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid
    WHERE d.refclassid = 'pg_authid'::regclass AND r.rolname = {}
      AND d.dbid IN (0, (SELECT oid FROM pg_database WHERE datname = current_database())))
"""


async def team_logins(conn: psycopg.AsyncConnection[Any]) -> list[tuple[str, str]]:
    """(name, kind) of every login in this database's groups, by name."""
    groups = await _groups(conn)
    cursor = await conn.execute(
        "SELECT r.rolname, g.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
        "JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname IN (%s, %s) AND r.rolcanlogin "
        "ORDER BY 1",
        (groups.agent, groups.collector),
    )
    return [
        (str(name), AGENT if group == groups.agent else COLLECTOR)
        for name, group in await cursor.fetchall()
    ]


# --- inside ---------------------------------------------------------------------------------------
async def _grant(
    conn: psycopg.AsyncConnection[Any], dbname: str, groups: Groups, bounds: Bounds
) -> None:
    """From nothing to exactly the grants of docs/team-mode.md (so a second run changes
    nothing, and a grant given by hand to a group is taken back)."""
    agent, collector = sql.Identifier(groups.agent), sql.Identifier(groups.collector)
    both = sql.SQL("{}, {}").format(agent, collector)
    events_seq = await _scalar(conn, "SELECT pg_get_serial_sequence('public.events', 'id')")
    rejected_seq = await _scalar(conn, "SELECT pg_get_serial_sequence('public.rejected', 'id')")
    activity_seq = await _scalar(conn, "SELECT pg_get_serial_sequence('public.activity', 'id')")
    statements: list[sql.SQL | sql.Composed] = [
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(dbname)),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(dbname), both),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(both),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, {}").format(both),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, {}").format(both),
        sql.SQL("GRANT SELECT ON schema_version, events, rejected, activity TO {}").format(agent),
        sql.SQL("GRANT INSERT ON activity TO {}").format(agent),
        sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(_regclass(activity_seq), agent),
        sql.SQL("GRANT SELECT ON schema_version, events, rejected, used_nonces TO {}").format(
            collector
        ),
        sql.SQL("GRANT INSERT ON events, rejected, used_nonces TO {}").format(collector),
        sql.SQL("GRANT USAGE ON SEQUENCE {}, {} TO {}").format(
            _regclass(events_seq), _regclass(rejected_seq), collector
        ),
        sql.SQL(_RETENTION).format(
            min_age=sql.Literal(float(bounds.min_age_s)),
            min_refused=sql.Literal(int(bounds.min_refused)),
            nonce_age=sql.Literal(float(NONCE_MIN_AGE_S)),
            max_nonces=sql.Literal(MAX_NONCES),
            batch=sql.Literal(PRUNE_BATCH),
            lock=sql.Literal(MAINTENANCE_LOCK),
        ),
        sql.SQL(f"REVOKE ALL ON FUNCTION {RETENTION_SIGNATURE} FROM PUBLIC"),
        sql.SQL(f"GRANT EXECUTE ON FUNCTION {RETENTION_SIGNATURE} TO {{}}").format(collector),
    ]
    for statement in statements:
        await conn.execute(statement)


def _regclass(name: object) -> sql.SQL:
    """A sequence name as pg_get_serial_sequence gives it (already quoted where needed)."""
    return sql.SQL(str(name))


# The owner's bounded retention: `p_now` cannot be later than the server's clock, the age never
# below the owner's minimum, the refused rows kept never fewer than the owner's minimum, and each
# call deletes at most one batch per table (the caller calls again while `more`). A pass runs
# where the maintenance lock is free (`pruned` = -1 when another collector holds it); with
# `p_full` false it only trims the refused record to `p_rejected_keep`.
_RETENTION = (
    f"CREATE OR REPLACE FUNCTION public.{RETENTION_FUNCTION}("
    "p_now double precision, p_max_age_s double precision, p_rejected_keep bigint, "
    "p_full boolean, OUT pruned bigint, OUT more boolean)"
    + """
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    now_s double precision := least(
        coalesce(p_now, 'infinity'), extract(epoch FROM clock_timestamp()));
    age_s double precision := greatest(coalesce(p_max_age_s, 0), {min_age});
    keep bigint := greatest(coalesce(p_rejected_keep, 0), {min_refused});
    newest bigint;
    n bigint;
    total bigint;
BEGIN
    pruned := 0;
    more := false;
    SELECT max(id) INTO newest FROM public.rejected;
    IF newest IS NOT NULL THEN
        DELETE FROM public.rejected WHERE id IN (
            SELECT id FROM public.rejected WHERE id <= newest - keep ORDER BY id LIMIT {batch});
        GET DIAGNOSTICS n = ROW_COUNT;
        more := n >= {batch};
    END IF;
    IF NOT coalesce(p_full, false) THEN
        RETURN;
    END IF;
    IF NOT pg_try_advisory_xact_lock({lock}) THEN
        pruned := -1;
        RETURN;
    END IF;
    DELETE FROM public.events WHERE id IN (
        SELECT id FROM public.events WHERE received_at < now_s - age_s ORDER BY id LIMIT {batch});
    GET DIAGNOSTICS pruned = ROW_COUNT;
    more := more OR pruned >= {batch};
    DELETE FROM public.rejected WHERE id IN (
        SELECT id FROM public.rejected WHERE received_at < now_s - age_s ORDER BY id
        LIMIT {batch});
    GET DIAGNOSTICS n = ROW_COUNT;
    more := more OR n >= {batch};
    DELETE FROM public.used_nonces WHERE nonce IN (
        SELECT nonce FROM public.used_nonces
        WHERE received_at < now_s - greatest(age_s, {nonce_age}) LIMIT {batch});
    GET DIAGNOSTICS n = ROW_COUNT;
    more := more OR n >= {batch};
    SELECT count(*) INTO total FROM public.used_nonces;
    IF total > {max_nonces} THEN
        DELETE FROM public.used_nonces WHERE nonce IN (
            SELECT nonce FROM public.used_nonces ORDER BY received_at
            LIMIT least(total - {max_nonces}, {batch}));
        more := more OR total - {max_nonces} > {batch};
    END IF;
END
$fn$
"""
)


async def _ensure_group(conn: psycopg.AsyncConnection[Any], name: str) -> None:
    cursor = await conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (name,))
    row = await cursor.fetchone()
    if row is None:
        await conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
    elif row[0]:
        raise TeamRolesError(f"{name} exists and may log in: it cannot be a group; pick a prefix")


async def _recorded_groups(conn: psycopg.AsyncConnection[Any]) -> Groups | None:
    cursor = await conn.execute("SELECT kind, role FROM team_roles")
    found = {str(kind): str(role) for kind, role in await cursor.fetchall()}
    if AGENT in found and COLLECTOR in found:
        return Groups(found[AGENT], found[COLLECTOR])
    return None


async def _groups(conn: psycopg.AsyncConnection[Any]) -> Groups:
    try:
        groups = await _recorded_groups(conn)
    except psycopg.errors.UndefinedTable:
        groups = None
    if groups is None:
        raise TeamRolesError("this database has no team roles yet: run `team init` first")
    return groups


def _check_login_name(name: str, groups: Groups) -> None:
    if not _LOGIN_NAME.fullmatch(name) or name.lower().startswith("pg_"):
        raise TeamRolesError(
            "a login name is 1 to 63 letters, digits and _ . @ - (not starting with pg_)"
        )
    if name in (groups.agent, groups.collector):
        raise TeamRolesError(f"{name} is one of this database's groups")


async def _kind(conn: psycopg.AsyncConnection[Any], name: str, groups: Groups) -> str | None:
    """AGENT or COLLECTOR when `name` is directly in one of the groups (pg_has_role would call a
    superuser a member of every role), else None; never a superuser."""
    cursor = await conn.execute(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
        "JOIN pg_roles g ON g.oid = m.roleid "
        "WHERE r.rolname = %s AND NOT r.rolsuper AND g.rolname IN (%s, %s)",
        (name, groups.agent, groups.collector),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    return AGENT if row[0] == groups.agent else COLLECTOR


async def _role_exists(conn: psycopg.AsyncConnection[Any], name: str) -> bool:
    cursor = await conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    return await cursor.fetchone() is not None


async def _scalar(conn: psycopg.AsyncConnection[Any], query: str | sql.Composed) -> Any:
    cursor = await conn.execute(query)
    row = await cursor.fetchone()
    return row[0] if row else None
