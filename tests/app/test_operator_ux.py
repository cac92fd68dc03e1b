"""The operator's screen never misleads, keeps Start in reach, changes no input by accident, and
puts every action a few keys (or clicks) away. The composed console against the simulator on
loopback, driven with keys, clicks and wheel turns as an agent would."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, QSettings, Qt
from PySide6.QtGui import QAction, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QToolButton, QWidget

from console.app.composition import ConsoleApp
from console.app.services.demo import DemoBackend
from console.credentials import MemoryCredentialStore
from console.domain.failure_words import explain
from console.simulator import Simulator
from console.ui.calls_model import UUID_ROLE
from console.ui.palette import Tone, background_of, tone_color
from console.ui.streams_model import UNKNOWN_REASON, StreamColumn
from tests.app.conftest import wait_for
from tests.app.operator_rig import Gate, Rig, close_rig, make_rig

KEY = Qt.KeyboardModifier


@contextlib.asynccontextmanager
async def demo_app(tmp_path: Path) -> AsyncIterator[ConsoleApp]:
    """The demo account: the form's Stream URL is the simulator's own media sink. Entered inside
    the test: a console kept running across pytest's fixture and test steps has its loop
    callbacks run loop-less by the Qt events processed in between."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    console = ConsoleApp(
        settings, keyring_store=MemoryCredentialStore(), data_dir=tmp_path / "data", demo=True,
        demo_backend=DemoBackend(calls=6, seed=3), refresh_interval_s=0.3,
    )  # fmt: skip
    runner = asyncio.ensure_future(console.run())
    try:
        await wait_for(lambda: console.region.calls.model.rowCount() >= 6, timeout=15, what="calls")
        await wait_for(console.services_ready.is_set, what="services started after the first calls")
        yield console
    finally:
        console.window.close()
        await runner
        await console.shutdown()


async def _start(rig: Rig, url: str) -> str:
    form = rig.pane.form
    form.service_url.setFocus()
    form.service_url.selectAll()
    QTest.keyClicks(form.service_url, url)
    QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    call = rig.pane.call
    assert call is not None
    await wait_for(lambda: len(rig.sim.streams_of(call.call_uuid)) == 1, what="stream started")
    stream_id = rig.sim.streams_of(call.call_uuid)[0].stream_id
    await wait_for(lambda: form.result.stream_id.field.text() == stream_id, what="result")
    return stream_id


async def _history(rig: Rig, count: int) -> list[tuple[str, str, str]]:
    log = rig.console.activity_log
    assert log is not None
    rows: list[tuple[str, str, str]] = []
    deadline = time.monotonic() + 10
    while len(rows) < count and time.monotonic() < deadline:
        rows = [(e.action.value, e.outcome.value, e.detail) for e in await log.recent()]
        await asyncio.sleep(0.02)
    return rows


# --- 1. never mislead ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_result_belongs_to_its_call_and_follows_its_stream(rig: Rig) -> None:
    call_a, call_b = rig.sim.live_call_uuids()[:2]
    form, result = rig.pane.form, rig.pane.form.result
    await rig.select(call_a)
    stream_id = await _start(rig, "wss://a.example.com/x")
    assert result.isVisible() and "Stream started" in result.message

    await rig.select(call_b)  # B has no result of its own: none is shown
    assert not result.isVisible()
    assert form.start_button.text() == "Start stream"
    await rig.select(call_a)  # back on A: A's own result again
    assert result.isVisible() and result.stream_id.field.text() == stream_id

    # The stream fails at Plivo: the green "started" turns into what happened, and why.
    await rig.sim.drop_stream(stream_id)
    await wait_for(lambda: "failed" in result.message, timeout=10, what="failure shown")
    assert UNKNOWN_REASON in result.message
    green = tone_color(Tone.SUCCESS, background_of(result.headline))
    shown = result.headline.palette().color(result.headline.foregroundRole())
    assert shown != green and shown == tone_color(Tone.ERROR, background_of(result.headline))
    streams = rig.pane.streams
    row = streams.row_of(stream_id)
    assert row is not None
    status = streams.index(row, StreamColumn.STATUS)
    assert status.data() == f"failed: {UNKNOWN_REASON}"
    assert UNKNOWN_REASON in status.data(Qt.ItemDataRole.ToolTipRole)
    history = await _history(rig, 2)
    assert history[0][:2] == ("stream failed", "failed") and UNKNOWN_REASON in history[0][2]
    assert history[1][:2] == ("start stream", "ok")
    # A reason learnt later (from a status callback) replaces "not known" everywhere it shows.
    streams.set_failure_reason(stream_id, "WebSocket handshake refused (HTTP 403)")
    assert status.data() == "failed: WebSocket handshake refused (HTTP 403)"
    await wait_for(lambda: "HTTP 403" in result.message, what="reason in the result")


