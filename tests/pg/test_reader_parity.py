"""The same reads and writes against both stores: a SQLite file and the team's PostgreSQL
database must answer alike, so the receiver and the event pane use either unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from console.domain.events import EventFilter, EventReader, StoredEvent, Verdict
from console.receiver.server import EventSink
from console.store.open_store import EventStore, event_store_for
from console.store.pg.event_log import PgEventLog
from tests.pg.cluster import PgCluster
from tests.store.events_factory import make_event


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, pg_cluster: PgCluster, pg_password: str
) -> AsyncIterator[EventStore]:
    if request.param == "sqlite":
        db = str(tmp_path / "events.sqlite3")
        store = event_store_for(db, maintenance_interval_s=0)
    else:
        db = pg_cluster.url(pg_cluster.new_database())
        store = event_store_for(db, password=pg_password, maintenance_interval_s=0)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def test_both_stores_satisfy_the_reader_and_sink_protocols(store: EventStore) -> None:
    reader: EventReader = store  # checked by mypy
    sink: EventSink = store
    assert reader is sink


@pytest.mark.asyncio
async def test_parameters_come_back_verbatim(store: EventStore) -> None:
    odd = {"Error": 'socket "closed"\n', "Ünïcode": "ü €", "Empty": "", "Nul": "a\x00b"}
    first = await store.append(make_event(1, event="DroppedStream", extra=odd))
    assert first.event.id > 0 and not first.replay
    got = await store.get(first.event.id)
    assert got is not None
    assert dict(got.params) == dict(first.event.params)
    assert list(got.params) == list(first.event.params)  # the order Plivo sent is kept
    assert got.error == 'socket "closed"\n' and got.verdict is Verdict.ACCEPTED
    assert got.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert got.received_at == 1_800_000_001.0
    assert await store.get(first.event.id + 1000) is None


@pytest.mark.asyncio
async def test_exact_replay_is_stored_once(store: EventStore) -> None:
    first = await store.append(make_event(1), nonce="123")
    again = await store.append(make_event(1), nonce="123")
    other = await store.append(make_event(1), nonce="124")
    assert again.replay and again.event.id == first.event.id and again.event == first.event
    assert not other.replay
    same = [store.append(make_event(9), nonce="9") for _ in range(20)]
    both = await asyncio.gather(*same)
    assert sum(not b.replay for b in both) == 1 and len({b.event.id for b in both}) == 1
    assert await store.count(EventFilter()) == 3


@pytest.mark.asyncio
async def test_filters_paging_and_free_text(store: EventStore) -> None:
    for n in range(50):
        event = "DegradedStream" if n % 5 == 0 else "StartStream"
        extra = {"BufferUsage": "60", "Note": '50% "full"'} if n % 5 == 0 else {}
        await store.append(make_event(n, event=event, extra=extra))
    degraded = EventFilter(events=frozenset({"DegradedStream"}))
    assert await store.count(degraded) == 10
    assert await store.count(EventFilter(events=frozenset({"DegradedStream", "X"}))) == 10
    assert await store.count(EventFilter(call_uuid="call-3")) == len(range(3, 50, 7))
    assert await store.count(EventFilter(stream_id="stream-7")) == 1
    assert await store.count(EventFilter(stream_id="REAM-4")) == 11  # any part, any case
    assert await store.count(EventFilter(stream_id="%")) == 0
    assert await store.count(EventFilter(text='50% "FULL"')) == 10  # any case, % literal
    assert await store.count(EventFilter(text="_")) == 0  # LIKE wildcards are literal
    assert await store.count(EventFilter(since=1_800_000_000.0 + 45)) == 5
    both = EventFilter(events=frozenset({"StartStream"}), call_uuid="call-1", text="stream-8")
    assert [e.stream_id for e in await store.newest(both)] == ["stream-8"]
    page1 = await store.newest(EventFilter(), limit=20)
    page2 = await store.newest(EventFilter(), before_id=page1[-1].id, limit=20)
    page3 = await store.newest(EventFilter(), before_id=page2[-1].id, limit=20)
    ids = [e.id for e in page1 + page2 + page3]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 50
    live = await store.after(ids[10], limit=5)
    assert [e.id for e in live] == sorted(ids)[-10:-5]
    assert all(e.buffer_usage == "60" for e in await store.newest(degraded))


@pytest.mark.asyncio
async def test_rejected_requests_are_kept_apart_and_bounded(store: EventStore) -> None:
    store.max_rejected = 50
    for n in range(250):
        await store.reject(make_event(n, verdict=Verdict.FORGED, account="", detail="bad sig"))
    assert await store.count(EventFilter()) == 0
    kept = await store.count(EventFilter(rejected=True))
    assert 50 <= kept <= 150
    newest = await store.newest(EventFilter(rejected=True), limit=1)
    assert newest[0].verdict is Verdict.FORGED and newest[0].detail == "bad sig"
    assert await store.get(newest[0].id, rejected=True) == newest[0]


@pytest.mark.asyncio
async def test_listeners_get_each_committed_event_once_in_order(store: EventStore) -> None:
    batches: list[list[StoredEvent]] = []
    store.add_listener(batches.append)

    def broken(events: list[StoredEvent]) -> None:
        raise RuntimeError("listener bug")

    store.add_listener(broken)  # a broken listener harms nobody
    if isinstance(store, PgEventLog):  # the subscription starts from "now": let it connect
        await until(lambda: store.health == "connected")
    await asyncio.gather(*(store.append(make_event(n)) for n in range(100)))
    await store.append(make_event(0), nonce="n")
    await store.append(make_event(0), nonce="n")  # replay: not announced
    await until(lambda: sum(len(b) for b in batches) >= 101)
    await asyncio.sleep(0.2)  # nothing more may come
    got = [e.id for batch in batches for e in batch]
    assert len(got) == 101 and got == sorted(got) and len(set(got)) == 101


@pytest.mark.asyncio
async def test_retention_by_age(store: EventStore) -> None:
    store.max_age_s = 100.0
    for n in range(300):
        await store.append(make_event(n), nonce=str(n))
    assert await store.maintain(now=1_800_000_000.0 + 200) == 100  # 0..99 are over 100 s old
    assert (await store.newest(EventFilter(), limit=300))[-1].received_at == 1_800_000_100.0
    assert await store.count(EventFilter()) == 200
