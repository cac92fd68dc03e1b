"""Free-text search over the event log's parameters: the trigram index only narrows the search,
so the answers are exactly those of a plain case-insensitive substring scan, whatever part of
the log is indexed yet (new events, an older log's), and after retention deletes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

import console.store.event_log as event_log
from console.domain.events import EventFilter
from console.store.event_log import BASE_SCHEMA, EventLog, _values
from tests.store.events_factory import make_event


@pytest.fixture(autouse=True)
def quick_indexer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_log, "FTS_INTERVAL_S", 0.05)
    monkeypatch.setattr(event_log, "FTS_PAUSE_S", 0.01)


async def fully_indexed(log: EventLog) -> None:
    for _ in range(400):
        if await log.unindexed() == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{await log.unindexed()} events still not indexed")


ODD = [
    {"Error": 'socket "closed" by peer'},
    {"Error": "Connection timed out", "Note": "50% full_ish"},
    {"Reason": "api_request", "Path": "C:\\streams\\new"},
    {"Ünïcode": "Grüße aus Köln", "Emoji": "✕ dropped"},
    {"Reason": "TIMED OUT again"},
    {"StreamID": 'St"q"\\x-50%_Ünï-7', "Note": "stream ID of odd characters"},
]
NEEDLES = [
    "timed out",  # case-insensitive: matches "TIMED OUT" too
    "TIMED",
    'socket "closed"',  # quotes are escaped in the stored JSON, and in the needle likewise
    "C:\\streams",  # so are backslashes
    "50%",  # LIKE's wildcards are literal
    "l_i",
    "full_ish",
    "Grüße",
    "GRÜSSE",  # SQLite folds ASCII only: no match, as before
    "köln",  # 'K' folds, 'ö' is not involved: a match
    "✕ d",
    "stream-1",  # matches stream-1, stream-10..19, ...
    "Event",  # parameter names are part of the searched text
    '"Reason":"api',  # and so is the JSON around them
    "oo",  # shorter than a trigram: scanned
    "x",
    "no such text anywhere",
]


# Stream ID filters: any part, ASCII case ignored, wildcards literal (the column, not the JSON).
STREAM_NEEDLES = ["stream-1", "REAM-2", 'q"\\x', "50%_", "ünï-7", "Ünï-7", "ÜNÏ", "-7", "no-such"]


def stream_scan(path: Path, needle: str) -> list[int]:
    """What a Stream ID filter means: LIKE over the column, newest first."""
    return like_scan(path, "stream_id", needle)


def scan(path: Path, needle: str) -> list[int]:
    """What the search meant before the index: LIKE over the JSON text, newest first."""
    return like_scan(path, "params", json.dumps(needle, ensure_ascii=False)[1:-1])


def like_scan(path: Path, column: str, text: str) -> list[int]:
    pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            f"SELECT id FROM events WHERE {column} LIKE ? ESCAPE '\\' ORDER BY id DESC",
            (f"%{pattern}%",),
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def written_straight(path: Path, schema: str, count: int) -> sqlite3.Connection:
    """A connection to a file holding `count` events (ids 1..count) written in plain SQL under
    `schema`, as an older version or another writer left them: nothing indexed them on the way."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(schema)
    for n in range(count):
        values = _values(make_event(n, extra=ODD[n % len(ODD)]))
        conn.execute(f"INSERT INTO events ({event_log._COLUMNS}) VALUES ({'?,' * 11}?)", values)
    return conn


async def searched(log: EventLog, needle: str) -> list[int]:
    flt = EventFilter(text=needle)
    events = await log.newest(flt, limit=10_000)
    assert await log.count(flt) == len(events)
    return [e.id for e in events]


async def assert_same_as_scan(log: EventLog, path: Path) -> None:
    for needle in NEEDLES:
        assert await searched(log, needle) == scan(path, needle), needle
    assert await searched(log, "timed out"), "the search finds something at all"


