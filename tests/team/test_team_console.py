"""Team mode end to end, with real parts: the simulator as Plivo sends signed status callbacks to
a collector (the real receiver on the team's PostgreSQL); three headless console back-ends (the
team event log with its LISTEN subscription) and one real console window all see every callback
exactly once, a back-end whose connection is cut catches up, and the team activity history
shows two agents' actions with their hosts and narrows by the window's filters."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest

from console.app.composition import ConsoleApp
from console.app.services.team import ENABLED_KEY, PASSWORD_KEY, URL_KEY
from console.credentials import MemoryCredentialStore
from console.domain.accounts import Profile
from console.domain.backoff import Backoff
from console.domain.events import EventFilter, StoredEvent
from console.domain.secret import Secret
from console.domain.signature import sign_request
from console.domain.stream_request import StreamRequest
from console.identity import VERSION
from console.simulator import Simulator, SimulatorConfig
from console.store.pg.event_log import PgEventLog
from console.ui.activity_dialog import COLUMNS
from console.ui.status_indicator import Health
from tests.app.conftest import wait_for
from tests.net import free_port
from tests.pg.cluster import PgCluster
from tests.pg.logins import set_up_team
from tests.team.collector import Collector, collector

AUTH_ID = "MATEAMACCOUNT0000001"
TOKEN = "team-token-0123456789abcdef012345"
SERVICE = "wss://media.example.com/s"
STREAMS = 3


@contextlib.asynccontextmanager
async def simulator() -> AsyncIterator[Simulator]:
    sim = Simulator(
        SimulatorConfig(auth_id=AUTH_ID, auth_token=TOKEN, calls=4, seed=11, churn=False,
                        media=False, queued_calls=0)
    )  # fmt: skip
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()


@contextlib.asynccontextmanager
async def team_console(
    home: Path, url: str, password: str, sim: Simulator, public_url: str
) -> AsyncIterator[ConsoleApp]:
    """A console whose settings say: team database on, at `url`; its password in the store."""
    settings = QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    settings.setValue(URL_KEY, url)
    settings.setValue(ENABLED_KEY, True)
    store = MemoryCredentialStore()
    await store.set(PASSWORD_KEY, Secret(password))
    console = ConsoleApp(settings, keyring_store=store, data_dir=home / "data")
    profile = console.profiles.save(
        Profile(profile_id="", display_name="Support", auth_id=AUTH_ID, api_base_url=sim.base_url)
    )
    console.profiles.set_public_url(profile.profile_id, public_url)
    console.profiles.set_current(profile.profile_id)
    await store.set(profile.profile_id, Secret(TOKEN))
    runner = asyncio.ensure_future(console.run())
    try:
        await wait_for(console.window.isVisible, what="window")
        await wait_for(lambda: console.team.log is not None, timeout=20, what="team db open")
        # Live from here on: the subscription starts at what is committed when it connects.
        await wait_for(
            lambda: console.team.log is not None and console.team.log.health == "connected",
            timeout=20, what="team db subscribed",
        )  # fmt: skip
        yield console
    finally:
        console.window.close()
        await runner
        await console.shutdown()


class Subscriber:
    """A headless console back-end: the team event log and what its listener was handed."""

    def __init__(self, url: str, password: str, reconnect: Backoff | None = None) -> None:
        self.log = PgEventLog(url, password=password, reconnect=reconnect)
        self.seen: list[StoredEvent] = []
        self.log.add_listener(self.seen.extend)

    async def open(self) -> None:
        """Open and wait until subscribed: it hears what commits after that, as a console does."""
        await self.log.open()
        await wait_for(lambda: self.log.health == "connected", timeout=20, what="subscribed")

    @property
    def ids(self) -> list[int]:
        return [e.id for e in self.seen]


def _pane_ids(console: ConsoleApp) -> list[int]:
    model = console.events_pane.model
    return sorted(model.event_at(row).id for row in range(model.rowCount()))


@pytest.mark.timeout(120)
@pytest.mark.asyncio
async def test_every_callback_reaches_every_console_once_and_a_cut_one_catches_up(
    tmp_path: Path, pg_cluster: PgCluster, pg_db: str, pg_url: str, pg_password: str
) -> None:
    # The second back-end comes back slowly after a cut: callbacks commit while it is away.
    subscribers = [
        Subscriber(pg_url, pg_password),
        Subscriber(pg_url, pg_password, reconnect=Backoff(4.0, 1.0, 4.0)),
        Subscriber(pg_url, pg_password),
    ]
    async with simulator() as sim, collector(pg_url, pg_password, AUTH_ID, TOKEN) as coll:
        for s in subscribers:
            await s.open()
        try:
            async with team_console(
                tmp_path / "anna", pg_url, pg_password, sim, coll.public_url
            ) as c:
                await _deliver_and_cut(c, sim, coll, subscribers, pg_cluster, pg_db, tmp_path)
        finally:
            for s in subscribers:
                await s.log.close()


async def _deliver_and_cut(
    console: ConsoleApp,
    sim: Simulator,
    coll: Collector,
    subscribers: list[Subscriber],
    cluster: PgCluster,
    db: str,
    out: Path,
) -> None:
    indicator = console.window.team_status
    await wait_for(
        lambda: indicator.text() == "Team database: connected", timeout=10, what="team connected"
    )
    await wait_for(lambda: console.binding is not None, what="account bound")
    client = console.binding.client  # type: ignore[union-attr]
    request = StreamRequest(service_url=SERVICE, status_callback_url=coll.callback_url)
    calls = sim.live_call_uuids()[:STREAMS]
    started = [await client.start_stream(call, request) for call in calls]

    async def everyone_has(n: int, *, but: Subscriber | None = None) -> None:
        for s in subscribers:
            if s is not but:
                await wait_for(lambda s=s: len(s.seen) >= n, timeout=15, what=f"{n} events")
        await wait_for(lambda: len(_pane_ids(console)) >= n, timeout=15, what="pane rows")

    await everyone_has(STREAMS)
    # Every connection of every console and the collector is cut (a database failover).
    away = subscribers[1]
    assert cluster.terminate(db) >= len(subscribers) + 1
    await wait_for(
        lambda: away.log.health.startswith("reconnecting"), timeout=10, what="cut noticed"
    )
    for call, start in zip(calls, started, strict=True):
        await client.stop_stream(call, start.stream_id)
    # All StopStreams are in the database while the away back-end is still disconnected.
    await wait_for(
        lambda: coll.receiver.stats.accepted >= 2 * STREAMS, timeout=15, what="stops kept"
    )
    assert len(away.seen) == STREAMS and away.log.health.startswith("reconnecting")
    await everyone_has(2 * STREAMS)
    await wait_for(lambda: len(away.seen) >= 2 * STREAMS, timeout=20, what="caught up")
    await asyncio.sleep(0.5)  # a duplicate delivered late would show up in this time

    stored = sorted(e.id for e in await coll.log.newest(EventFilter(), limit=100))
    assert len(stored) == 2 * STREAMS
    for s in subscribers:
        assert s.ids == stored  # each exactly once, in commit order
    assert _pane_ids(console) == stored
    kinds = sorted(e.event for e in subscribers[1].seen)
    assert kinds == ["StartStream"] * STREAMS + ["StopStream"] * STREAMS
    assert away.log.health == "connected"
    await wait_for(lambda: indicator.text() == "Team database: connected", what="reconnected")
    # The pane's Export writes every matching team event, oldest first.
    target = out / "team-events.jsonl"
    assert await console.events.export("all", "jsonl", target) == target
    exported = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in exported] == stored
    assert "Exported 6 events" in console.events_pane.status.text()


@pytest.mark.timeout(120)
@pytest.mark.asyncio
async def test_team_history_shows_two_agents_with_their_hosts_and_filters(
    tmp_path: Path, pg_cluster: PgCluster, pg_db: str
) -> None:
    """The console on an agent's login (docs/team-mode.md, Roles): every entry names that login,
    recorded by the database, whatever OS user the console reports; the OS user shows beside."""
    team = await set_up_team(pg_cluster, pg_db)
    login, password = team.agent, team.passwords[team.agent]
    async with simulator() as sim:
        public = "https://callbacks.example.com"  # no callbacks needed: the history is the point
        async with team_console(
            tmp_path / "desk", team.url(login), password, sim, public
        ) as console:
            await _two_agents(console, sim, login)


async def _start_from_the_form(console: ConsoleApp, call: str) -> None:
    team = console.team.activity
    assert team is not None
    before = len(await team.recent())
    await wait_for(lambda: console.region.calls.select_call(call), timeout=10, what="call listed")
    await wait_for(lambda: console.pane.call is not None and console.pane.call.call_uuid == call)
    form = console.pane.form
    if not form.service_url.text():
        QTest.keyClicks(form.service_url, SERVICE)
    await wait_for(form.start_button.isEnabled, what="form valid")
    QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)

    async def recorded() -> int:
        return len(await team.recent())

    deadline = asyncio.get_running_loop().time() + 15
    while await recorded() == before:
        assert asyncio.get_running_loop().time() < deadline, "start not recorded"
        await asyncio.sleep(0.05)


async def _two_agents(console: ConsoleApp, sim: Simulator, login: str) -> None:
    anna_call, ben_call = sim.live_call_uuids()[:2]
    # The code path that records every action takes the OS user and host from here.
    console.streams.user, console.streams.host = "anna", "desk-anna"
    await _start_from_the_form(console, anna_call)
    console.streams.user, console.streams.host = "ben", "desk-ben"
    await _start_from_the_form(console, ben_call)

    action = console.window.findChild(QAction, "activity_action")
    assert action is not None
    action.trigger()
    dialog = console.activity.dialog
    assert dialog is not None and dialog.isVisible()
    await wait_for(lambda: dialog.table.rowCount() == 2, what="both agents listed")

    def rows() -> list[dict[str, str]]:
        table = dialog.table
        return [
            {name: table.item(r, c).text() for c, name in enumerate(COLUMNS)}  # type: ignore[union-attr]
            for r in range(table.rowCount())
        ]

    shown = rows()
    assert [(r["User"], r["OS user"], r["Host"]) for r in shown] == [
        (login, "ben", "desk-ben"), (login, "anna", "desk-anna"),
    ]  # fmt: skip
    assert [r["Call UUID"] for r in shown] == [ben_call, anna_call]
    host_tip = dialog.table.item(0, COLUMNS.index("Host"))
    assert host_tip is not None and VERSION in host_tip.toolTip()
    user = dialog.table.item(0, COLUMNS.index("User"))
    assert user is not None and not user.icon().isNull()  # checked: the database recorded it

    # By user: the login the database recorded, never a name a console claims.
    QTest.keyClicks(dialog.user_filter, "anna")
    QTest.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: dialog.table.rowCount() == 0, what="claimed name filter")
    assert dialog.summary.text() == "Nothing matches these filters."
    dialog.user_filter.clear()
    QTest.keyClicks(dialog.user_filter, login)
    QTest.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: dialog.table.rowCount() == 2, what="user filter")
    assert dialog.summary.text().startswith("2 actions match the filters")
    # By call (and the login).
    QTest.keyClicks(dialog.call_filter, ben_call)
    QTest.keyClick(dialog.call_filter, Qt.Key.Key_Return)
    await wait_for(lambda: dialog.table.rowCount() == 1, what="user and call filter")
    assert dialog.summary.text().startswith("1 action matches the filters")
    dialog.user_filter.clear()
    QTest.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: dialog.table.rowCount() == 1, what="call filter")
    assert rows()[0]["OS user"] == "ben"
    # By time: from tomorrow on, nothing.
    QTest.mouseClick(dialog.clear_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: dialog.table.rowCount() == 2, what="filters cleared")
    dialog.since_check.setChecked(True)
    dialog.since_edit.setDateTime(dialog.since_edit.dateTime().addDays(2))
    QTest.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: dialog.table.rowCount() == 0, what="time filter")
    dialog.since_edit.setDateTime(dialog.since_edit.dateTime().addDays(-3))
    QTest.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: dialog.table.rowCount() == 2, what="time filter wide")
    dialog.close()


@pytest.mark.timeout(120)
@pytest.mark.asyncio
async def test_status_bar_says_reconnecting_and_why_then_connected_again(
    tmp_path: Path, pg_cluster: PgCluster, pg_url: str, pg_password: str
) -> None:
    async with simulator() as sim:
        public = "https://callbacks.example.com"
        async with team_console(tmp_path / "desk", pg_url, pg_password, sim, public) as console:
            indicator = console.window.team_status
            await wait_for(lambda: indicator.text() == "Team database: connected", timeout=10)
            assert indicator.health is Health.OK
            await asyncio.get_running_loop().run_in_executor(None, pg_cluster.stop)
            try:
                await wait_for(
                    lambda: indicator.text().startswith("Team database: reconnecting: "),
                    timeout=15, what="reconnecting shown",
                )  # fmt: skip
                assert indicator.health is Health.WARNING
                assert "Click for settings." in indicator.toolTip()
                assert pg_password not in indicator.toolTip()
            finally:
                await asyncio.get_running_loop().run_in_executor(None, pg_cluster.start)
            await wait_for(
                lambda: indicator.text() == "Team database: connected", timeout=20, what="back"
            )


@pytest.mark.timeout(60)
@pytest.mark.asyncio
async def test_unreachable_team_database_at_start_is_a_status_and_the_console_works(
    tmp_path: Path,
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    settings.setValue(URL_KEY, f"postgresql://stream@127.0.0.1:{free_port()}/console")
    settings.setValue(ENABLED_KEY, True)
    console = ConsoleApp(
        settings, keyring_store=MemoryCredentialStore(), data_dir=tmp_path / "data", demo=True
    )
    runner = asyncio.ensure_future(console.run())
    try:
        indicator = console.window.team_status
        await wait_for(
            lambda: indicator.text() == "Team database: reconnecting: Connection refused",
            timeout=20, what="refused shown",
        )  # fmt: skip
        assert indicator.health is Health.ERROR
        assert "Nothing answers at stream@127.0.0.1:" in indicator.toolTip()
        # This computer's files stay in use: the receiver's event log and the local history.
        await wait_for(lambda: console.receiver.log is not None, what="local event log")
        await wait_for(lambda: console.events.reader is console.receiver.log, what="pane local")
        assert console.streams.activity is console.activity_log is not None
    finally:
        console.window.close()
        await runner
        await console.shutdown()


@pytest.mark.timeout(120)
@pytest.mark.asyncio
async def test_callbacks_to_this_consoles_own_receiver_reach_the_team_once(
    tmp_path: Path, pg_url: str, pg_password: str
) -> None:
    """An agent whose stream sends its callbacks through their own tunnel: the console's receiver
    keeps them, and with the team database on they also show in its pane and reach the team."""
    public = "https://anna-tunnel.example.com"
    async with (
        simulator() as sim,
        team_console(tmp_path / "anna", pg_url, pg_password, sim, public) as console,
    ):
        watcher = Subscriber(pg_url, pg_password)
        await watcher.open()
        try:
            await wait_for(lambda: bool(console.receiver.local_callback_url()), what="receiver")
            call = sim.live_call_uuids()[0]
            params = {"Event": "StartStream", "StreamID": "s-own-1", "CallUUID": call}
            signed = sign_request(TOKEN, "POST", public + "/plivo/stream-status", params)
            headers = signed.as_dict() | {"Content-Type": "application/x-www-form-urlencoded"}
            async with aiohttp.ClientSession() as http:
                for _ in range(2):  # Plivo retries the same request: kept once, copied once
                    async with http.post(
                        console.receiver.local_callback_url(), data=urlencode(params),
                        headers=headers,
                    ) as answer:  # fmt: skip
                        assert answer.status == 200
            await wait_for(
                lambda: [e.stream_id for e in watcher.seen] == ["s-own-1"], what="in the team db"
            )
            team_log = console.team.log
            assert team_log is not None and console.events.reader is team_log
            await wait_for(lambda: "s-own-1" in _pane_streams(console), what="in the pane")
            [copy] = watcher.seen
            assert copy.account == AUTH_ID and copy.params["CallUUID"] == call
            # offered again (a second copy of the same request): the team keeps one
            local = console.receiver.log
            assert local is not None
            [kept] = await local.newest(EventFilter(stream_id="s-own-1"))
            console.team.copy_local([kept])
            await wait_for(lambda: console.team.copied == 2, what="second copy offered")
            assert await team_log.count(EventFilter(stream_id="s-own-1")) == 1
            assert console.team.copy_failed == 0
        finally:
            await watcher.log.close()


def _pane_streams(console: ConsoleApp) -> list[str]:
    model = console.events_pane.model
    return [model.event_at(row).stream_id for row in range(model.rowCount())]
