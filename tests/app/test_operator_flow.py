"""The operator's main screen against the simulator on loopback, driven as an agent would: find a
call, start a stream through the form, see it, stop it, stop all (with the confirmation), and the
states the screen shows when Plivo says no."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from console.app.composition import ConsoleApp
from console.credentials import MemoryCredentialStore
from console.domain.accounts import Profile
from console.domain.numbers import display_number
from console.domain.secret import Secret
from console.simulator import Simulator, SimulatorConfig
from console.ui.calls_model import UUID_ROLE
from tests.app.conftest import wait_for
from tests.app.operator_rig import AUTH_ID, TOKEN, Rig
from tests.app.operator_rig import close_rig as _close
from tests.app.operator_rig import make_rig as _rig


def _number_of(sim: Simulator, call_uuid: str) -> str:
    return str(sim.state.calls[call_uuid].from_number)


@pytest.mark.asyncio
async def test_find_call_start_stream_see_it_stop_it(rig: Rig) -> None:
    target = rig.sim.live_call_uuids()[3]
    number = _number_of(rig.sim, target)
    QTest.keyClicks(rig.view.search, target[:13])  # part of the call UUID
    await wait_for(lambda: rig.view.model.rowCount() == 1, what="search narrows to one call")
    shown = rig.view.model.index(0, 0)
    assert shown.data(UUID_ROLE) == target and shown.data() == number
    rig.view.table.setFocus()
    QTest.keyClick(rig.view.table, Qt.Key.Key_Down)
    await wait_for(lambda: rig.pane.call is not None and rig.pane.call.call_uuid == target)
    assert number in rig.pane.title.text()

    form = rig.pane.form
    form.service_url.clear()
    QTest.keyClicks(form.service_url, "wss://media.example.com/stream")
    QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: len(rig.sim.streams_of(target)) == 1, what="stream at the simulator")
    stream_id = rig.sim.streams_of(target)[0].stream_id
    await wait_for(lambda: rig.pane.streams.row_of(stream_id) is not None, what="stream row")
    await wait_for(lambda: form.result.stream_id.field.text() == stream_id, what="id shown")
    await wait_for(lambda: rig.pane.streams.active_count() == 1)
    model = rig.view.model
    await wait_for(lambda: model.streams[model.row_of(target) or 0] == 1, what="count column")
    assert rig.pane.streams.streams()[0].service_url == "wss://media.example.com/stream"
    # Remembered for this account, offered again after a restart of the connection.
    saved = rig.console.settings.value(f"recent_service_urls/{rig.profile.profile_id}")
    assert saved == ["wss://media.example.com/stream"]
    await rig.console.activate(rig.profile.profile_id)
    assert form.recent_service_urls()[0] == "wss://media.example.com/stream"
    await rig.select(target)
    await wait_for(lambda: rig.pane.streams.row_of(stream_id) is not None, what="streams again")

    rig.pane.select_stream(stream_id)
    rig.pane.table.setFocus()
    QTest.keyClick(rig.pane.table, Qt.Key.Key_Delete)
    await wait_for(lambda: not rig.sim.stream(stream_id).active, what="stopped at the simulator")
    await wait_for(lambda: rig.pane.streams.active_count() == 0, what="table shows it stopped")
    # The row turns "stopped" before Plivo answers; the log entry follows the answer.
    stopping = f"stop-{stream_id}"
    await wait_for(lambda: not rig.console.tasks.running(stopping), what="stop task finished")

    log = rig.console.activity_log
    assert log is not None
    entries = await log.recent()
    assert [(e.action.value, e.outcome.value, e.stream_id) for e in entries] == [
        ("stop stream", "ok", stream_id),
        ("start stream", "ok", stream_id),
    ]
    assert entries[1].service_url == "wss://media.example.com/stream"
    assert entries[1].call_uuid == target and entries[1].account == AUTH_ID


@pytest.mark.asyncio
async def test_plivo_refusal_is_shown_in_plain_words_and_recorded(rig: Rig) -> None:
    target = rig.sim.live_call_uuids()[0]
    await rig.select(target)
    form = rig.pane.form
    QTest.keyClicks(form.service_url, "wss://same.example.com/a")
    form.start_button.click()
    await wait_for(lambda: len(rig.sim.streams_of(target)) == 1)
    await wait_for(lambda: form.start_button.isEnabled(), what="form ready again")
    form.start_button.click()  # the same URL again: Plivo refuses an active duplicate
    await wait_for(lambda: "already" in form.result.message.lower(), what="refusal shown")
    assert len(rig.sim.streams_of(target)) == 1
    log = rig.console.activity_log
    assert log is not None
    assert (await log.recent())[0].outcome.value == "failed"


async def _answer_confirmation(accept: bool) -> str:
    box: list[QMessageBox] = []

    def find() -> bool:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                box.append(widget)
                return True
        return False

    await wait_for(find, what="confirmation dialog")
    dialog = box[0]
    text = dialog.text()
    if accept:
        ok = dialog.findChild(QPushButton, "confirm_ok")
        assert ok is not None
        ok.click()
    else:
        dialog.reject()
    return text


@pytest.mark.asyncio
async def test_stop_all_asks_first_naming_call_and_count(rig: Rig) -> None:
    target = rig.sim.live_call_uuids()[1]
    await rig.select(target)
    form = rig.pane.form
    for url in ("wss://a.example.com/1", "wss://b.example.com/2"):
        form.service_url.setText(url)
        await wait_for(lambda: form.start_button.isEnabled())
        form.start_button.click()
        await wait_for(lambda u=url: any(s.service_url == u for s in rig.sim.streams_of(target)))
    await wait_for(lambda: rig.pane.streams.active_count() == 2, what="two active rows")

    button = rig.pane.stop_all_button
    assert button.isEnabled()
    button.click()
    text = await _answer_confirmation(accept=False)
    assert "2 active streams" in text and _number_of(rig.sim, target) in text
    await asyncio.sleep(0.2)
    assert sum(s.active for s in rig.sim.streams_of(target)) == 2  # cancelled: nothing stopped

    button.click()
    await _answer_confirmation(accept=True)
    await wait_for(lambda: not any(s.active for s in rig.sim.streams_of(target)))
    await wait_for(lambda: rig.pane.streams.active_count() == 0)
    log = rig.console.activity_log
    assert log is not None
    latest: list[str] = []

    async def newest() -> None:
        latest[:] = [(await log.recent(1))[0].action.value]

    deadline = time.monotonic() + 5
    while latest != ["stop all streams"] and time.monotonic() < deadline:
        await newest()
        await asyncio.sleep(0.02)
    assert latest == ["stop all streams"]
    entry = (await log.recent(1))[0]
    ids = [s.stream_id for s in rig.sim.streams_of(target)]
    assert "Stopped 2 streams: " in entry.detail  # how many, and which
    assert all(stream_id in entry.detail for stream_id in ids)


@pytest.mark.asyncio
async def test_stopping_all_of_one_stream_reads_as_one(rig: Rig) -> None:
    target = rig.sim.live_call_uuids()[2]
    await rig.select(target)
    form = rig.pane.form
    form.service_url.setText("wss://a.example.com/one")
    await wait_for(lambda: form.start_button.isEnabled())
    form.start_button.click()
    await wait_for(lambda: rig.pane.streams.active_count() == 1, what="one active row")
    rig.pane.stop_all_button.click()
    text = await _answer_confirmation(accept=False)
    assert text.startswith("Stop the active stream on the call ") and "all 1" not in text


@pytest.mark.asyncio
async def test_ended_call_fades_and_pane_says_so(rig: Rig) -> None:
    target = rig.sim.live_call_uuids()[2]
    await rig.select(target)
    rig.sim.hangup(target)
    await rig.refreshed()
    row = rig.view.model.row_of(target)
    assert row is not None and rig.view.model.is_ended(row)  # still listed, faded
    assert "ended" in rig.pane.meta.text()
    assert not rig.pane.form.start_button.isEnabled()
    assert rig.view.selected_call() == target
    # Another call selected: the ended call leaves once its fade time is over.
    other = rig.sim.live_call_uuids()[0]
    await rig.select(other)
    model = rig.view.model
    model._clock = lambda: time.time() + 60  # jump past the fade instead of waiting for it
    await rig.refreshed()
    assert model.row_of(target) is None and rig.view.selected_call() == other


@pytest.mark.asyncio
async def test_selection_and_scroll_survive_refreshes_with_new_calls(rig: Rig) -> None:
    target = rig.sim.live_call_uuids()[5]
    await rig.select(target)
    table = rig.view.table
    before = table.visualRect(table.currentIndex()).top()
    rig.sim.add_live_calls(30)
    await rig.refreshed()
    # Held behind the bar while the agent works on a call: the selected row does not move.
    await wait_for(lambda: rig.view.held_count_text() == "30 new calls arrived", what="bar")
    assert rig.view.model.rowCount() == 8
    assert table.visualRect(table.currentIndex()).top() == before
    rig.view.show_held.click()  # the agent asks for them
    await wait_for(lambda: rig.view.model.rowCount() == 38)
    assert rig.view.held_count_text() == ""
    assert rig.view.selected_call() == target
    assert rig.view.table.currentIndex().data(UUID_ROLE) == target
    assert rig.pane.call is not None and rig.pane.call.call_uuid == target


@pytest.mark.asyncio
async def test_keyboard_only_walkthrough(rig: Rig) -> None:
    window = rig.console.window
    target = rig.sim.live_call_uuids()[4]
    window.activateWindow()
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    await wait_for(lambda: rig.view.search.hasFocus(), what="Ctrl+F focuses search")
    QTest.keyClicks(rig.view.search, target[:12])
    await wait_for(lambda: rig.view.model.rowCount() == 1)
    QTest.keyClick(rig.view.search, Qt.Key.Key_Tab)  # to the direction filter
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # to the table
    await wait_for(lambda: rig.view.table.hasFocus(), what="table focused by Tab")
    QTest.keyClick(rig.view.table, Qt.Key.Key_Down)
    await wait_for(lambda: rig.pane.call is not None and rig.pane.call.call_uuid == target)
    QTest.keyClick(rig.view.table, Qt.Key.Key_Return)  # Enter: to the form
    form = rig.pane.form
    await wait_for(lambda: form.service_url.hasFocus(), what="Enter opens the form")
    QTest.keyClicks(form.service_url, "wss://keys.example.com/x")
    QTest.keyClick(form.service_url, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    await wait_for(lambda: len(rig.sim.streams_of(target)) == 1, what="Ctrl+Enter started it")
    stream_id = rig.sim.streams_of(target)[0].stream_id
    await wait_for(lambda: rig.pane.streams.row_of(stream_id) is not None)
    rig.pane.table.setFocus()
    rig.pane.select_stream(stream_id)
    QTest.keyClick(rig.pane.table, Qt.Key.Key_Delete)
    await wait_for(lambda: not rig.sim.stream(stream_id).active, what="Del stopped it")


@pytest.mark.asyncio
async def test_rate_limit_is_a_quiet_notice_and_recovers(rig: Rig) -> None:
    status = rig.console.window.api_status
    rig.sim.faults.update({"force_429": True, "retry_after": 2})
    await wait_for(lambda: "rate-limited until" in status.text(), timeout=10, what="notice")
    assert rig.console.window.banners.active_keys() == []  # no banner for a rate limit
    rig.sim.faults.reset()
    await wait_for(lambda: status.text() == "API: connected", timeout=10, what="recovery")


@pytest.mark.asyncio
async def test_unreachable_api_shows_banner_with_retry(rig: Rig) -> None:
    banners = rig.console.window.banners
    rig.sim.faults.update({"error_rate": 1.0, "error_status": 503})
    await wait_for(lambda: "api" in banners.active_keys(), timeout=15, what="api banner")
    banner = banners.banner("api")
    assert banner is not None and "Plivo is not answering" in banner.text.text()
    assert rig.view.model.rowCount() == 8  # the last known calls stay
    assert "unreachable" in rig.console.window.api_status.text()
    rig.sim.faults.reset()
    retry = [b for b in banner.findChildren(QPushButton) if b.text() == "Retry now"]
    retry[0].click()
    await wait_for(lambda: "api" not in banners.active_keys(), timeout=10, what="banner gone")


@pytest.mark.asyncio
async def test_wrong_token_asks_to_reenter_it(tmp_path: Path, sim: Simulator) -> None:
    r = await _rig(tmp_path, sim, token="not-the-token", wait=False)
    try:
        banners = r.console.window.banners
        await wait_for(lambda: "auth" in banners.active_keys(), what="auth banner")
        banner = banners.banner("auth")
        assert banner is not None and "refused the Auth Token" in banner.text.text()
        assert "token refused" in r.console.window.api_status.text()
        reenter = [b for b in banner.findChildren(QPushButton) if b.text() == "Re-enter token…"]
        reenter[0].click()
        dialog = r.console.accounts.dialog
        assert dialog is not None and dialog.isVisible()
        QTest.keyClicks(dialog.auth_token, TOKEN)
        dialog.save_button.click()
        await wait_for(lambda: r.view.model.rowCount() == 8, timeout=10, what="calls after fix")
        assert "auth" not in banners.active_keys()
    finally:
        await _close(r)


@pytest.mark.asyncio
async def test_first_run_offers_account_and_demo(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    from console.app.services.demo import DemoBackend

    console = ConsoleApp(
        settings, keyring_store=MemoryCredentialStore(), refresh_interval_s=0.3,
        demo_backend=DemoBackend(calls=5, seed=2),
    )  # fmt: skip
    runner = asyncio.ensure_future(console.run())
    try:
        await wait_for(console.window.isVisible)
        region = console.region
        assert not region.showing_calls
        demo = region.first_run.findChild(QPushButton, "try_demo_button")
        assert demo is not None and demo.isVisible()
        demo.click()
        await wait_for(lambda: region.showing_calls and region.calls.model.rowCount() >= 5,
                       timeout=10, what="demo calls")  # fmt: skip
        assert console.window.account_status.text() == "Account: Demo account (simulator)"
        assert console.window.profile_combo.currentText() == "Demo account (simulator)"
        form = console.pane.form
        region.calls.select_call(region.calls.model.uuids[0])
        await wait_for(lambda: console.pane.call is not None)
        assert form.service_url.text().startswith("ws://127.0.0.1:")  # the simulator's sink
        assert form.start_button.isEnabled()
    finally:
        console.window.close()
        await runner
        await console.shutdown()


@pytest.mark.asyncio
async def test_switching_profiles_from_the_toolbar(tmp_path: Path, sim: Simulator) -> None:
    other = Simulator(
        SimulatorConfig(auth_id="SAOTHERACCOUNTTEST01", auth_token="other-token", calls=3,
                        seed=5, churn=False, media=False, queued_calls=0)
    )  # fmt: skip
    await other.start("127.0.0.1", 0)
    r = await _rig(tmp_path, sim)
    try:
        second = r.console.profiles.save(
            Profile(profile_id="", display_name="Other team", auth_id="SAOTHERACCOUNTTEST01",
                    api_base_url=other.base_url)
        )  # fmt: skip
        await r.console.credentials.set_for_session(second.profile_id, Secret("other-token"))
        r.console._refresh_profile_list()
        combo = r.console.window.profile_combo
        index = combo.findData(second.profile_id)
        assert index >= 0
        combo.setCurrentIndex(index)
        combo.activated.emit(index)
        await wait_for(lambda: set(r.view.model.uuids) == set(other.live_call_uuids()),
                       timeout=10, what="other account's calls")  # fmt: skip
        assert r.console.window.account_status.text() == "Account: Other team"
    finally:
        await _close(r)
        await other.stop()


def test_streams_model_passes_qt_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    from console.domain.streams import Stream
    from console.ui.streams_model import StreamsTableModel

    model = StreamsTableModel()
    qtmodeltester.check(model, force_py=True)
    model.set_streams([Stream("s1", status="in-progress"), Stream("s2", status="initiated")])
    model.add_pending(Stream("s3", service_url="wss://x"))
    model.mark_stopped(["s1"])
    model.set_streams([Stream("s2", status="in-progress"), Stream("s3", status="initiated")])
    assert [s.stream_id for s in model.streams()] == ["s3", "s2"]
    model.clear()


@pytest.mark.asyncio
async def test_stream_status_changes_show_without_asking(rig: Rig) -> None:
    target = rig.sim.live_call_uuids()[6]
    await rig.select(target)
    form = rig.pane.form
    QTest.keyClicks(form.service_url, "wss://drops.example.com/x")
    form.start_button.click()
    await wait_for(lambda: len(rig.sim.streams_of(target)) == 1)
    stream_id = rig.sim.streams_of(target)[0].stream_id
    await wait_for(lambda: rig.pane.streams.active_count() == 1)
    await rig.sim.drop_stream(stream_id)
    row = rig.pane.streams.row_of(stream_id)
    # No click: the periodic refresh brings Plivo's new status into the table.
    await wait_for(
        lambda: rig.pane.streams.stream(rig.pane.streams.row_of(stream_id) or 0).status
        == "failed",
        timeout=10, what="dropped stream shown as failed",
    )  # fmt: skip
    assert row is not None and rig.pane.streams.active_count() == 0
    assert not rig.pane.stop_all_button.isEnabled()


@pytest.mark.asyncio
async def test_activity_history_window_and_csv_export(rig: Rig, tmp_path: Path) -> None:
    target = rig.sim.live_call_uuids()[7]
    await rig.select(target)
    QTest.keyClicks(rig.pane.form.service_url, "wss://audit.example.com/x")
    rig.pane.form.start_button.click()
    await wait_for(lambda: len(rig.sim.streams_of(target)) == 1)
    # The history entry is written after Plivo's answer reaches the console, not when the
    # simulator holds the stream: open the window once the start task is over.
    starting = f"start-{target}"
    await wait_for(lambda: not rig.console.tasks.running(starting), what="start task finished")
    rig.console.window.findChild(QAction, "activity_action").trigger()
    dialog = rig.console.activity.dialog
    assert dialog is not None
    await wait_for(lambda: dialog.table.rowCount() == 1, what="history row")
    row = {
        dialog.table.horizontalHeaderItem(c).text().split(" (")[0]: dialog.table.item(0, c).text()
        for c in range(dialog.table.columnCount())
    }
    assert row["Action"] == "start stream" and row["Call UUID"] == target
    assert row["Result"] == "ok"
    assert row["Account"] == "Support EU"  # the name, not the Auth ID
    assert row["From"] == _number_of(rig.sim, target)
    assert row["To"] == display_number(rig.sim.state.calls[target].to_number)  # with its +
    target_csv = tmp_path / "history.csv"
    await rig.console.activity.export(target_csv)
    lines = target_csv.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and target in lines[1] and "wss://audit.example.com/x" in lines[1]
    assert "Exported 1 entry to" in dialog.summary.text()
    dialog.close()


@pytest.mark.asyncio
async def test_recent_urls_never_keep_the_monitor_key_and_leave_with_the_account(
    rig: Rig,
) -> None:
    monitor = "wss://support.ngrok.app/plivo/stream-monitor?key=Kx9-session-key&format=l16-8000"
    rig.console.streams.recent_urls_changed.emit([monitor, "wss://media.example.com/a"])
    settings = rig.console.settings
    key = f"recent_service_urls/{rig.profile.profile_id}"
    assert settings.value(key) == ["wss://media.example.com/a"]  # no session key on disk
    await rig.console.accounts.remove(rig.profile.profile_id)
    settings.sync()
    assert settings.value(key) is None  # what belonged to the account left with it
    text = Path(settings.fileName()).read_text(encoding="utf-8")
    assert "Kx9-session-key" not in text and "media.example.com/a" not in text


@pytest.mark.asyncio
async def test_adding_or_removing_another_account_keeps_the_selected_call(rig: Rig) -> None:
    from console.domain.accounts import Profile
    from console.domain.secret import Secret

    target = rig.sim.live_call_uuids()[1]
    await rig.select(target)
    assert rig.pane.call is not None and rig.pane.call.call_uuid == target
    other = await rig.console.accounts.save_for_session(
        Profile(profile_id="", display_name="Night shift", auth_id="MAOTHERACCOUNT000001"),
        Secret("other-token-0123456789"),
    )
    combo = rig.console.window.profile_combo
    listed = lambda: [combo.itemText(i) for i in range(combo.count())]  # noqa: E731
    await wait_for(lambda: "Night shift" in listed(), what="the switcher lists the new account")
    assert not rig.console.tasks.running("activate")  # nothing reconnects the account in use
    assert rig.view.selected_call() == target  # still the call the agent picked
    assert rig.pane.call is not None and rig.pane.call.call_uuid == target
    await rig.console.accounts.remove(other.profile_id)
    await wait_for(lambda: "Night shift" not in listed(), what="the switcher drops it")
    assert not rig.console.tasks.running("activate")
    assert rig.view.selected_call() == target
    assert rig.console.binding is not None
    assert rig.console.binding.profile.profile_id == rig.profile.profile_id


async def _night_shift(rig: Rig) -> Profile:
    """A second account in the switcher: the same Plivo account under another name."""
    return await rig.console.accounts.save_for_session(
        Profile(profile_id="", display_name="Night shift", auth_id=AUTH_ID,
                api_base_url=rig.sim.base_url),
        Secret(TOKEN),
    )  # fmt: skip


@pytest.mark.asyncio
async def test_a_start_under_way_when_the_agent_switches_accounts_is_recorded_for_its_account(
    rig: Rig,
) -> None:
    """The agent presses Start stream and, before Plivo answers, switches to another account:
    the start still gets its answer, the activity history puts it under the account it went
    through (with the call's numbers), the status bar says so naming that account, and the
    other account's screen is left alone. The old account's connections close once it ends
    (the rig's teardown fails the test on any socket left for the garbage collector)."""
    other = await _night_shift(rig)
    target = rig.sim.live_call_uuids()[2]
    number = _number_of(rig.sim, target)
    await rig.select(target)
    form = rig.pane.form
    form.service_url.clear()
    QTest.keyClicks(form.service_url, "wss://media.example.com/switch")
    rig.sim.faults.latency_s = 0.4  # Plivo is slow to answer: the switch comes first
    sent = rig.sim.stats.count("POST")
    QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: rig.sim.stats.count("POST") > sent, what="the start on the wire")
    rig.console.window.profile_selected.emit(other.profile_id)  # the switcher in the toolbar
    await wait_for(
        lambda: (
            rig.console.binding is not None
            and rig.console.binding.profile.profile_id == other.profile_id
        ),
        what="the other account in use",
    )
    await wait_for(lambda: not rig.console.tasks.running(f"start-{target}"), what="start ended")
    rig.sim.faults.latency_s = 0.0

    stream_id = rig.sim.streams_of(target)[0].stream_id  # Plivo started it
    log = rig.console.activity_log
    assert log is not None
    [entry] = [e for e in await log.recent() if e.action.value == "start stream"]
    assert (entry.outcome.value, entry.stream_id) == ("ok", stream_id)
    assert (entry.account, entry.account_name) == (AUTH_ID, "Support EU")
    assert entry.from_number == number
    message = rig.console.window.statusBar().currentMessage()
    assert message.startswith("Support EU: stream ") and stream_id in message
    assert "switched accounts" in message
    assert rig.pane.call is None or rig.pane.call.call_uuid != target  # nothing shown for it
    assert form.result.stream_id.field.text() != stream_id

    # Its failure, told later (a status callback's reaction), is that account's too.
    await rig.console.streams.note_failure(target, stream_id, "Media server went away")
    [failed] = [e for e in await log.recent() if e.action.value == "stream failed"]
    assert (failed.stream_id, failed.account_name) == (stream_id, "Support EU")
    await rig.refreshed()  # the other account's calls listed: nothing left on the wire
    assert "unexpected" not in rig.console.window.banners.active_keys()  # no error put up


@pytest.mark.asyncio
async def test_a_stop_under_way_when_the_agent_switches_accounts_is_recorded_for_its_account(
    rig: Rig,
) -> None:
    target = rig.sim.live_call_uuids()[1]
    await rig.select(target)
    rig.pane.form.service_url.setText("wss://media.example.com/stop-switch")
    rig.pane.form.start_button.click()
    await wait_for(lambda: len(rig.sim.streams_of(target)) == 1, what="stream at the simulator")
    stream_id = rig.sim.streams_of(target)[0].stream_id
    await wait_for(lambda: rig.pane.streams.row_of(stream_id) is not None, what="stream row")
    other = await _night_shift(rig)
    rig.sim.faults.latency_s = 0.4
    sent = rig.sim.stats.count("DELETE")
    rig.pane.select_stream(stream_id)
    rig.pane.table.setFocus()
    QTest.keyClick(rig.pane.table, Qt.Key.Key_Delete)
    await wait_for(lambda: rig.sim.stats.count("DELETE") > sent, what="the stop on the wire")
    rig.console.window.profile_selected.emit(other.profile_id)
    await wait_for(lambda: not rig.console.tasks.running(f"stop-{stream_id}"), what="stop ended")
    rig.sim.faults.latency_s = 0.0

    assert not rig.sim.stream(stream_id).active
    log = rig.console.activity_log
    assert log is not None
    [entry] = [e for e in await log.recent() if e.action.value == "stop stream"]
    assert (entry.outcome.value, entry.stream_id, entry.account_name) == (
        "ok",
        stream_id,
        "Support EU",
    )
    message = rig.console.window.statusBar().currentMessage()
    assert message.startswith(f"Support EU: stream {stream_id} stopped")
    await rig.refreshed()  # the other account's calls listed: nothing left on the wire
    assert "unexpected" not in rig.console.window.banners.active_keys()  # no error put up
