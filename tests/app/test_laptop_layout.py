"""The composed console at laptop size, driven as an agent would (docs/layout.md): the first click
opens the call clicked, and at 1280x720 with a start result and a banner open the whole form,
Start, five event rows, the event pane's filters and buttons and the status bar are all in view;
a system font 1.25x larger cuts off no button and no column title."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from console.app.composition import ConsoleApp
from console.ui.banners import Level
from console.ui.calls_columns import Column
from console.ui.calls_model import UUID_ROLE
from console.ui.calls_view import CALLER_MIN_CHARS
from console.ui.streams_model import StreamColumn
from console.ui.table_widths import title_width
from tests.app import test_operator_ux
from tests.app.conftest import wait_for
from tests.app.operator_rig import Rig

# The demo account's console, its calls loaded (test_operator_ux's fixture, under this name).
demo_app = test_operator_ux.demo_app
LONG_NAME = "Maximilian Alexander Featherstonehaugh-Wolfeschlegelsteinhausen"


@pytest.fixture
def larger_font() -> Iterator[None]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.font()
    bigger = app.font()
    bigger.setPointSizeF(before.pointSizeF() * 1.25)
    app.setFont(bigger)
    yield
    app.setFont(before)


def _whole(widget: QWidget) -> bool:
    """Inside its window, with nothing scrolled or clipped away: its painted area spans the
    whole widget (the bounding rect: a table's opaque viewport is cut out of its own region)."""
    window = widget.window()
    in_window = window.rect().contains(QRect(widget.mapTo(window, QPoint(0, 0)), widget.size()))
    return (
        widget.isVisible() and in_window and widget.visibleRegion().boundingRect() == widget.rect()
    )


def _click_row(view: QWidget, table: object, row: int) -> None:
    from PySide6.QtWidgets import QTableView

    assert isinstance(table, QTableView)
    centre = table.visualRect(table.model().index(row, 0)).center()
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier(0), centre)


@pytest.mark.asyncio
async def test_the_first_click_on_the_top_row_opens_that_call(rig: Rig) -> None:
    window, view, pane = rig.console.window, rig.view, rig.pane
    window.activateWindow()
    await wait_for(view.table.hasFocus, what="focus in the calls list")
    marked = view.table.currentIndex()
    assert marked.isValid() and marked.row() == 0  # the focus marks the top row…
    assert not view.table.selectionModel().selectedRows()  # …which does not look selected
    top = marked.data(UUID_ROLE)
    _click_row(view, view.table, 0)
    await wait_for(lambda: pane.call is not None and pane.call.call_uuid == top, what="opened")
    rows = view.table.selectionModel().selectedRows()
    assert [r.data(UUID_ROLE) for r in rows] == [top]

    # A new call arrives at the top: the highlight stays on the call the pane shows.
    rig.sim.add_live_calls(1)
    await rig.refreshed()
    if view.held_count_text():
        QTest.mouseClick(view.show_held, Qt.MouseButton.LeftButton)
    await wait_for(lambda: view.model.rowCount() == len(rig.sim.live_call_uuids()))
    rows = view.table.selectionModel().selectedRows()
    assert [r.data(UUID_ROLE) for r in rows] == [top]
    assert pane.call is not None and pane.call.call_uuid == top


async def _start_with_result(demo: ConsoleApp) -> None:
    view, pane, form = demo.region.calls, demo.pane, demo.pane.form
    _click_row(view, view.table, 1)
    await wait_for(lambda: pane.call is not None, what="a call opened")
    await wait_for(form.callbacks_to_console.isEnabled, timeout=20, what="the receiver")
    if not form.callbacks_to_console.isChecked():
        QTest.mouseClick(form.callbacks_to_console, Qt.MouseButton.LeftButton)
    QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: form.result.stream_id.field.text(), timeout=10, what="start result")


