"""The team database failing over: a primary and a streaming standby started here, collectors
and a console given both in one libpq multi-host address (`target_session_attrs=read-write`),
the primary stopped and the standby promoted mid-load. Collectors answer 503 meanwhile and take
callbacks again on the new primary by themselves; the console resubscribes there and catches up
from the last id it saw; nothing acknowledged is lost (docs/team-mode.md, Failover).

The overlap is made, not hoped for: the primary stops only after callbacks were acknowledged and
the console had shown some, and the load goes on until the new primary has taken callbacks and
the 503s of the switch were seen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from console.domain.events import StoredEvent
from console.store.pg.console_stores import open_console_stores
from console.store.pg.event_log import PgEventLog
from tests.pg.cluster import PASSWORD, PgCluster, started_cluster, started_standby
from tests.pg.collectors import Collector, through_an_outage, until
from tests.pg.test_collectors import stream_ids

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture
def pair_of_servers() -> Iterator[tuple[PgCluster, PgCluster, str]]:
    """A primary with a database and the schema, and its synchronous standby: a commit is
    acknowledged once the standby has it, so the failover cannot lose one."""
    primary = started_cluster()
    standby = None
    try:
        db = primary.new_database("failover")
        with primary.admin(db) as conn:
            conn.execute("SELECT 1")
        standby = started_standby(primary)
        with primary.admin() as conn:
            conn.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
            conn.execute("SELECT pg_reload_conf()")
        yield primary, standby, db
    finally:
        if standby is not None:
            standby.destroy()
        primary.destroy()


def both(primary: PgCluster, standby: PgCluster, db: str) -> str:
    return (
        f"postgresql://stream@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/{db}"
        "?target_session_attrs=read-write"
    )


@pytest.mark.asyncio
async def test_failover_mid_load_loses_nothing_acknowledged_and_the_console_catches_up(
    pair_of_servers: tuple[PgCluster, PgCluster, str], tmp_path: Path
) -> None:
    primary, standby, db = pair_of_servers
    url = both(primary, standby, db)
    schema = PgEventLog(url, password=PASSWORD, maintenance_interval_s=0)
    await schema.open()  # the tables, on the primary (a standby refuses the address)
    await schema.close()
    await until(lambda: standby_has_table(standby, db), "the standby replays the schema")
    collectors = [
        Collector(url, tmp_path, password=PASSWORD, name=f"c{i}", extra=["--db-wait", "inf"])
        for i in range(2)
    ]
    log, activity = await open_console_stores(url, password=PASSWORD)
    shown: list[StoredEvent] = []
    log.add_listener(shown.extend)
    try:
        await until(lambda: log.health == "connected", "the console's subscription")
        result = await through_an_outage(
            [c.url for c in collectors], primary.stop, standby.promote,
            ready=lambda live: len(live.acked) >= 50 and len(shown) >= 20,
        )  # fmt: skip
        await until(lambda: len(shown) >= len(result.acked), "the console caught up")
    finally:
        await activity.close()
        await log.close()
        for c in collectors:
            c.stop()
    assert result.statuses.get(503, 0) > 0, result.statuses  # the switch was answered 503
    assert result.acked == result.taken  # every callback begun was finally accepted
    stored = stream_ids(standby, db)
    assert len(stored) == len(set(stored)) == len(result.acked)  # each once, none lost
    assert set(stored) == result.acked
    ids = [e.id for e in shown]
    assert ids == sorted(set(ids))  # in order, each once, across the switch
    assert {e.stream_id for e in shown} == result.acked
    assert log.last_seen_id == ids[-1]


def standby_has_table(standby: PgCluster, db: str) -> bool:
    with standby.admin(db) as conn:
        return conn.execute("SELECT to_regclass('public.events') IS NOT NULL").fetchone() == (True,)


def test_the_console_takes_a_primary_and_standby_address() -> None:
    from console.domain.team_db import describe_team_url, team_url_problem

    url = "postgresql://anna@db1.example.com:5432,db2.example.com:5433/console?target_session_attrs=read-write"
    assert team_url_problem(url) is None
    assert describe_team_url(url) == "anna@db1.example.com:5432,db2.example.com:5433/console"
    assert "port" in (team_url_problem("postgresql://anna@db1:5432,db2:54x/console") or "")
