"""What Test connection reads from a database, without changing it: no tables yet (and whether
this user may create them), a current schema and its callback count, a newer schema."""

from __future__ import annotations

import psycopg
import pytest

from console.domain.team_db import readiness_verdict
from console.store.pg.event_log import PgEventLog
from console.store.pg.migrations import LATEST, readiness
from tests.pg.cluster import PASSWORD, PgCluster
from tests.store.events_factory import make_event


async def verdict(url: str, password: str = PASSWORD) -> tuple[bool, str]:
    async with await psycopg.AsyncConnection.connect(
        url, password=password, autocommit=True
    ) as conn:
        found = await readiness(conn)
    return readiness_verdict(
        "the db", version=found.version, latest=LATEST, events=found.events,
        can_create=found.can_create,
    )  # fmt: skip


@pytest.mark.asyncio
async def test_an_empty_database_is_read_not_written_then_counted_once_in_use(
    pg_cluster: PgCluster, pg_db: str, pg_url: str
) -> None:
    ok, text = await verdict(pg_url)
    assert ok and "no Stream Console tables yet" in text
    assert pg_cluster.tables(pg_db) == set()  # trying it created nothing
    log = PgEventLog(pg_url, password=PASSWORD, maintenance_interval_s=0)
    await log.open()
    try:
        await log.append(make_event(1))
    finally:
        await log.close()
    assert await verdict(pg_url) == (True, "Connected: the db answered and holds 1 callback.")
    with pg_cluster.admin(pg_db) as conn:
        conn.execute("INSERT INTO schema_version VALUES (%s, 'from the future')", (LATEST + 1,))
    ok, text = await verdict(pg_url)
    assert not ok and "newer Stream Console" in text and "Update this console" in text


@pytest.mark.asyncio
async def test_a_user_who_may_not_create_tables_is_told_before_turning_team_mode_on(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    with pg_cluster.admin() as conn:
        conn.execute(f"CREATE ROLE reader_{pg_db} LOGIN PASSWORD 'reader-pw-1'")
    url = f"postgresql://reader_{pg_db}@127.0.0.1:{pg_cluster.port}/{pg_db}"
    ok, text = await verdict(url, "reader-pw-1")
    assert not ok and "may not create them" in text and "owner" in text
    with pg_cluster.admin(pg_db) as conn:
        conn.execute(f"GRANT CREATE ON SCHEMA public TO reader_{pg_db}")
    ok, text = await verdict(url, "reader-pw-1")
    assert ok and "created when team mode is turned on" in text
