"""An outage of the team database loses no audit entry: what the team history cannot take is
kept in this computer's history (a real SQLite file), and reads still come from the team's."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.app.services.history import TeamHistory
from console.domain.activity import Action, ActivityEntry, Outcome
from console.store.activity_log import ActivityLog
from console.store.pg.activity_log import PgActivityLog
from console.store.sqlite_writer import StoreUnavailable
from tests.pg.cluster import USER


def _entry(user: str) -> ActivityEntry:
    return ActivityEntry(
        at=1_700_000_000.0, user=user, account="MATEAMACCOUNT0000001",
        action=Action.START_STREAM, call_uuid="c-1", outcome=Outcome.OK,
        host=f"desk-{user}", console_version="9.9.9",
    )  # fmt: skip


@pytest.mark.asyncio
async def test_entries_go_to_the_team_and_to_this_computer_while_it_is_away(
    tmp_path: Path, pg_url: str, pg_password: str
) -> None:
    local = ActivityLog(tmp_path / "history.sqlite3")
    await local.open()
    team = PgActivityLog(pg_url, password=pg_password)
    await team.open()
    try:
        history = TeamHistory(team, local)
        await history.append(_entry("anna"))
        # the team database names its login; the OS user the console sent is kept beside it
        assert [(e.user, e.os_user) for e in await history.recent()] == [(USER, "anna")]
        assert await local.recent() == []
        await team.close()  # the team database is gone (as after a failed reconnect)
        await history.append(_entry("ben"))
        assert history.kept_locally == 1
        [kept] = await local.recent()
        assert (kept.user, kept.host, kept.console_version) == ("ben", "desk-ben", "9.9.9")
        with pytest.raises(StoreUnavailable):
            await history.recent()  # reads say so; the window shows the reason
        with pytest.raises(StoreUnavailable):
            await TeamHistory(team, None).append(_entry("cleo"))  # nowhere to keep it: an error
    finally:
        await team.close()
        await local.close()
