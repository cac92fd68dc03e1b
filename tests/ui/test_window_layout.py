"""The window on its own: where it opens, where the monitor goes, the focus ring, and a call
that has ended (docs/layout.md). Driven with real clicks and keys through qtbot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from console.domain.calls import LiveCall
from console.domain.streams import Stream
from console.ui.call_pane import CallPane
from console.ui.calls_region import CallsRegion
from console.ui.calls_view import CallsView
from console.ui.events_pane import EventsPane
from console.ui.main_window import MainWindow
from console.ui.monitor_dock import MonitorDock
from console.ui.palette import accessible_palette, dark_reference
from console.ui.streams_model import ENDED_WITH_CALL, StreamColumn

CALL = LiveCall("c0ffee00-1111-2222-3333-444455556666", "+14155550100", "+442079460000",
                "inbound", "Ada Eriksen", "in-progress")  # fmt: skip


def _window(qtbot: QtBot, events: QWidget | None = None) -> MainWindow:
    window = MainWindow(QLabel("calls"), QLabel("call"), events or QLabel("events"))
    qtbot.addWidget(window)
    return window


def test_first_start_fills_a_laptop_screen_and_not_a_big_one(qtbot: QtBot) -> None:
    window = _window(qtbot)
    window.place_on(QRect(0, 0, 1280, 692))
    assert window.windowState() & Qt.WindowState.WindowMaximized
    roomy = _window(qtbot)
    roomy.place_on(QRect(0, 0, 1920, 1160))
    assert not roomy.windowState() & Qt.WindowState.WindowMaximized
    assert (roomy.width(), roomy.height()) == (1400, 900)


def test_a_remembered_place_off_this_screen_is_pulled_back_onto_it(
    qtbot: QtBot, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)
    big = _window(qtbot)
    big.setGeometry(QRect(1500, 900, 2400, 1300))  # saved on a bigger monitor, off to the side
    big.save_layout(settings)
    window = _window(qtbot)
    window.restore_layout(settings)
    window.show()
    qtbot.waitExposed(window)
    screen = window.screen().availableGeometry()
    assert screen.contains(window.geometry()), (window.geometry(), screen)


def test_the_monitor_shares_the_event_panes_place_on_a_laptop_and_the_view_menu_brings_it_back(
    qtbot: QtBot,
) -> None:
    window = _window(qtbot)
    window.resize(1280, 720)
    window.reset_layout()
    window.show()
    qtbot.waitExposed(window)
    assert not window.monitor_action.isEnabled()
    calls_width = window.calls_region.width()
    monitor = QLabel("monitor")
    place = MonitorDock(window, monitor)
    place.reveal()
    assert place.tabbed and window.lower_tabs.currentWidget() is monitor
    assert window.calls_region.width() == calls_width  # nothing squeezed sideways
    assert window.monitor_action.isEnabled()
    assert window.monitor_action.shortcut().toString() == "Ctrl+Shift+M"
    window.lower_tabs.setCurrentWidget(window.events_region)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(
        window,
        Qt.Key.Key_M,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: window.lower_tabs.currentWidget() is monitor)


def test_on_a_wide_window_the_monitor_docks_beside_it(qtbot: QtBot) -> None:
    window = _window(qtbot)
    window.resize(1900, 1000)
    window.show()
    qtbot.waitExposed(window)
    place = MonitorDock(window, QLabel("monitor"))
    place.reveal()
    assert not place.tabbed and place.dock is not None and place.dock.isVisible()
    place.dock.close()
    window.monitor_action.trigger()
    assert place.dock.isVisible()


@pytest.fixture
def light_then_dark() -> Iterator[None]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    yield
    app.setPalette(before)


def _edge(widget: QWidget) -> QColor:
    image: QImage = widget.grab().toImage()
    return image.pixelColor(image.width() // 2, 0)


@pytest.mark.parametrize("dark", [False, True])
def test_every_control_tabbed_to_shows_a_focus_ring_in_light_and_dark(
    qtbot: QtBot, dark: bool, light_then_dark: None
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if dark:
        app.setPalette(accessible_palette(dark_reference()))
    pane = CallPane()
    calls = CallsRegion(CallsView())
    calls.show_calls()
    calls.calls.show_calls([CALL])
    window = _window_of(qtbot, calls, pane, EventsPane())
    pane.show_call(CALL)
    pane.set_streams([Stream("s-1", CALL.call_uuid, "wss://a.example.com/x", status="in-progress")])
    pane.form.service_url.setText("wss://b.example.com/x")  # Start enabled
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.profile_combo.setFocus()
    qtbot.waitUntil(window.profile_combo.hasFocus)
    visited: set[str] = set()
    order: list[str] = []
    for _ in range(40):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        assert focused is not None
        visited.add(focused.objectName())
        order.append(focused.objectName())
        highlight = focused.palette().color(QPalette.ColorRole.Highlight)
        assert _edge(focused) == highlight, focused.objectName()
    assert {"calls_table", "service_url", "start_stream", "events_pause"} <= visited, " ".join(
        order
    )
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)  # the streams table
    qtbot.waitUntil(pane.table.hasFocus)
    assert _edge(pane.table) == pane.table.palette().color(QPalette.ColorRole.Highlight)
    window.profile_combo.setFocus()
    qtbot.waitUntil(lambda: not pane.table.hasFocus())
    assert _edge(pane.table) != pane.table.palette().color(QPalette.ColorRole.Highlight)


def _window_of(qtbot: QtBot, calls: QWidget, call: QWidget, events: QWidget) -> MainWindow:
    window = MainWindow(calls, QLabel("call"), events)
    qtbot.addWidget(window)
    window.set_regions(calls, call)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_call_that_has_ended_has_no_running_stream(qtbot: QtBot) -> None:
    pane = CallPane()
    qtbot.addWidget(pane)
    pane.resize(600, 700)
    pane.show()
    pane.show_call(CALL)
    pane.set_streams([
        Stream("s-1", CALL.call_uuid, "wss://a.example.com/x", status="in-progress"),
        Stream("s-2", CALL.call_uuid, "wss://b.example.com/x", status="stopped", end_time="x"),
    ])  # fmt: skip
    row = pane.streams.row_of("s-1")
    assert row is not None
    rect = pane.table.visualRect(pane.streams.index(row, StreamColumn.STATUS))
    qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(pane.stop_button.isEnabled)
    assert pane.stop_all_button.isEnabled()

    pane.show_call(CALL, ended=True)  # the list says the call is gone
    status = pane.streams.index(row, StreamColumn.STATUS).data()
    assert status == ENDED_WITH_CALL
    assert not pane.stop_button.isEnabled() and not pane.stop_all_button.isEnabled()
    assert "the call has ended" in pane.streams_label.text()
    assert pane.active_stream_ids() == []
    pane.set_streams([Stream("s-1", CALL.call_uuid, status="in-progress")])  # a late list
    assert pane.streams.index(0, StreamColumn.STATUS).data() == ENDED_WITH_CALL
    assert not pane.stop_all_button.isEnabled()
    stops: list[tuple[str, str]] = []
    pane.stop_requested.connect(lambda call, stream: stops.append((call, stream)))
    qtbot.keyClick(pane.table, Qt.Key.Key_Delete)  # nothing to stop: no intent
    assert stops == []
    other = LiveCall("another-call", "+1", "+2", "inbound", None, "in-progress")
    pane.show_call(other)
    pane.set_streams([Stream("s-9", "another-call", status="in-progress")])
    assert pane.streams.index(0, StreamColumn.STATUS).data() == "in-progress"
    assert pane.stop_all_button.isEnabled()


def test_monitor_in_this_console_is_in_the_tab_order_under_stream_url(qtbot: QtBot) -> None:
    pane = CallPane()
    qtbot.addWidget(pane)
    toggle = pane.add_monitor_toggle()
    toggle.set_monitor_url("ws://127.0.0.1:9/plivo/stream-monitor?key=k")
    pane.resize(600, 800)
    pane.show()
    pane.show_call(CALL)
    qtbot.waitExposed(pane)
    pane.activateWindow()
    pane.form.service_url.setFocus()
    qtbot.waitUntil(pane.form.service_url.hasFocus)
    seen = []
    for _ in range(3):
        focused = QApplication.focusWidget()
        assert focused is not None
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    assert toggle in seen[:2]  # after Stream URL (and Check service… when it is enabled)
    assert seen[seen.index(toggle) + 1] is pane.form.bidirectional
