"""The team event log keeps every genuine callback whatever a sender who proved nothing does:
a nonce is used once across collectors, the refused record is bounded in bytes, a log full of
genuine events refuses new ones instead of deleting old ones, and a database written by the
previous schema keeps its replay record (docs/team-mode.md)."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from console.domain.events import EventFilter, Verdict
from console.domain.refused import REFUSED_ROW_MAX_BYTES
from console.store.pg.event_log import PgEventLog
from console.store.pg.migrations import MIGRATIONS, migrate
from console.store.sqlite_writer import StoreFull
from tests.pg.cluster import PASSWORD, PgCluster
from tests.store.events_factory import make_event


async def opened(url: str, **kw: object) -> PgEventLog:
    log = PgEventLog(url, password=PASSWORD, maintenance_interval_s=0, **kw)  # type: ignore[arg-type]
    await log.open()
    return log


@pytest.mark.asyncio
async def test_a_nonce_is_used_once_across_collectors(pg_url: str) -> None:
    one, two = await opened(pg_url), await opened(pg_url)
    try:
        first = await one.append(make_event(1), nonce="31627761595286130198")
        copy = await two.append(make_event(1, source="10.0.0.9"), nonce="31627761595286130198")
        assert copy.replay and not copy.conflict and copy.event.id == first.event.id
        resplit = make_event(1, params={"CallUUID": "call-1EventStartStream"})
        other = await two.append(resplit, nonce="31627761595286130198")
        assert other.conflict and not other.replay
        assert await one.count(EventFilter()) == 1
    finally:
        await one.close()
        await two.close()


@pytest.mark.asyncio
async def test_refused_requests_are_cut_short_and_bounded_by_their_own_budget(
    pg_url: str, pg_cluster: PgCluster, pg_db: str
) -> None:
    log = await opened(pg_url, max_rejected_bytes=20 * REFUSED_ROW_MAX_BYTES)
    try:
        await log.append(make_event(0), nonce="1")
        fat = {f"X-Pad-{i}": "p" * 4000 for i in range(50)}
        for n in range(250):
            await log.reject(make_event(n, verdict=Verdict.UNSIGNED, headers=fat))
        with pg_cluster.admin(pg_db) as conn:
            rows, widest = conn.execute(
                "SELECT count(*), max(octet_length(params) + octet_length(headers) "
                "+ octet_length(url) + octet_length(detail)) FROM rejected"
            ).fetchone()
        assert rows <= 20 + 100 and widest <= REFUSED_ROW_MAX_BYTES
        assert await log.count(EventFilter()) == 1
    finally:
        await log.close()


@pytest.mark.asyncio
async def test_a_full_team_log_refuses_new_events_and_deletes_none(pg_url: str) -> None:
    log = await opened(pg_url, max_rows=5)
    try:
        for n in range(8):
            await log.append(make_event(n), nonce=str(n))
        await log.maintain()
        assert "full" in log.full and log.unavailable == log.full
        with pytest.raises(StoreFull):
            await log.append(make_event(9), nonce="9")
        assert await log.count(EventFilter()) == 8
        log.max_rows = 100
        await log.maintain()
        assert not log.full
        assert not (await log.append(make_event(9), nonce="9")).replay
    finally:
        await log.close()


@pytest.mark.asyncio
async def test_a_database_from_before_keeps_its_replay_record(
    pg_url: str, pg_cluster: PgCluster, pg_db: str
) -> None:
    connect = psycopg.AsyncConnection.connect(pg_url, password=PASSWORD)
    async with await connect as conn, conn.transaction():  # as the previous version left it
        await conn.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT "
            "NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        await conn.execute(MIGRATIONS[0].sql)
        await conn.execute("INSERT INTO schema_version (version, description) VALUES (1, 'x')")
    old = make_event(1)
    with pg_cluster.admin(pg_db) as conn:
        conn.execute(
            "INSERT INTO events (id, received_at, event, call_uuid, stream_id, account, source, "
            "verdict, method, url, params, headers) VALUES (1, 1, 'StartStream', 'call-1', "
            "'stream-1', 'MA', '127.0.0.1', 'accepted', 'POST', %s, %s, '{}')",
            (old.url, '{"Event":"StartStream","StreamID":"stream-1","CallUUID":"call-1",'
             '"Timestamp":"2026-12-02 10:00:00","ServiceURL":"wss://example.com/s"}'),
        )  # fmt: skip
        conn.execute("INSERT INTO nonces VALUES ('42', 'sig-a', 1, 1), ('42', 'sig-b', 1, 1)")
        conn.execute("SELECT setval(pg_get_serial_sequence('events', 'id'), 1)")
    log = await opened(pg_url)
    try:
        assert (await log.append(make_event(1), nonce="42")).replay
        assert (await log.append(make_event(1, params={"CallUUID": "x"}), nonce="42")).conflict
        assert await log.count(EventFilter()) == 1
    finally:
        await log.close()
    async with await psycopg.AsyncConnection.connect(pg_url, password=PASSWORD) as conn:
        assert await migrate(conn) == []  # applied once


@pytest.mark.asyncio
async def test_a_flood_of_refusals_does_not_delay_genuine_appends_forever(pg_url: str) -> None:
    log = await opened(pg_url)
    try:
        fat = {f"X-Pad-{i}": "p" * 4000 for i in range(50)}
        refusals = [
            log.reject(make_event(n, verdict=Verdict.FORGED, headers=fat)) for n in range(300)
        ]
        genuine = [log.append(make_event(1000 + n), nonce=f"g{n}") for n in range(20)]
        results = await asyncio.gather(*refusals, *genuine)
        assert all(not r.replay for r in results[300:])  # type: ignore[union-attr]
        assert await log.count(EventFilter()) == 20
    finally:
        await log.close()
