"""The team's activity history in PostgreSQL next to the SQLite one: same entries back, plus who
on which machine and console version, and `query` by user, call and time."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from console.domain.activity import Action, Outcome
from console.domain.redaction import REDACTOR
from console.store.activity_log import ActivityLog
from console.store.open_store import ActivityStore, open_activity_store
from console.store.pg.activity_log import PgActivityLog
from console.store.sqlite_writer import StoreUnavailable
from tests.pg.cluster import PASSWORD, PgCluster
from tests.pg.logins import set_up_team
from tests.store.test_activity_log import entry


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def history(
    request: pytest.FixtureRequest, tmp_path: Path, pg_url: str
) -> AsyncIterator[ActivityStore]:
    db = str(tmp_path / "console.sqlite3") if request.param == "sqlite" else pg_url
    store = await open_activity_store(db, password=PASSWORD)
    try:
        yield store
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_entries_come_back_with_host_and_version(
    history: ActivityStore, tmp_path: Path
) -> None:
    REDACTOR.add("secret-token-in-a-detail")
    for n in range(5):
        await history.append(
            entry(n, host=f"desk-{n % 2}", console_version="0.9.0", account_name="Support EU",
                  detail="Plivo said secret-token-in-a-detail" if n == 2 else "")
        )  # fmt: skip
    recent = await history.recent(limit=3)
    assert [e.call_uuid for e in recent] == ["call-4", "call-3", "call-2"]
    assert (recent[0].host, recent[0].console_version) == ("desk-0", "0.9.0")
    assert recent[2].detail == "Plivo said ********"  # scrubbed on the way in
    assert [e.call_uuid for e in await history.for_call("call-1")] == ["call-1"]
    target = tmp_path / "history.csv"
    assert await history.export_csv(target) == 5
    with target.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["time (UTC)", "user", "account", "action"]
    if isinstance(history, PgActivityLog):
        assert rows[0][-4:] == ["host", "console_version", "os_user", "team_login"]
        # the database names the login that wrote the row; the OS user the console sent stays
        assert rows[1][-4:] == ["desk-0", "0.9.0", "agent", "1"] and rows[1][1] == "stream"


@pytest.mark.asyncio
async def test_query_by_user_call_and_time(pg_cluster: PgCluster, pg_db: str) -> None:
    """Two agents, each with their own login (docs/team-mode.md, Roles): the user filter finds
    each one's entries by the login that wrote them, whatever OS user the console reported."""
    team = await set_up_team(pg_cluster, pg_db)
    ana, ben = team.agent, team.other_agent
    logs = {who: PgActivityLog(team.url(who), password=team.passwords[who]) for who in (ana, ben)}
    for one in logs.values():
        await one.open()
    log = logs[ana]
    for n in range(30):
        await logs[ana if n % 3 == 0 else ben].append(
            entry(n, user="same-os-user", call_uuid=f"call-{n % 4}",
                  action=Action.STOP_STREAM if n % 2 else Action.START_STREAM)
        )  # fmt: skip
    found = await log.query(user=ana)
    assert len(found) == 10 and all(e.user == ana and e.team_login for e in found)
    assert {e.os_user for e in found} == {"same-os-user"}
    assert [e.at for e in found] == sorted((e.at for e in found), reverse=True)  # newest first
    assert {e.call_uuid for e in await log.query(call_uuid="call-2")} == {"call-2"}
    window = await log.query(since=1_700_000_010.0, until=1_700_000_020.0)
    assert sorted(e.at for e in window) == [1_700_000_000.0 + n for n in range(10, 20)]
    both = await log.query(user=ben, call_uuid="call-1", since=1_700_000_000.0, limit=2)
    assert len(both) == 2 and all(e.user == ben and e.call_uuid == "call-1" for e in both)
    assert len(await log.query()) == 30 and len(await log.query(limit=5)) == 5
    assert await log.query(user="same-os-user") == []  # a name the console sent proves nothing
    for one in logs.values():
        await one.close()
    with pytest.raises(StoreUnavailable):
        await log.query()


@pytest.mark.asyncio
async def test_an_sqlite_history_without_host_columns_is_upgraded(tmp_path: Path) -> None:
    """A file written before team mode lacks host and console_version: opened, it gains them."""
    path = tmp_path / "old.sqlite3"
    log = ActivityLog(path)
    await log.open()
    await log.append(entry(1))
    await log.close()
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE activity DROP COLUMN host")
        conn.execute("ALTER TABLE activity DROP COLUMN console_version")
    conn.close()
    again = ActivityLog(path)
    await again.open()
    await again.append(entry(2, host="desk", console_version="1.0"))
    old, new = reversed(await again.recent())
    assert (old.host, old.console_version) == ("", "")
    assert (new.host, new.console_version, new.outcome) == ("desk", "1.0", Outcome.OK)
    await again.close()


@pytest.mark.asyncio
async def test_activity_and_events_share_one_database(pg_cluster: PgCluster, pg_db: str) -> None:
    from console.store.open_store import open_event_store
    from console.store.pg.migrations import LATEST

    url = pg_cluster.url(pg_db)
    events = await open_event_store(url, password=PASSWORD, maintenance_interval_s=0)
    history = await open_activity_store(url, password=PASSWORD)
    await history.append(entry(1))
    assert len(await history.recent()) == 1
    await events.close()
    await history.close()
    with pg_cluster.admin(pg_db) as conn:
        # each migration applied once, though two stores opened the database
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone() == (LATEST,)
