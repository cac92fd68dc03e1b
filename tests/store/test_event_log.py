"""The event log on a real SQLite file: durable appends, replay record, filters, paging, bounds."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from console.domain.events import EventFilter, EventReader, StoredEvent, Verdict
from console.store.event_log import EventLog
from console.store.sqlite_writer import StoreFull, StoreUnavailable
from tests.store.events_factory import make_event


async def opened(path: Path, **kw: object) -> EventLog:
    log = EventLog(path, maintenance_interval_s=0, **kw)  # type: ignore[arg-type]
    await log.open()
    return log


@pytest.mark.asyncio
async def test_append_keeps_every_parameter_and_survives_reopen(tmp_path: Path) -> None:
    log = await opened(tmp_path / "events.sqlite3")
    odd = {"Error": 'socket "closed"\n', "Ünïcode": "ü €", "Empty": ""}
    first = await log.append(make_event(1, event="DroppedStream", extra=odd))
    assert first.event.id > 0 and not first.replay
    await log.close()
    again = await opened(tmp_path / "events.sqlite3")
    got = await again.get(first.event.id)
    assert got is not None
    assert got.params["Error"] == 'socket "closed"\n' and got.params["Ünïcode"] == "ü €"
    assert got.params["Empty"] == "" and got.error == 'socket "closed"\n'
    assert got.event == "DroppedStream" and got.verdict is Verdict.ACCEPTED
    assert got.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert got.url == "https://example.ngrok.app/plivo/stream-status"
    await again.close()


@pytest.mark.asyncio
async def test_concurrent_appends_share_transactions_and_all_land(tmp_path: Path) -> None:
    log = await opened(tmp_path / "e.sqlite3")
    results = await asyncio.gather(*(log.append(make_event(n)) for n in range(600)))
    ids = [r.event.id for r in results]
    assert len(set(ids)) == 600
    assert await log.count(EventFilter()) == 600
    assert log._writer.batches < 100  # group commit: far fewer transactions than events
    await log.close()


@pytest.mark.asyncio
async def test_exact_replay_is_stored_once_and_reported(tmp_path: Path) -> None:
    log = await opened(tmp_path / "e.sqlite3")
    first = await log.append(make_event(1), nonce="123")
    again = await log.append(make_event(1), nonce="123")
    other = await log.append(make_event(1), nonce="124")  # Plivo's retry
    assert again.replay and again.event.id == first.event.id
    assert not other.replay
    assert await log.count(EventFilter()) == 2
    await log.close()
    reopened = await opened(tmp_path / "e.sqlite3")  # the replay record is on disk
    assert (await reopened.append(make_event(1), nonce="123")).replay
    await reopened.close()


@pytest.mark.asyncio
async def test_a_batch_with_replays_in_it_says_which_and_stores_the_rest(tmp_path: Path) -> None:
    """Batches are written a few rows per statement; a used nonce anywhere in one (kept
    before, or twice in the same batch) must still be told apart event by event."""
    log = await opened(tmp_path / "e.sqlite3")
    kept = await log.append(make_event(0), nonce="n0")
    batch = [(make_event(n), f"n{n}") for n in range(1, 150)]
    batch[40] = (make_event(0), "n0")  # a replay of the event kept before
    batch[90] = (make_event(5), "n7")  # the nonce of another event in this very batch: forged
    batch[120] = (make_event(10), "n10")  # the same request twice in one batch: a replay
    results = await asyncio.gather(*(log.append(e, nonce=nonce) for e, nonce in batch))
    assert results[40].replay and results[40].event.id == kept.event.id
    assert results[90].conflict and not results[90].replay
    assert results[120].replay and results[120].event.id == results[9].event.id
    fresh = [r for i, r in enumerate(results) if i not in (40, 90, 120)]
    assert not any(r.replay or r.conflict for r in fresh)
    assert len({r.event.id for r in fresh}) == len(fresh) == 146
    assert await log.count(EventFilter()) == 147
    for r in fresh[::20]:  # the id handed back is the row that holds the event
        stored = await log.get(r.event.id)
        assert stored is not None and stored.stream_id == r.event.stream_id
    # Batches without a used nonce: one id each, in order, every nonce kept.
    more = await asyncio.gather(*(log.append(make_event(n), nonce=f"m{n}") for n in range(300)))
    ids = [r.event.id for r in more]
    assert ids == sorted(ids) and len(set(ids)) == 300
    for n in (0, 77, 299):
        stored = await log.get(more[n].event.id)
        assert stored is not None and stored.stream_id == f"stream-{n}"
        assert (await log.append(make_event(n), nonce=f"m{n}")).replay
    await log.close()


@pytest.mark.asyncio
async def test_filters_paging_and_free_text(tmp_path: Path) -> None:
    log = await opened(tmp_path / "e.sqlite3")
    for n in range(50):
        event = "DegradedStream" if n % 5 == 0 else "StartStream"
        extra = {"BufferUsage": "60", "Note": '50% "full"'} if n % 5 == 0 else {}
        await log.append(make_event(n, event=event, extra=extra))
    degraded = EventFilter(events=frozenset({"DegradedStream"}))
    assert await log.count(degraded) == 10
    assert await log.count(EventFilter(call_uuid="call-3")) == len(range(3, 50, 7))
    assert await log.count(EventFilter(stream_id="stream-7")) == 1
    assert await log.count(EventFilter(stream_id="REAM-4")) == 11  # any part, any case: 4, 40-49
    assert await log.count(EventFilter(stream_id="%")) == 0  # LIKE wildcards are literal
    assert await log.count(EventFilter(text='50% "FULL"')) == 10  # case-insensitive, % literal
    assert await log.count(EventFilter(text="_")) == 0  # LIKE wildcards are literal
    assert await log.count(EventFilter(since=1_800_000_000.0 + 45)) == 5
    page1 = await log.newest(EventFilter(), limit=20)
    page2 = await log.newest(EventFilter(), before_id=page1[-1].id, limit=20)
    page3 = await log.newest(EventFilter(), before_id=page2[-1].id, limit=20)
    ids = [e.id for e in page1 + page2 + page3]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 50
    live = await log.after(ids[10], limit=5)
    assert [e.id for e in live] == sorted(ids)[-10:-5]
    assert all(e.buffer_usage == "60" for e in await log.newest(degraded))
    await log.close()


@pytest.mark.asyncio
async def test_listeners_get_committed_events_in_batches(tmp_path: Path) -> None:
    log = await opened(tmp_path / "e.sqlite3")
    batches: list[list[StoredEvent]] = []
    log.add_listener(batches.append)

    def broken(events: list[StoredEvent]) -> None:
        raise RuntimeError("listener bug")

    log.add_listener(broken)  # a broken listener harms nobody
    await asyncio.gather(*(log.append(make_event(n)) for n in range(100)))
    await log.append(make_event(0), nonce="n")
    await log.append(make_event(0), nonce="n")  # replay: not announced
    await asyncio.sleep(0)
    got = [e.id for batch in batches for e in batch]
    assert len(got) == 101 and got == sorted(got)
    assert len(batches) < 50
    await log.close()


@pytest.mark.asyncio
async def test_rejected_requests_are_kept_apart_and_bounded(tmp_path: Path) -> None:
    log = await opened(tmp_path / "e.sqlite3", max_rejected=50)
    for n in range(250):
        await log.reject(make_event(n, verdict=Verdict.FORGED, account="", detail="bad sig"))
    assert await log.count(EventFilter()) == 0
    kept = await log.count(EventFilter(rejected=True))
    assert 50 <= kept <= 150
    newest = await log.newest(EventFilter(rejected=True), limit=1)
    assert newest[0].verdict is Verdict.FORGED and newest[0].detail == "bad sig"
    assert await log.get(newest[0].id, rejected=True) == newest[0]
    await log.close()


@pytest.mark.asyncio
async def test_retention_by_age_and_full_by_size(tmp_path: Path) -> None:
    log = await opened(tmp_path / "e.sqlite3", max_age_s=100.0)
    for n in range(300):
        await log.append(make_event(n, extra={"Pad": "x" * 2000}), nonce=str(n))
    deleted = await log.maintain(now=1_800_000_000.0 + 200)  # events 0..99 are older than 100 s
    assert deleted == 100
    assert (await log.newest(EventFilter(), limit=300))[-1].received_at == 1_800_000_100.0
    log.max_age_s = 10**9
    log.max_bytes = 200_000  # about a third of what is left: full, and nothing is deleted
    assert await log.maintain(now=1_800_000_000.0 + 200) == 0
    assert await log.count(EventFilter()) == 200
    assert log.full and log.unavailable == log.full and "full" in log.full
    with pytest.raises(StoreFull):
        await log.append(make_event(1000))
    wal = tmp_path / "e.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed and truncated
    log.max_bytes = 10**9  # the limit raised: room again at the next pass
    await log.maintain(now=1_800_000_000.0 + 200)
    assert not log.full and (await log.append(make_event(1000))).event.id > 0
    await log.close()


@pytest.mark.asyncio
async def test_damaged_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    log = await opened(path)
    assert log.recovered_from is not None and log.recovered_from.exists()
    assert (await log.append(make_event(1))).event.id == 1
    await log.close()


@pytest.mark.asyncio
async def test_full_database_fails_the_append_and_recovers(tmp_path: Path) -> None:
    log = await opened(tmp_path / "e.sqlite3")
    await log.append(make_event(0))
    pages = await log._writer.submit(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    await log._writer.submit(
        lambda c: c.execute(f"PRAGMA max_page_count={pages}").fetchone(), transactional=False
    )
    with pytest.raises(sqlite3.Error):
        for n in range(200):
            await log.append(make_event(n, extra={"Pad": "y" * 3000}))
    await log._writer.submit(
        lambda c: c.execute("PRAGMA max_page_count=1073741823").fetchone(), transactional=False
    )
    assert (await log.append(make_event(999))).event.id > 0
    await log.close()


@pytest.mark.asyncio
async def test_unwritable_location_leaves_the_log_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")  # the tests run as root on CI, so chmod cannot make a dir read-only
    log = await opened(blocker / "e.sqlite3")
    assert "cannot open" in log.unavailable
    with pytest.raises(StoreUnavailable, match="cannot open"):
        await log.append(make_event(1))
    await log.close()


def test_the_event_log_is_the_panes_event_reader(tmp_path: Path) -> None:
    """Checked by mypy (the assignment) and at run time (the methods the pane calls)."""
    reader: EventReader = EventLog(tmp_path / "e.sqlite3")
    for name in ("count", "newest", "after", "get"):
        assert callable(getattr(reader, name))


def writer_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.endswith("writer")]


@pytest.mark.asyncio
@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_an_open_cancelled_leaves_no_writer_thread(tmp_path: Path, turns: int) -> None:
    """The window closed while the log was opening: the open is cancelled, and the writer thread
    (holding the file) must not live on."""
    before = writer_threads()
    log = EventLog(tmp_path / "events.sqlite3", maintenance_interval_s=0)
    opening = asyncio.ensure_future(log.open())
    for _ in range(turns):
        await asyncio.sleep(0)
    opening.cancel()
    await asyncio.gather(opening, return_exceptions=True)
    if not opening.cancelled():  # it finished first: then closing is the caller's job
        await log.close()
    assert writer_threads() == before
