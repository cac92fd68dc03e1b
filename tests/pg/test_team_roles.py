"""Who may do what in a team database set up with `init_team` (docs/team-mode.md, Roles): an
agent reads and adds activity only as itself, a collector adds callbacks and refused requests
only, nobody but the owner rewrites history, retention runs through the owner's bounded
function, a removed login cannot connect and its history stays, and the console's and the
collectors' own code keeps working under those logins."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from console.domain.events import EventFilter, Verdict
from console.store.event_rows import DAY_S
from console.store.pg.activity_log import PgActivityLog
from console.store.pg.event_log import PgEventLog
from console.store.pg.export import export
from console.store.pg.migrations import LATEST, MIGRATIONS, readiness
from console.store.pg.retention import DELEGATED, DIRECT, NONE
from console.store.pg.roles import (
    AGENT,
    RETENTION_FUNCTION,
    Bounds,
    Removed,
    TeamRolesError,
    add_login,
    init_team,
    remove_login,
    team_logins,
)
from console.store.sqlite_writer import StoreUnavailable
from tests.pg.cluster import PASSWORD, PgCluster
from tests.pg.collectors import Collector, callback, load, send_to_all
from tests.pg.logins import Team, owner, set_up_team
from tests.pg.test_team_event_log import _retrying, until
from tests.store.events_factory import make_event
from tests.store.test_activity_log import entry

_COLUMNS = "received_at, event, call_uuid, stream_id, account, source, verdict, method, url"
_VALUES = "1, 'StartStream', 'c', 's', 'MA', 'x', 'accepted', 'POST', 'u', '{}', '{}'"
_RETAIN = f"SELECT pruned, more FROM public.{RETENTION_FUNCTION}(%s, %s, %s, %s)"


async def _denied(conn: psycopg.AsyncConnection[Any], statement: str) -> bool:
    try:
        await conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


async def _counts(team: Team) -> dict[str, int]:
    async with await owner(team.cluster, team.db) as conn:
        found = {}
        for table in ("events", "rejected", "used_nonces", "activity"):
            cursor = await conn.execute(f"SELECT count(*) FROM {table}")
            row = await cursor.fetchone()
            found[table] = int(row[0]) if row else -1
        return found


async def _filled(team: Team) -> None:
    """One row in every table, written by the logins meant to write them."""
    log = PgEventLog(
        team.url(team.collector), password=team.passwords[team.collector], maintenance_interval_s=0
    )
    await log.open()
    await log.append(make_event(1), nonce="nonce-1")
    await log.reject(make_event(2, verdict=Verdict.UNSIGNED))
    await log.close()
    history = PgActivityLog(team.url(team.agent), password=team.passwords[team.agent])
    await history.open()
    await history.append(entry(1))
    await history.close()


@pytest.mark.asyncio
async def test_init_twice_changes_nothing_and_makes_group_roles(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    async with await owner(pg_cluster, pg_db) as conn:
        groups = await init_team(conn)

        async def grants() -> list[tuple[Any, ...]]:
            cursor = await conn.execute(
                "SELECT grantee, table_name, privilege_type FROM "
                "information_schema.role_table_grants WHERE grantee IN (%s, %s) ORDER BY 1, 2, 3",
                (groups.agent, groups.collector),
            )
            return await cursor.fetchall()

        first = await grants()
        assert await init_team(conn) == groups  # idempotent
        assert await grants() == first
        with pytest.raises(TeamRolesError, match="groups are"):
            await init_team(conn, prefix="another_prefix")
        cursor = await conn.execute(
            "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN (%s, %s) ORDER BY 1",
            (groups.agent, groups.collector),
        )
        assert await cursor.fetchall() == [(groups.agent, False), (groups.collector, False)]
        cursor = await conn.execute("SELECT max(version) FROM schema_version")
        assert await cursor.fetchone() == (LATEST,)
    assert groups.agent == f"stream_console_{pg_db}_agent"
    agent = {(t, p) for g, t, p in first if g == groups.agent}
    assert agent == {
        ("activity", "INSERT"), ("activity", "SELECT"), ("events", "SELECT"),
        ("rejected", "SELECT"), ("schema_version", "SELECT"),
    }  # fmt: skip
    collector = {(t, p) for g, t, p in first if g == groups.collector}
    assert collector == {
        (t, p) for t in ("events", "rejected", "used_nonces") for p in ("INSERT", "SELECT")
    } | {("schema_version", "SELECT")}


@pytest.mark.asyncio
async def test_an_agent_may_not_erase_rewrite_or_forge_anything(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    team = await set_up_team(pg_cluster, pg_db)
    await _filled(team)
    before = await _counts(team)
    async with await team.connect(team.agent) as conn:
        for table in ("activity", "events", "rejected", "used_nonces", "schema_version"):
            assert await _denied(conn, f"DELETE FROM {table}"), table
            assert await _denied(conn, f"TRUNCATE {table}"), table
        assert await _denied(conn, "UPDATE activity SET \"user\" = 'someone', detail = 'x'")
        assert await _denied(conn, "UPDATE events SET detail = 'rewritten'")
        assert await _denied(
            conn, f"INSERT INTO events ({_COLUMNS}, params, headers) VALUES ({_VALUES})"
        )
        assert await _denied(
            conn, f"INSERT INTO rejected ({_COLUMNS}, params, headers) VALUES ({_VALUES})"
        )
        assert await _denied(conn, "INSERT INTO used_nonces VALUES ('n', 'f', 1, 1)")
        assert await _denied(conn, "CREATE TABLE mine (x int)")
        assert await _denied(conn, f"SELECT * FROM {RETENTION_FUNCTION}(1e12, 0, 0, true)")
        assert await _denied(conn, "SELECT * FROM team_roles")
        assert await _denied(conn, "ALTER TABLE activity DISABLE TRIGGER activity_attributed")
    assert await _counts(team) == before == {
        "events": 1, "rejected": 1, "used_nonces": 1, "activity": 1,
    }  # fmt: skip


@pytest.mark.asyncio
async def test_an_agent_writes_activity_in_its_own_name_only(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    team = await set_up_team(pg_cluster, pg_db)
    history = PgActivityLog(team.url(team.agent), password=team.passwords[team.agent])
    await history.open()
    try:
        await history.append(entry(1, user=team.other_agent))  # claims to be the other agent
        async with await team.connect(team.agent) as conn:  # and straight in SQL, twice over
            await conn.execute(
                'INSERT INTO activity (at, "user", account, action, call_uuid, outcome, os_user,'
                " team_login) VALUES (2, %s, 'MA', 'stop stream', 'call-2', 'ok', 'anna', false)",
                (team.other_agent,),
            )
        rows = await history.recent()
    finally:
        await history.close()
    assert [(e.user, e.os_user, e.team_login) for e in rows] == [
        (team.agent, "anna", True),
        (team.agent, team.other_agent, True),
    ]


@pytest.mark.asyncio
async def test_a_collector_may_not_touch_activity_nor_rewrite_events(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    team = await set_up_team(pg_cluster, pg_db)
    await _filled(team)
    before = await _counts(team)
    async with await team.connect(team.collector) as conn:
        assert await _denied(conn, "SELECT count(*) FROM activity")
        assert await _denied(conn, "INSERT INTO activity (at, account, action, call_uuid, outcome)"
                                   " VALUES (1, 'MA', 'stop stream', 'c', 'ok')")  # fmt: skip
        for table in ("activity", "events", "rejected", "used_nonces"):
            assert await _denied(conn, f"DELETE FROM {table}"), table
            assert await _denied(conn, f"TRUNCATE {table}"), table
        assert await _denied(conn, "UPDATE events SET detail = 'rewritten'")
        assert await _denied(conn, "UPDATE used_nonces SET fingerprint = ''")
    assert await _counts(team) == before


@pytest.mark.asyncio
async def test_a_removed_login_cannot_connect_and_its_history_stays(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    team = await set_up_team(pg_cluster, pg_db)
    history = PgActivityLog(team.url(team.agent), password=team.passwords[team.agent])
    await history.open()
    await history.append(entry(1))
    session = await team.connect(team.agent)  # still connected when removed
    async with await owner(pg_cluster, pg_db) as conn:
        assert sorted(await team_logins(conn)) == sorted(
            [(team.agent, AGENT), (team.other_agent, AGENT), (team.collector, "collector")]
        )
        with pytest.raises(TeamRolesError, match="not an agent or a collector"):
            await remove_login(conn, "stream")  # the owner is nobody's to remove
        assert await remove_login(conn, team.agent) == Removed(ended=2, left=0)  # pool, session
        assert team.agent not in {name for name, _ in await team_logins(conn)}
        with pytest.raises(TeamRolesError, match="no role named"):
            await remove_login(conn, team.agent)
        cursor = await conn.execute('SELECT "user", os_user FROM activity')
        assert await cursor.fetchall() == [(team.agent, "agent")]  # the history keeps the name
    with pytest.raises(psycopg.OperationalError):
        await session.execute("SELECT 1")  # its open session was ended
    await session.close()
    await history.close()
    with pytest.raises(psycopg.OperationalError, match="authentication failed"):
        await team.connect(team.agent)
    with pytest.raises(StoreUnavailable):
        await PgActivityLog(team.url(team.agent), password=team.passwords[team.agent]).open()


@pytest.mark.asyncio
async def test_the_retention_function_deletes_only_what_is_old(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    team = await set_up_team(pg_cluster, pg_db, Bounds(min_age_s=30 * DAY_S, min_refused=3))
    now = time.time()
    old, young = now - 40 * DAY_S, now - 3600.0
    async with await owner(pg_cluster, pg_db) as conn:
        for n, at in enumerate([old] * 5 + [young] * 5):
            await conn.execute(
                f"INSERT INTO events ({_COLUMNS}, params, headers) VALUES "
                "(%s, 'StartStream', 'c', %s, 'MA', 'x', 'accepted', 'POST', 'u', '{}', '{}')",
                (at, f"s{n}"),
            )
            await conn.execute("INSERT INTO used_nonces VALUES (%s, '', %s, 1)", (f"n{n}", at))
        for at in [old] * 2 + [young] * 6:
            await conn.execute(
                f"INSERT INTO rejected ({_COLUMNS}, params, headers) VALUES "
                "(%s, 'x', 'c', 's', 'MA', 'x', 'unsigned', 'POST', 'u', '{}', '{}')",
                (at,),
            )
    async with await team.connect(team.collector) as conn:
        # Asking for more than the owner allows: a clock 1,000 days ahead, no age, keep nothing.
        cursor = await conn.execute(_RETAIN, (now + 1000 * DAY_S, 0.0, 0, True))
        assert await cursor.fetchone() == (5, False)
        cursor = await conn.execute(_RETAIN, (now + 1000 * DAY_S, 0.0, 0, True))
        assert await cursor.fetchone() == (0, False)  # nothing old is left
    async with await owner(pg_cluster, pg_db) as conn:
        cursor = await conn.execute("SELECT min(received_at), count(*) FROM events")
        assert await cursor.fetchone() == (young, 5)
        cursor = await conn.execute("SELECT count(*) FROM used_nonces")
        assert await cursor.fetchone() == (5,)
        cursor = await conn.execute("SELECT count(*), min(received_at) FROM rejected")
        assert await cursor.fetchone() == (3, young)  # the old two, then down to the floor of 3


@pytest.mark.asyncio
async def test_collectors_and_consoles_work_under_their_logins(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    """The team event log's key flows (tests/pg/test_team_event_log.py) with a collector login
    writing and an agent login reading: every event once, in order, to the subscriber; a replay
    stored once; retention through the owner's function; the export; the agent cannot append."""
    team = await set_up_team(pg_cluster, pg_db)
    kw: dict[str, Any] = {"maintenance_interval_s": 0}
    writers = [
        PgEventLog(team.url(team.collector), password=team.passwords[team.collector], **kw)
        for _ in range(2)
    ]
    reader = PgEventLog(team.url(team.agent), password=team.passwords[team.agent], **kw)
    for log in (*writers, reader):
        await log.open()
    assert [w.retention for w in writers] == [DELEGATED, DELEGATED] and reader.retention == NONE
    seen: list[int] = []
    reader.add_listener(lambda events: seen.extend(e.id for e in events))
    await until(lambda: reader.health == "connected", what="the subscription")
    written = await asyncio.gather(_retrying(writers[0], 0), _retrying(writers[1], 1000))
    copy = await writers[1].append(make_event(0), nonce="n0")  # a replay of the first
    assert copy.replay and copy.event.id == written[0][0]
    refused = await writers[0].reject(make_event(5, verdict=Verdict.UNSIGNED))
    await until(lambda: len(seen) >= 600, what="every event")
    assert sorted(seen) == seen and set(seen) == set(written[0]) | set(written[1])
    assert await reader.count(EventFilter()) == 600
    got = await reader.get(refused, rejected=True)
    assert got is not None and got.verdict is Verdict.UNSIGNED
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        await reader.append(make_event(9999))
    async with await owner(pg_cluster, pg_db) as conn:  # one callback from 40 days ago
        await conn.execute(
            f"INSERT INTO events ({_COLUMNS}, params, headers) VALUES "
            "(%s, 'StartStream', 'c', 'old', 'MA', 'x', 'accepted', 'POST', 'u', '{}', '{}')",
            (time.time() - 40 * DAY_S,),
        )
    # through the owner's function: only the old one goes, however far ahead the clock is
    assert await writers[0].maintain(now=time.time() + 10 * 365 * DAY_S) == 1
    assert await reader.maintain() == 0 and not reader.full
    assert await reader.count(EventFilter()) == 600
    out = io.StringIO()
    agent_password = team.passwords[team.agent]
    assert export(team.url(team.agent), "jsonl", EventFilter(), out, password=agent_password) == 600
    for log in (*writers, reader):
        await log.close()
    owned = PgEventLog(pg_cluster.url(pg_db), password=PASSWORD, **kw)
    await owned.open()
    assert owned.retention == DIRECT  # the owner deletes itself, as before roles
    await owned.close()


