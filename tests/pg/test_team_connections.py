"""How many connections a console and a collector hold at PostgreSQL, counted where the server
counts them (`pg_stat_activity`, by `application_name`): a console at most 2 (LISTEN, and one
for everything else), idle or busy; a collector at most its pool (docs/team-mode.md, Sizing)."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest

from console.domain.events import StoredEvent
from console.store.pg.console_stores import open_console_stores
from console.store.pg.event_log import POOL_SIZE, PgEventLog
from tests.pg.cluster import PASSWORD, USER, PgCluster
from tests.pg.test_team_event_log import until
from tests.store.events_factory import make_event
from tests.store.test_activity_log import entry


class Census:
    """Counts the server's connections per application name, keeping the highest seen."""

    def __init__(self, conn: psycopg.AsyncConnection[Any], db: str) -> None:
        self.conn = conn
        self.db = db
        self.highest: dict[str, int] = {}

    async def count(self, application: str) -> int:
        cursor = await self.conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (self.db, application),
        )
        row = await cursor.fetchone()
        n = int(row[0]) if row else 0
        self.highest[application] = max(self.highest.get(application, 0), n)
        return n

    async def watch(self, stop: asyncio.Event, *applications: str) -> None:
        while not stop.is_set():
            for app in applications:
                await self.count(app)
            await asyncio.sleep(0.005)  # a sampling period, not a wait for anything


def url_named(pg_cluster: PgCluster, db: str, application: str) -> str:
    return f"{pg_cluster.url(db)}?application_name={application}"


async def admin(pg_cluster: PgCluster, db: str) -> psycopg.AsyncConnection[Any]:
    return await psycopg.AsyncConnection.connect(
        host=str(pg_cluster.sock), port=pg_cluster.port, user=USER, dbname=db, autocommit=True
    )


@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_a_console_holds_two_connections_idle_and_busy_and_a_collector_its_pool(
    pg_cluster: PgCluster, pg_db: str
) -> None:
    collector = PgEventLog(
        url_named(pg_cluster, pg_db, "bench-collector"), password=PASSWORD,
        maintenance_interval_s=0,
    )  # fmt: skip
    await collector.open()
    log, activity = await open_console_stores(
        url_named(pg_cluster, pg_db, "bench-console"), password=PASSWORD
    )
    seen: list[int] = []

    def listener(events: list[StoredEvent]) -> None:
        seen.extend(e.id for e in events)

    log.add_listener(listener)
    census = Census(await admin(pg_cluster, pg_db), pg_db)
    try:
        await until(lambda: log.health == "connected", what="the subscription")
        assert await census.count("bench-console") == 2  # idle: LISTEN + one
        stop = asyncio.Event()
        watcher = asyncio.create_task(census.watch(stop, "bench-console", "bench-collector"))
        await busy(collector, log, activity)
        await until(lambda: len(seen) == 300, what="every event at the console")
        stop.set()
        await watcher
        assert seen == sorted(set(seen)) and len(seen) == 300
        assert len(await activity.recent(limit=1000)) == 60
        assert census.highest["bench-console"] == 2
        assert 1 <= census.highest["bench-collector"] <= POOL_SIZE
        await activity.close()
        await log.close()
        await until_gone(census, "bench-console")
    finally:
        await activity.close()
        await log.close()
        await collector.close()
        await census.conn.close()


async def busy(collector: PgEventLog, log: PgEventLog, activity: Any) -> None:
    """A collector writing and maintaining while the console reads its pane, writes and reads
    activity, all at once."""
    from console.domain.events import EventFilter

    async def write() -> None:
        for burst in range(10):
            await asyncio.gather(*(collector.append(make_event(burst * 30 + k)) for k in range(30)))
            await collector.maintain()

    async def read() -> None:
        for _ in range(40):
            await asyncio.gather(log.count(EventFilter()), log.newest(EventFilter(), limit=50))

    async def record() -> None:
        for n in range(20):
            await asyncio.gather(*(activity.append(entry(n * 3 + k)) for k in range(3)))
            await activity.query(limit=10)

    await asyncio.gather(write(), read(), record())


async def until_gone(census: Census, application: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while await census.count(application) != 0:
        assert loop.time() < deadline, "the console's connections stayed open after close"
        await asyncio.sleep(0.02)
