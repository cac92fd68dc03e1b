"""A real console window in team mode holds two connections at PostgreSQL, counted where the
server counts them (`pg_stat_activity`, by the `application_name` its address sets), idle and
while its pane and activity history are busy (docs/team-mode.md, Sizing)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from console.domain.events import EventFilter
from tests.pg.cluster import PgCluster
from tests.pg.test_team_connections import Census, admin
from tests.store.test_activity_log import entry
from tests.team.test_team_console import simulator, team_console


@pytest.mark.timeout(90)
@pytest.mark.asyncio
async def test_a_console_window_in_team_mode_holds_two_connections(
    tmp_path: Path, pg_cluster: PgCluster, pg_db: str, pg_url: str, pg_password: str
) -> None:
    url = f"{pg_url}?application_name=desk-anna"
    census = Census(await admin(pg_cluster, pg_db), pg_db)
    try:
        async with (
            simulator() as sim,
            team_console(tmp_path / "anna", url, pg_password, sim, "https://cb.example.org") as c,
        ):
            assert await census.count("desk-anna") == 2  # idle: LISTEN + one for the rest
            log, activity = c.team.log, c.team.activity
            assert log is not None and activity is not None
            stop = asyncio.Event()
            watcher = asyncio.create_task(census.watch(stop, "desk-anna"))
            for n in range(20):
                await asyncio.gather(
                    activity.append(entry(n)),
                    activity.query(limit=10),
                    log.newest(EventFilter(), limit=50),
                    log.count(EventFilter()),
                )
            stop.set()
            await watcher
            assert len(await activity.recent()) == 20
            assert census.highest["desk-anna"] == 2
    finally:
        await census.conn.close()