@pytest.mark.asyncio
async def test_could_not_connect_goes_once_plivo_answers_again(
    tmp_path: Path, sim: Simulator
) -> None:
    port = int(sim.base_url.rsplit(":", 1)[1])
    gate = Gate(port)
    await gate.open()
    r = await make_rig(tmp_path, sim, base_url=gate.base_url)
    try:
        target = sim.live_call_uuids()[0]
        await r.select(target)
        form = r.pane.form
        QTest.keyClicks(form.service_url, "wss://net.example.com/x")
        await gate.close()  # the network goes away
        QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
        await wait_for(
            lambda: "Could not connect" in form.result.message, timeout=30,
            what="connection error shown",
        )  # fmt: skip
        await gate.open()  # and comes back: the next refresh succeeds
        await wait_for(lambda: not form.result.isVisible(), timeout=15, what="stale error gone")
        assert form.start_button.isEnabled()
    finally:
        await close_rig(r)
        await gate.close()


@pytest.mark.asyncio
async def test_an_outage_keeps_the_calls_and_says_as_of_when(rig: Rig) -> None:
    view = rig.view
    rig.sim.faults.update({"error_rate": 1.0, "error_status": 503})
    await wait_for(lambda: view.stale.isVisible(), timeout=15, what="stale notice")
    assert re.fullmatch(
        r"As of \d\d:\d\d:\d\d, not refreshing: Plivo is not answering\.", view.stale.text()
    )
    assert view.model.rowCount() == 8 and view.stack.currentWidget() is view.table
    rig.sim.faults.reset()
    await wait_for(lambda: not view.stale.isVisible(), timeout=15, what="notice gone")


@pytest.mark.asyncio
async def test_a_refused_token_never_claims_there_are_no_live_calls(
    tmp_path: Path, sim: Simulator
) -> None:
    r = await make_rig(tmp_path, sim, token="not-the-token", wait=False)
    try:
        view = r.view
        banners = r.console.window.banners
        await wait_for(lambda: "auth" in banners.active_keys(), what="auth banner")
        await wait_for(lambda: view.stale.isVisible(), what="stale notice")
        assert view.stale.text() == "Not refreshing: Plivo refused the Auth Token."
        assert view.empty.isVisible()
        assert view.empty.title.text() == "Calls not loaded"
        assert "No live calls" not in view.empty.title.text() + view.empty.message.text()
    finally:
        await close_rig(r)


@pytest.mark.asyncio
async def test_stop_all_needs_active_streams_and_hints_say_what_is_shown(rig: Rig) -> None:
    target = rig.sim.live_call_uuids()[2]
    await rig.select(target)
    pane, form = rig.pane, rig.pane.form
    await wait_for(lambda: pane.streams_label.text() == "Streams on this call (none yet)")
    assert not pane.stop_all_button.isEnabled()
    assert pane.stop_all_button.toolTip() == "No active streams on this call"
    assert await rig.console.streams.stop_all(target, confirm=False) is False
    assert pane.streams_status.text() == "No active streams to stop."
    assert await _history(rig, 0) == []  # nothing recorded for stopping nothing
    # No error shown yet: the hint asks for a URL instead of pointing at an error "above".
    assert form.start_hint.text() == "Enter a stream URL (wss://…) to start."
    QTest.keyClicks(form.service_url, "https://nope.example.com")
    assert form.start_hint.text() == "Fix the error above to start."
    assert form.messages["service_url"].isVisible()


