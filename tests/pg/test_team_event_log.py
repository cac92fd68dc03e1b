"""What only the team database does: migrations at open, several writers and subscribers on one
database, a subscription that survives a cut connection, and a database that goes away."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable

import psycopg
import pytest

from console.domain.backoff import Backoff
from console.domain.events import EventFilter, StoredEvent
from console.store.pg.event_log import PgEventLog
from console.store.pg.migrations import LATEST, MIGRATIONS, migrate
from console.store.sqlite_writer import StoreUnavailable
from tests.pg.cluster import PASSWORD, PgCluster
from tests.store.events_factory import make_event


async def until(condition: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what or condition}"
        await asyncio.sleep(0.02)


async def opened(url: str, **kw: object) -> PgEventLog:
    log = PgEventLog(url, password=PASSWORD, maintenance_interval_s=0, **kw)  # type: ignore[arg-type]
    await log.open()
    return log


@pytest.mark.asyncio
async def test_open_creates_the_schema_once_and_records_the_version(
    pg_cluster: PgCluster, pg_db: str, pg_url: str
) -> None:
    first, second = await asyncio.gather(opened(pg_url), opened(pg_url))  # two at once: no race
    await first.close()
    await second.close()
    with pg_cluster.admin(pg_db) as conn:
        versions = conn.execute("SELECT version, description FROM schema_version").fetchall()
        assert versions == [(m.version, m.description) for m in MIGRATIONS]
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
        assert {"events", "rejected", "used_nonces", "activity", "schema_version"} <= tables
        unique = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'used_nonces_pkey'"
        ).fetchone()
        assert unique == ("PRIMARY KEY (nonce)",)  # a nonce is used once
    async with await psycopg.AsyncConnection.connect(
        pg_url, password=PASSWORD, autocommit=True
    ) as conn:
        assert await migrate(conn) == []  # re-open: nothing to do
        future = "INSERT INTO schema_version VALUES (%s, 'from the future')"
        await conn.execute(future, (LATEST + 1,))
    with pytest.raises(StoreUnavailable, match="newer than this program"):
        await opened(pg_url)


@pytest.mark.asyncio
async def test_two_writers_one_subscriber_every_event_exactly_once(
    pg_cluster: PgCluster, pg_db: str, pg_url: str
) -> None:
    a, b, reader = await asyncio.gather(opened(pg_url), opened(pg_url), opened(pg_url))
    seen: list[int] = []
    reader.add_listener(lambda events: seen.extend(e.id for e in events))
    await until(lambda: reader.health == "connected", what="the subscription")

    async def cut_the_subscription_twice() -> None:
        for enough in (100, 200):
            await until(lambda: len(seen) > enough, what="some events")  # noqa: B023
            assert pg_cluster.terminate(pg_db) >= 1  # every console connection, writers too
            await until(lambda: reader.health.startswith("reconnecting"), what="the cut")

    written_a, written_b, _ = await asyncio.gather(
        _retrying(a, 0), _retrying(b, 1000), cut_the_subscription_twice()
    )
    total = await reader.count(EventFilter())
    await until(lambda: len(seen) >= total, what="the catch-up")
    await asyncio.sleep(0.3)  # and nothing more (no duplicate) arrives
    assert sorted(seen) == seen and len(set(seen)) == len(seen) == total
    assert set(written_a) | set(written_b) <= set(seen)
    assert reader.last_seen_id == seen[-1] and reader.health == "connected"
    for log in (a, b, reader):
        await log.close()


async def _retrying(log: PgEventLog, start: int) -> list[int]:
    """Write 300 events; a batch failed by the cut (StoreUnavailable) is simply sent again, as
    Plivo does after a 503 — each event still lands once (they carry nonces below)."""
    ids: list[int] = []
    for n in range(start, start + 300):
        for _ in range(50):
            try:
                done = await log.append(make_event(n), nonce=f"n{n}")
            except StoreUnavailable:
                await asyncio.sleep(0.05)
                continue
            ids.append(done.event.id)
            break
        else:
            raise AssertionError("the writer never recovered")
    return ids


@pytest.mark.asyncio
async def test_database_down_writes_raise_store_unavailable_then_recover(
    pg_cluster: PgCluster, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log = await opened(pg_url, reconnect=Backoff(0.1, 2.0, 0.5))
    batches: list[list[StoredEvent]] = []
    log.add_listener(batches.append)
    await until(lambda: log.health == "connected")
    first = await log.append(make_event(1))
    pg_cluster.stop()
    try:
        with pytest.raises(StoreUnavailable, match="team database is unavailable"):
            await log.append(make_event(2))
        with pytest.raises(StoreUnavailable):
            await log.count(EventFilter())
        assert log.health.startswith("reconnecting: ")
    finally:
        pg_cluster.start()
    second = await _append_when_back(log, make_event(3))
    assert second.event.id > first.event.id
    await until(lambda: log.health == "connected", what="health back")
    await until(lambda: sum(len(b) for b in batches) == 2, what="both events announced")
    assert [e.id for b in batches for e in b] == [first.event.id, second.event.id]
    await log.close()
    assert PASSWORD not in caplog.text  # the password is never logged


async def _append_when_back(log: PgEventLog, event: StoredEvent) -> object:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        try:
            return await log.append(event)
        except StoreUnavailable:
            assert loop.time() < deadline, "the log did not recover"
            await asyncio.sleep(0.1)


@pytest.mark.asyncio
async def test_unreachable_database_fails_open_without_the_password(pg_cluster: PgCluster) -> None:
    url = f"postgresql://stream:{PASSWORD}@127.0.0.1:1/nowhere"  # nothing listens on port 1
    log = PgEventLog(url)
    assert PASSWORD not in log.url and "********" in log.url
    with pytest.raises(StoreUnavailable) as caught:
        await log.open()
    assert PASSWORD not in str(caught.value)
    with pytest.raises(StoreUnavailable):
        await log.append(make_event(1))


@pytest.mark.asyncio
async def test_wrong_password_is_a_clear_error(pg_url: str) -> None:
    log = PgEventLog(pg_url, password="not-the-password-123")
    with pytest.raises(StoreUnavailable, match="password authentication failed"):
        await log.open()


@pytest.mark.asyncio
@pytest.mark.parametrize("turns", [5, 20, 40, 60, 80, 110, 150])
async def test_an_open_cancelled_midway_leaves_no_connection(
    pg_cluster: PgCluster, pg_db: str, pg_url: str, turns: int
) -> None:
    """The console closed while it was connecting to the team database: whatever point the
    open had reached, no connection to the database is left behind."""
    log = PgEventLog(pg_url, password=PASSWORD, maintenance_interval_s=0)
    opening = asyncio.ensure_future(log.open())
    for _ in range(turns):
        await asyncio.sleep(0)
    opening.cancel()
    await asyncio.gather(opening, return_exceptions=True)
    await log.close()  # what the console's shutdown does whether or not the open finished
    # A connection libpq was still making when cancelled is closed when it is freed, which the
    # cancelled task's exception delays: the console drops its tasks; so does this test.
    del opening
    gc.collect()

    def connections() -> int:
        with pg_cluster.admin() as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (pg_db,)
            ).fetchone()
            return int(row[0]) if row else -1

    await until(lambda: connections() == 0, what="every connection closed")