@pytest.mark.asyncio
async def test_a_collector_keeps_the_refused_record_bounded_through_the_function(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    team = await set_up_team(pg_cluster, pg_db, Bounds(min_refused=3))
    log = PgEventLog(
        team.url(team.collector), password=team.passwords[team.collector],
        maintenance_interval_s=0, max_rejected=5,
    )  # fmt: skip
    await log.open()
    try:
        ids = [await log.reject(make_event(n, verdict=Verdict.UNSIGNED)) for n in range(100)]
    finally:
        await log.close()
    async with await owner(pg_cluster, pg_db) as conn:
        cursor = await conn.execute("SELECT array_agg(id ORDER BY id) FROM rejected")
        assert await cursor.fetchone() == (ids[-5:],)  # trimmed at the 100th, to its own cap


@pytest.mark.asyncio
async def test_an_agent_cannot_bring_an_older_schema_up_to_date(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    team = await set_up_team(pg_cluster, pg_db)
    async with await owner(pg_cluster, pg_db) as conn:
        await conn.execute("DELETE FROM schema_version WHERE version = %s", (LATEST,))
    log = PgEventLog(team.url(team.agent), password=team.passwords[team.agent])
    with pytest.raises(StoreUnavailable, match="stream-console team init"):
        await log.open()
    async with await owner(pg_cluster, pg_db) as conn:
        await conn.execute(
            "INSERT INTO schema_version (version, description) VALUES (%s, %s)",
            (LATEST, MIGRATIONS[-1].description),
        )
    await log.open()  # up to date again: the agent opens it without changing anything
    await log.close()


@pytest.mark.asyncio
async def test_readiness_says_which_logins_can_rewrite_the_history(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    team = await set_up_team(pg_cluster, pg_db)
    found = {}
    for login in (team.agent, team.collector):
        async with await team.connect(login) as conn:
            found[login] = await readiness(conn)
    async with await owner(pg_cluster, pg_db) as conn:
        found["owner"] = await readiness(conn)
        # a login the owner handed DELETE on the history by hand is told too
        await conn.execute(
            sql.SQL("GRANT DELETE ON activity TO {}").format(sql.Identifier(team.other_agent))
        )
    async with await team.connect(team.other_agent) as conn:
        found["granted"] = await readiness(conn)
    assert {k: v.rewrites for k, v in found.items()} == {
        team.agent: False, team.collector: False, "owner": True, "granted": True,
    }  # fmt: skip
    assert found[team.agent].version == LATEST and found[team.agent].events == 0


@pytest.mark.asyncio
async def test_logins_are_checked_and_kept_apart(pg_cluster: PgCluster, pg_db: str) -> None:
    async with await owner(pg_cluster, pg_db) as conn:
        with pytest.raises(TeamRolesError, match="team init"):
            await add_login(conn, f"early_{pg_db}", AGENT)  # before init
        groups = await init_team(conn)
        for bad in ("pg_monitor_me", "has space", "", "x" * 64, groups.agent):
            with pytest.raises(TeamRolesError):
                await add_login(conn, bad, AGENT)
        name = f"kerberos_{pg_db}"
        assert await add_login(conn, name, AGENT, password=False) is None
        with pytest.raises(TeamRolesError, match="exists already"):
            await add_login(conn, name, AGENT)
    with pg_cluster.admin() as admin:
        row = admin.execute(
            "SELECT rolpassword IS NULL, rolcanlogin FROM pg_authid WHERE rolname = %s", (name,)
        ).fetchone()
        assert row == (True, True)  # no password: the site's certificate or Kerberos decides


@pytest.mark.timeout(90)
def test_a_receive_collector_on_a_collector_login_keeps_callbacks_once(
    pg_cluster: PgCluster, pg_db: str, tmp_path: Path
) -> None:
    """`stream-console receive` as a team runs it once roles are set up: its own login, allowed
    to add callbacks and nothing more; signed callbacks stored, a replay stored once."""
    team = asyncio.run(set_up_team(pg_cluster, pg_db))
    password = team.passwords[team.collector]
    collector = Collector(team.url(team.collector), tmp_path, password=password)
    try:
        result = asyncio.run(load([collector.url], 40, concurrency=4))
        assert result.statuses == {200: 40}
        body, headers, _ = callback(1000)
        for _ in range(2):  # the same signed request twice: the second is a replay, kept once
            assert asyncio.run(send_to_all([collector.url], body, headers)) == [200]
    finally:
        code, out = collector.stop()
    assert code == 0 and "stopped: 41 events kept, 1 replays" in out
    assert password not in collector.stderr_path.read_text()
    with pg_cluster.admin(pg_db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (41,)
        assert conn.execute(
            "SELECT count(*) FROM rejected WHERE verdict = 'replay'"
        ).fetchone() == (1,)


@pytest.mark.asyncio
async def test_an_owner_who_is_not_a_superuser_runs_everything(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    """As on a managed database: the owner has CREATEROLE and owns the database, nothing more."""
    boss = f"owner_{pg_db}"
    with pg_cluster.admin() as conn:
        conn.execute(f"CREATE ROLE {boss} LOGIN CREATEROLE PASSWORD 'owner-pw-1'")
        conn.execute(f'ALTER DATABASE "{pg_db}" OWNER TO {boss}')
    with pg_cluster.admin(pg_db) as conn:
        conn.execute(f"ALTER SCHEMA public OWNER TO {boss}")  # as createdb --owner leaves it
    url = f"postgresql://{boss}@127.0.0.1:{pg_cluster.port}/{pg_db}"
    async with await psycopg.AsyncConnection.connect(
        url, password="owner-pw-1", autocommit=True
    ) as conn:
        await init_team(conn)
        await init_team(conn)
        name = f"agent_{pg_db}"
        password = await add_login(conn, name, AGENT)
        agent_url = f"postgresql://{name}@127.0.0.1:{pg_cluster.port}/{pg_db}"
        history = PgActivityLog(agent_url, password=password)
        await history.open()
        await history.append(entry(1))
        session = await psycopg.AsyncConnection.connect(agent_url, password=password)
        removed = await remove_login(conn, name)
        assert removed.ended + removed.left >= 2  # the history's pool and the session
        cursor = await conn.execute('SELECT "user" FROM activity')
        assert await cursor.fetchall() == [(name,)]
    with pytest.raises(psycopg.Error):  # ended, or left without any right
        await session.execute("SELECT count(*) FROM activity")
    await session.close()
    await history.close()
    with pytest.raises(psycopg.OperationalError):
        await psycopg.AsyncConnection.connect(agent_url, password=password)