@pytest.mark.asyncio
async def test_escape_and_restore_defaults_keep_the_demo_url(tmp_path: Path) -> None:
    async with demo_app(tmp_path) as demo:
        view, form = demo.region.calls, demo.pane.form
        assert view.select_call(view.model.uuids[0])
        await wait_for(lambda: demo.pane.call is not None)
        sink = form.service_url.text()
        assert sink.startswith("ws://127.0.0.1:")
        form.service_url.setFocus()
        form.service_url.selectAll()
        QTest.keyClicks(form.service_url, "wss://other.example.com/x")
        QTest.keyClick(form.service_url, Qt.Key.Key_Escape)
        assert form.service_url.text() == sink and form.start_button.isEnabled()
        QTest.keyClicks(form.service_url, "/more")
        QTest.mouseClick(form.restore_button, Qt.MouseButton.LeftButton)
        assert form.service_url.text() == sink


LONG_REASON = (
    "could not connect to service_url after 3 attempts (ClientConnectorDNSError: Cannot connect"
    " to host transcribe.example.com:443 ssl:default [Name or service not known])"
)

# --- 2. Start in reach --------------------------------------------------------------------------


def _in_view(widget: QWidget, area: QAbstractScrollArea) -> bool:
    """Wholly inside the scroll area's viewport, and actually painted (not clipped away)."""
    if not widget.isVisible() or widget.visibleRegion().isEmpty():
        return False
    viewport = area.viewport()
    rect = QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size())
    return viewport.rect().contains(rect)