def fts_integrity(path: Path) -> None:
    """The index holds exactly the indexed rows: FTS5's own check, and for a few trigrams the
    rows the index names are the rows whose text holds them (no deleted row left behind)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
        below, above = conn.execute("SELECT below, above FROM fts_covered").fetchone()
        for piece in ("Eve", "tim", "str", "zzz"):
            named = conn.execute(
                "SELECT rowid FROM events_fts WHERE events_fts MATCH ?", (f'"{piece}"',)
            ).fetchall()
            holding = conn.execute(
                "SELECT id FROM events WHERE id BETWEEN ? AND ? AND params LIKE ?",
                (below, above, f"%{piece}%"),
            ).fetchall()
            assert sorted(named) == sorted(holding), piece
    finally:
        conn.close()


@pytest.mark.asyncio
async def test_search_answers_exactly_what_a_substring_scan_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "e.sqlite3"
    monkeypatch.setattr(event_log, "FTS_INTERVAL_S", 3600.0)  # not indexed until said
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    for n in range(40):
        await log.append(make_event(n, extra=ODD[n % len(ODD)]), nonce=f"n{n}")
    assert (await log.append(make_event(3, extra=ODD[3]), nonce="n3")).replay  # undone copy
    assert await log.unindexed() == 40
    await assert_same_as_scan(log, path)  # new events: found by the scan of what is not indexed
    await log.close()
    monkeypatch.setattr(event_log, "FTS_INTERVAL_S", 0.05)
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    await fully_indexed(log)
    await assert_same_as_scan(log, path)  # the same answers from the index
    fts_integrity(path)
    await log.close()


@pytest.mark.asyncio
async def test_an_older_log_is_indexed_after_open_and_searched_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.sqlite3"
    written_straight(path, BASE_SCHEMA, 250).close()  # before the free-text index existed
    monkeypatch.setattr(event_log, "FTS_CHUNK", 40)  # several chunks
    monkeypatch.setattr(event_log, "FTS_PAUSE_S", 0.2)
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    new = await log.append(make_event(999, extra={"Error": "timed out late"}))
    assert new.event.id in await searched(log, "timed out late")
    for _ in range(100):  # part indexed, part not: the same answers
        if 0 < await log.unindexed() < 251:
            break
        await asyncio.sleep(0.02)
    await assert_same_as_scan(log, path)
    await fully_indexed(log)
    await assert_same_as_scan(log, path)
    fts_integrity(path)
    await log.close()


@pytest.mark.asyncio
async def test_retention_takes_deleted_events_out_of_the_index(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    log = EventLog(path, maintenance_interval_s=0, max_age_s=100.0)
    await log.open()
    for n in range(300):
        await log.append(make_event(n, extra=ODD[n % len(ODD)]))
    await fully_indexed(log)
    for n in range(300, 320):  # and some not indexed yet when retention runs
        await log.append(make_event(n, extra=ODD[n % len(ODD)]))
    assert await log.maintain(now=1_800_000_000.0 + 200) == 100  # events 0..99 go
    assert min(await searched(log, "timed out")) > 100
    await assert_same_as_scan(log, path)
    fts_integrity(path)
    await fully_indexed(log)
    fts_integrity(path)
    await assert_same_as_scan(log, path)
    await log.close()


def test_indexing_waits_while_callbacks_pour_in_unless_too_many_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "e.sqlite3"
    conn = written_straight(path, event_log.SCHEMA, 30)
    busy = event_log.FTS_BUSY_RATE + 1
    assert not event_log._index_chunk(conn, rate=busy)  # busy, and only 30 waiting
    assert conn.execute("SELECT above FROM fts_covered").fetchone()[0] == 0
    monkeypatch.setattr(event_log, "FTS_MAX_UNINDEXED", 20)
    assert event_log._index_chunk(conn, rate=busy)  # busy, but too many waiting
    assert conn.execute("SELECT above FROM fts_covered").fetchone()[0] == 30
    assert not event_log._index_chunk(conn, rate=0.0)  # nothing left
    conn.close()


# The free-text schema as logs written before `fts_covered` have it (their range table had no
# single-row constraint).
OLD_FTS_SCHEMA = """
CREATE TABLE fts_backlog (below INTEGER NOT NULL, above INTEGER NOT NULL);
CREATE VIRTUAL TABLE events_fts USING fts5(
    params, content='events', content_rowid='id', tokenize='trigram', detail=none
);
CREATE TRIGGER events_fts_delete AFTER DELETE ON events
    WHEN old.id BETWEEN (SELECT below FROM fts_backlog) AND (SELECT above FROM fts_backlog)
BEGIN
    INSERT INTO events_fts (events_fts, rowid, params) VALUES ('delete', old.id, old.params);