@pytest.mark.asyncio
async def test_at_1280x720_with_a_result_and_a_banner_everything_is_in_view(
    tmp_path: Path,
) -> None:
    async with demo_app(tmp_path) as demo:
        window, view, pane, form, events = (
            demo.window, demo.region.calls, demo.pane, demo.pane.form, demo.events_pane,
        )  # fmt: skip
        window.resize(1280, 720)
        await _start_with_result(demo)
        window.show_banner("laptop", Level.WARNING, "A banner the agent has not closed yet.")
        sink = form.service_url.text()  # the demo's media sink: streams that really connect
        for n in range(1, 5):  # four more streams, each one StartStream event in the pane
            before = form.result.stream_id.field.text()
            form.service_url.setText(f"{sink}{'&' if '?' in sink else '?'}n={n}")
            QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
            await wait_for(lambda b=before: form.result.stream_id.field.text() not in ("", b))
        await wait_for(lambda: events.model.rowCount() >= 5, timeout=15, what="five events")
        await asyncio.sleep(0.1)  # the splitters settle
        table = events.table
        for row in range(5):
            assert table.viewport().rect().contains(table.visualRect(events.model.index(row, 0)))
        wanted = [
            events.view_kind, events.stream_filter, events.text_filter, events.follow_call,
            events.pause, events.send_test, events.export, events.details.text,
            *[w for w in form.inputs.values() if w.isVisibleTo(form)],
            form.more_toggle, form.start_button, form.copy_button, form.restore_button,
            form.result.headline, pane.table, pane.stop_button, pane.stop_all_button,
            window.receiver_status, window.banners,
        ]  # fmt: skip
        await wait_for(
            lambda: all(_whole(w) for w in wanted),
            what=f"everything in view; not: {[w.objectName() for w in wanted if not _whole(w)]}",
        )
        assert not form.fields_scroll.verticalScrollBar().isVisible()
        char = view.table.fontMetrics().horizontalAdvance("x")
        assert view.table.columnWidth(Column.CALLER) >= CALLER_MIN_CHARS * char

        # Another call, with a caller name far wider than the pane: the pane stays put.
        left, width = pane.x(), pane.width()
        simulator = demo.demo_backend.simulator
        assert simulator is not None
        (long_call,) = simulator.add_live_calls(1, caller_name=LONG_NAME)
        await wait_for(view.held_count_text, timeout=15, what="the new call held behind the bar")
        QTest.mouseClick(view.show_held, Qt.MouseButton.LeftButton)
        await wait_for(lambda: view.select_call(long_call), what="the new call listed")
        await wait_for(lambda: pane.call is not None and pane.call.call_uuid == long_call)
        await asyncio.sleep(0.1)
        assert (pane.x(), pane.width()) == (left, width)
        assert view.table.columnWidth(Column.CALLER) >= CALLER_MIN_CHARS * char


@pytest.mark.asyncio
async def test_a_larger_system_font_cuts_off_no_button_or_column_title(
    tmp_path: Path, larger_font: None
) -> None:
    async with demo_app(tmp_path) as demo:
        window, pane, events = demo.window, demo.pane, demo.events_pane
        window.resize(1366, 768)
        await _start_with_result(demo)
        await wait_for(lambda: pane.streams.rowCount() >= 1, what="the stream listed")
        await asyncio.sleep(0.1)
        buttons: list[QAbstractButton] = [
            events.pause, events.send_test, events.export, events.follow_call,
            pane.stop_button, pane.stop_all_button, pane.form.start_button,
        ]  # fmt: skip
        for button in buttons:
            assert _whole(button), button.objectName()
            assert button.width() >= button.sizeHint().width(), button.objectName()
        header = pane.table.horizontalHeader()
        for column in StreamColumn:
            if column is StreamColumn.BILLED:
                continue
            assert header.sectionSize(column) >= title_width(pane.table, column), column.name
        calls = demo.region.calls.table.horizontalHeader()
        for column in Column:
            title = title_width(demo.region.calls.table, column)
            assert calls.sectionSize(column) >= title, column.name


@pytest.mark.asyncio
async def test_a_call_that_hangs_up_leaves_no_stream_to_stop(rig: Rig) -> None:
    view, pane, form = rig.view, rig.pane, rig.pane.form
    target = rig.sim.live_call_uuids()[0]
    row = next(
        r for r in range(view.model.rowCount()) if view.model.index(r, 0).data(UUID_ROLE) == target
    )
    _click_row(view, view.table, row)
    await wait_for(lambda: pane.call is not None and pane.call.call_uuid == target)
    form.service_url.setFocus()
    QTest.keyClicks(form.service_url, "wss://hangup.example.com/x")
    QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: pane.active_stream_count() == 1, what="the stream running")
    assert pane.stop_all_button.isEnabled()

    rig.sim.hangup(target)  # the caller hangs up
    await rig.refreshed()
    await wait_for(lambda: pane.ended, what="the pane knows the call ended")
    await wait_for(lambda: not pane.stop_all_button.isEnabled(), what="Stop all off")
    assert not pane.stop_button.isEnabled()
    assert "the call has ended" in pane.streams_label.text()
    statuses = {
        pane.streams.index(r, StreamColumn.STATUS).data() for r in range(pane.streams.rowCount())
    }
    assert "in-progress" not in statuses and statuses