def _on_screen(widget: QWidget) -> bool:
    window = widget.window()
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    return (
        widget.isVisible()
        and window.rect().contains(rect)
        and widget.visibleRegion() == (widget.rect())
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
async def test_every_field_and_start_in_view_at_laptop_sizes(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    async with demo_app(tmp_path) as demo:
        window, pane, form = demo.window, demo.pane, demo.pane.form
        window.resize(*size)
        view = demo.region.calls
        assert view.select_call(view.model.uuids[1])
        await wait_for(lambda: pane.call is not None)
        if not form.callbacks_to_console.isChecked():
            QTest.mouseClick(form.callbacks_to_console, Qt.MouseButton.LeftButton)
        QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: form.result.isVisible() and form.result.stream_id.field.text())
        # The worst case: the stream then fails with a reason long enough for four lines.
        simulator = demo.demo_backend.simulator
        assert simulator is not None
        await simulator.drop_stream(form.result.stream_id.field.text(), LONG_REASON)
        plain = explain(LONG_REASON).plain  # the headline says it in plain words
        await wait_for(lambda: form.result.message.endswith(plain), what="failure shown")
        headline = form.result.headline
        assert headline.height() <= 2 * headline.fontMetrics().lineSpacing() + 4
        assert LONG_REASON not in headline.text() and LONG_REASON not in headline.toolTip()
        QTest.mouseClick(form.result.detail_toggle, Qt.MouseButton.LeftButton)
        assert LONG_REASON in form.result.detail.toPlainText()
        QTest.mouseClick(form.result.detail_toggle, Qt.MouseButton.LeftButton)
        # The drop also raised a banner naming the reason; the agent reads it and closes it.
        for key in window.banners.active_keys():
            banner = window.banners.banner(key)
            assert banner is not None
            close = banner.findChild(QToolButton, "banner_close")
            assert close is not None
            QTest.mouseClick(close, Qt.MouseButton.LeftButton)
        assert window.banners.active_keys() == []
        assert window.events_region.isVisible()
        scroll = form.fields_scroll
        shown = [w for w in form.inputs.values() if w.isVisibleTo(form)]
        assert {w.objectName() for w in shown} == {
            "service_url", "bidirectional", "audio_track", "status_callback_url",
        }  # fmt: skip
        await wait_for(
            lambda: all(_in_view(w, scroll) for w in [*shown, form.more_toggle, form.more_summary]),
            what="every field in view",
        )
        assert not scroll.verticalScrollBar().isVisible()
        assert not scroll.horizontalScrollBar().isVisible()
        assert form.fields.minimumSizeHint().width() <= scroll.viewport().width()
        for widget in (
            form.start_button,
            form.copy_button,
            form.restore_button,
            form.result.headline,
        ):
            assert _on_screen(widget), widget.objectName()
        assert "24 h timeout" in form.more_summary.text()

        # Hiding the event pane (under the calls list) gives its height to the calls list.
        calls = demo.region.calls.table
        before = calls.viewport().height()
        window.toggle_events.trigger()
        await wait_for(lambda: calls.viewport().height() > before + 40, what="the list grows")
        assert not window.events_region.isVisible()
        # The drop ended the stream: the demo's media sink has nothing left open at close.
        assert not [s for s in simulator.streams_of(pane.call.call_uuid) if s.active]


# --- 3. input is never changed by accident ------------------------------------------------------


def _wheel(widget: QWidget, notches: int = -1) -> None:
    centre = widget.rect().center()
    event = QWheelEvent(
        QPointF(centre), QPointF(widget.mapToGlobal(centre)), QPoint(0, 0),
        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, KEY.NoModifier,
        Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


@pytest.mark.asyncio
async def test_the_wheel_scrolls_past_boxes_without_changing_them(rig: Rig) -> None:
    rig.console.window.resize(1280, 480)  # short enough that the open form scrolls
    await rig.select(rig.sim.live_call_uuids()[0])
    form = rig.pane.form
    QTest.mouseClick(form.more_toggle, Qt.MouseButton.LeftButton)
    form.service_url.setFocus()
    bar = form.fields_scroll.verticalScrollBar()
    await asyncio.sleep(0.3)  # the window and the pane settle their heights
    await wait_for(lambda: bar.maximum() > 40, what="the form scrolls")
    for combo, before in (
        (form.audio_track, "inbound"),
        (form.status_callback_method, "POST"),
        (form.content_type, "audio/x-l16;rate=8000"),
    ):
        form.fields_scroll.ensureWidgetVisible(combo)
        _wheel(combo)
        assert combo.currentData() == before, combo.objectName()
    assert bar.value() > 0  # the wheel scrolled the form instead
    for combo in (rig.view.direction, rig.console.window.profile_combo):
        before_index = combo.currentIndex()
        _wheel(combo)
        assert combo.currentIndex() == before_index
    # Focused (the agent clicked or tabbed into it), the wheel works as usual.
    form.status_callback_method.setFocus()
    await wait_for(form.status_callback_method.hasFocus)
    _wheel(form.status_callback_method)
    assert form.status_callback_method.currentData() == "GET"


@pytest.mark.asyncio
async def test_the_selected_row_stays_put_while_rows_above_it_leave(rig: Rig) -> None:
    rig.sim.add_live_calls(60)
    await rig.refreshed()  # nothing selected yet: they are listed at once
    await wait_for(lambda: rig.view.model.rowCount() == 68)
    table, shown = rig.view.table, rig.view.model
    target = shown.index(40, 0).data(UUID_ROLE)
    await rig.select(target)
    assert table.verticalScrollBar().value() >= 3
    before = table.visualRect(table.currentIndex()).top()
    above = [shown.index(row, 0).data(UUID_ROLE) for row in (2, 5, 9)]
    for call_uuid in above:
        rig.sim.hangup(call_uuid)
    await rig.refreshed()  # faded, still listed
    rig.view.model._clock = lambda: time.time() + 60  # past the fade time
    await rig.refreshed()
    await wait_for(lambda: rig.view.model.rowCount() == 65, what="ended calls removed")
    assert table.currentIndex().data(UUID_ROLE) == target
    assert table.visualRect(table.currentIndex()).top() == before


# --- 4. keyboard and mouse ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_region_shortcuts_are_in_the_view_menu(rig: Rig) -> None:
    window = rig.console.window
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    shortcuts = {a.shortcut().toString() for a in menu.actions() if isinstance(a, QAction)}
    assert {"Alt+1", "Alt+2", "Alt+3", "Alt+4"} <= shortcuts
    await rig.select(rig.sim.live_call_uuids()[0])
    window.activateWindow()
    for key, widget in (
        (Qt.Key.Key_2, rig.pane.form.service_url),
        (Qt.Key.Key_3, rig.pane.table),
        (Qt.Key.Key_1, rig.view.table),
    ):
        QTest.keyClick(window, key, KEY.AltModifier)
        await wait_for(widget.hasFocus, what=f"Alt+{key.name[-1]} focuses {widget.objectName()}")


@pytest.mark.asyncio
async def test_keyboard_only_start_and_stop_within_budget(rig: Rig) -> None:
    window, view, pane, form = rig.console.window, rig.view, rig.pane, rig.pane.form
    window.activateWindow()
    await wait_for(view.table.hasFocus, what="focus starts in the calls list")
    presses = 0

    def press(key: Qt.Key, modifier: KEY = KEY.NoModifier) -> None:
        nonlocal presses
        focused = QApplication.focusWidget()
        assert focused is not None
        QTest.keyClick(focused, key, modifier)
        presses += 1

    press(Qt.Key.Key_Down)
    press(Qt.Key.Key_Down)
    second = view.model.index(1, 0).data(UUID_ROLE)
    await wait_for(lambda: pane.call is not None and pane.call.call_uuid == second)
    press(Qt.Key.Key_Return)  # to the form
    await wait_for(form.service_url.hasFocus, what="Enter opens the form")
    QTest.keyClicks(form.service_url, "wss://keys.example.com/x")  # typing the URL
    press(Qt.Key.Key_Return)
    await wait_for(lambda: len(rig.sim.streams_of(second)) == 1, what="started")
    assert presses <= 6
    stream_id = rig.sim.streams_of(second)[0].stream_id
    await wait_for(lambda: pane.selected_stream_id() == stream_id, what="new stream selected")

    presses = 0
    press(Qt.Key.Key_3, KEY.AltModifier)  # to the streams table
    await wait_for(pane.table.hasFocus)
    press(Qt.Key.Key_Delete)
    await wait_for(lambda: not rig.sim.stream(stream_id).active, what="stopped")
    assert presses <= 3


@pytest.mark.asyncio
async def test_mouse_only_start_and_stop(tmp_path: Path) -> None:
    async with demo_app(tmp_path) as demo:
        view, pane, form = demo.region.calls, demo.pane, demo.pane.form
        simulator = demo.demo_backend.simulator
        assert simulator is not None
        index = view.model.index(1, 0)
        target = index.data(UUID_ROLE)
        QTest.mouseClick(
            view.table.viewport(), Qt.MouseButton.LeftButton, KEY.NoModifier,
            view.table.visualRect(index).center(),
        )  # fmt: skip
        await wait_for(lambda: pane.call is not None and pane.call.call_uuid == target)
        QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: len(simulator.streams_of(target)) == 1, what="started")
        stream_id = simulator.streams_of(target)[0].stream_id
        await wait_for(lambda: pane.streams.row_of(stream_id) is not None)
        row = pane.streams.row_of(stream_id)
        assert row is not None
        QTest.mouseClick(
            pane.table.viewport(), Qt.MouseButton.LeftButton, KEY.NoModifier,
            pane.table.visualRect(pane.streams.index(row, 0)).center(),
        )  # fmt: skip
        await wait_for(pane.stop_button.isEnabled, what="Stop enabled for the clicked row")
        QTest.mouseClick(pane.stop_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: not simulator.stream(stream_id).active, what="stopped")
        await wait_for(lambda: form.result.message == "Stream stopped.", what="result says so")
        # The stop goes on to record and reload the list: let it end before the console shuts down.
        await wait_for(lambda: not demo.tasks.running(f"stop-{stream_id}"), what="stop task done")