END;
"""


def range_rows(path: Path) -> list[tuple[int, int]]:
    conn = sqlite3.connect(path)
    try:
        return [(int(b), int(a)) for b, a in conn.execute("SELECT below, above FROM fts_covered")]
    finally:
        conn.close()


@pytest.mark.asyncio
async def test_reopening_the_log_keeps_one_range_row_and_counts_each_event_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "e.sqlite3"
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    for n in range(30):
        await log.append(make_event(n, extra=ODD[n % len(ODD)]))
    await fully_indexed(log)
    await log.close()
    for _ in range(3):  # the console, `receive`, an export: each opens the log
        log = EventLog(path, maintenance_interval_s=0)
        await log.open()
        assert await log.unindexed() == 0
        await log.close()
    assert len(range_rows(path)) == 1
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    for n in range(30, 40):
        await log.append(make_event(n))
    assert await log.unindexed() <= 10  # the new ones, once each (or fewer: indexed already)
    await assert_same_as_scan(log, path)
    await log.close()


@pytest.mark.asyncio
async def test_a_log_whose_range_table_holds_several_rows_is_repaired_on_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    conn = written_straight(path, BASE_SCHEMA + OLD_FTS_SCHEMA, 30)
    conn.execute("INSERT INTO events_fts (events_fts) VALUES ('rebuild')")
    # What reopening such a log did: the range it acted on first, then a stray row per open.
    conn.executemany("INSERT INTO fts_backlog VALUES (?, ?)", [(1, 30), (1, 0), (1, 0)])
    conn.close()
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    assert range_rows(path) in ([(1, 30)], [(0, 30)])  # the first row (or the indexer's turn)
    assert await log.unindexed() == 0  # all 30 were indexed: none counted (or indexed) again
    await assert_same_as_scan(log, path)
    fts_integrity(path)  # nothing indexed twice, nothing missing
    assert await log.maintain(now=1_800_000_000.0 + 30 * 86_400 + 10) == 10  # 0..9 age out
    fts_integrity(path)  # the delete trigger follows the repaired table
    await log.close()
    conn = sqlite3.connect(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "fts_backlog" not in names and "events_fts_delete" not in names
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO fts_covered (below, above) VALUES (1, 0)")
    finally:
        conn.close()


async def paged(log: EventLog, flt: EventFilter, size: int) -> list[int]:
    """Every match, `size` at a time, as the pane scrolls (keyset: older than the last row)."""
    ids: list[int] = []
    while True:
        before = ids[-1] if ids else None
        page = await log.newest(flt, before_id=before, limit=size)
        ids += [e.id for e in page]
        if len(page) < size:
            return ids


@pytest.mark.asyncio
async def test_pages_run_newest_first_across_new_indexed_and_older_unindexed_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "e.sqlite3"
    conn = written_straight(path, event_log.SCHEMA, 90)
    # 1..30 an older log's events, 31..60 indexed, 61..90 new: all three ranges hold matches.
    conn.execute(
        "INSERT INTO events_fts (rowid, params) SELECT id, params FROM events "
        "WHERE id BETWEEN 31 AND 60"
    )
    conn.execute("UPDATE fts_covered SET below = 31, above = 60")
    conn.close()
    monkeypatch.setattr(event_log, "FTS_INTERVAL_S", 3600.0)  # the ranges stay as they are
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    assert await log.unindexed() == 60
    for needle in NEEDLES:
        expected = scan(path, needle)
        for size in (1, 4, 25, 200):
            assert await paged(log, EventFilter(text=needle), size) == expected, (needle, size)
    for needle in STREAM_NEEDLES:
        expected = stream_scan(path, needle)
        for size in (1, 7, 200):
            assert await paged(log, EventFilter(stream_id=needle), size) == expected, needle
    assert stream_scan(path, 'q"\\x') and stream_scan(path, "Ünï-7")  # some are found
    both = EventFilter(stream_id="-7", text="timed")
    expected = [i for i in stream_scan(path, "-7") if i in scan(path, "timed")]
    assert expected and await paged(log, both, 3) == expected
    flt = EventFilter(text="timed out", events=frozenset({"StartStream"}), since=1_800_000_010.0)
    expected = [e.id for e in await log.newest(EventFilter(events=flt.events), limit=200)]
    expected = [i for i in expected if i > 10 and i in scan(path, "timed out")]
    assert expected and [e.id for e in await log.newest(flt, limit=200)] == expected
    await log.close()


@pytest.mark.asyncio
async def test_indexing_carries_on_after_another_writer_held_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "e.sqlite3"
    monkeypatch.setattr(event_log, "PRAGMAS", (*event_log.PRAGMAS, "PRAGMA busy_timeout=100"))
    monkeypatch.setattr(event_log, "FTS_INTERVAL_S", 3600.0)
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    for n in range(30):
        await log.append(make_event(n, extra=ODD[n % len(ODD)]))
    await log.close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # e.g. a bulk import into the same file, as the log opens
    monkeypatch.setattr(event_log, "FTS_INTERVAL_S", 0.05)
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    assert "database is locked" in log.unavailable
    for _ in range(400):
        if "index is behind" in caplog.text:
            break
        await asyncio.sleep(0.05)
    assert "index is behind" in caplog.text and await log.unindexed() == 30
    other.execute("COMMIT")
    other.close()
    await fully_indexed(log)
    await assert_same_as_scan(log, path)
    await log.close()
