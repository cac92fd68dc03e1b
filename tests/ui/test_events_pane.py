"""The event pane as an agent uses it: live rows newest first, filters, pause, details, paging.

These are pure-widget tests: the event log is the in-memory double in events_fakes.py, so each
test says exactly which events exist. The pane on the real SQLite log is tested in tests/app.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import QModelRoleData, Qt
from PySide6.QtGui import QIcon, QTextDocument
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from console.domain.events import Verdict
from console.store.event_log import EventLog
from console.ui.events_model import ID_ROLE, Column, time_text
from console.ui.events_pane import (
    FLOOD_ROWS,
    FLOOD_UPDATES_PER_S,
    MAX_UPDATES_PER_S,
    EventsPane,
)
from tests.app.conftest import wait_for
from tests.ui.events_support import MemoryEventReader, append_all, make_event, open_log


def shown(pane: EventsPane, column: Column = Column.EVENT) -> list[str]:
    model = pane.table.model()
    return [str(model.index(r, column).data()) for r in range(model.rowCount())]


def ids(pane: EventsPane) -> list[int]:
    return list(pane.model.ids)


SEED = [
    make_event("StartStream", call_uuid="call-A", stream_id="s-1"),
    make_event("DegradedStream", call_uuid="call-A", stream_id="s-1", extra={"BufferUsage": "60"}),
    make_event(
        "DroppedStream",
        call_uuid="call-B",
        stream_id="s-2",
        extra={"Error": "Timed out"},
    ),
    make_event("StopStream", call_uuid="call-A", stream_id="s-1", extra={"Reason": "api_request"}),
]


@pytest_asyncio.fixture
async def log(tmp_path: Path) -> AsyncIterator[EventLog]:
    opened = await open_log(tmp_path / "events.sqlite3", SEED)
    yield opened
    await opened.close()


async def shown_pane(qtbot: QtBot, log: EventLog, rows: int) -> EventsPane:
    widget = EventsPane()
    qtbot.addWidget(widget)
    widget.resize(1100, 420)
    widget.show()
    widget.set_reader(log)
    log.add_listener(widget.add_events)
    await wait_for(lambda: widget.model.rowCount() == rows and not widget.model.loading)
    return widget


@pytest_asyncio.fixture
async def pane(qtbot: QtBot, log: EventLog) -> AsyncIterator[EventsPane]:
    widget = await shown_pane(qtbot, log, 4)
    yield widget
    log.remove_listener(widget.add_events)
    await wait_for(lambda: not widget.model.loading)


def choose(combo: QComboBox, text: str) -> None:
    combo.setCurrentIndex(combo.findText(text))


@pytest.mark.asyncio
async def test_events_show_newest_first_and_new_ones_arrive_on_top(
    pane: EventsPane, log: EventLog
) -> None:
    assert shown(pane) == ["StopStream", "DroppedStream", "DegradedStream", "StartStream"]
    assert shown(pane, Column.DETAILS) == ["api_request", "Timed out", "buffer 60 %", ""]
    assert pane.table.objectName() == "events_view"
    assert pane.table.model().index(0, Column.EVENT).data(Qt.ItemDataRole.DecorationRole)

    new = await log.append(make_event("StartStream", call_uuid="call-C", stream_id="s-9"))
    await wait_for(lambda: pane.model.rowCount() == 5, what="live row")
    assert shown(pane)[0] == "StartStream"
    assert shown(pane, Column.CALL)[0] == "call-C"
    # A repeat of an event already shown is not shown twice.
    pane.add_events([new.event])
    await asyncio.sleep(3 / MAX_UPDATES_PER_S)
    assert pane.model.rowCount() == 5


@pytest.mark.asyncio
async def test_filter_by_event_type_stream_text_and_followed_call(
    qtbot: QtBot, pane: EventsPane, log: EventLog
) -> None:
    choose(pane.view_kind, "DroppedStream")
    await wait_for(lambda: shown(pane) == ["DroppedStream"], what="type filter")
    choose(pane.view_kind, "All events")
    await wait_for(lambda: pane.model.rowCount() == 4)

    qtbot.keyClicks(pane.stream_filter, "s-1")
    await wait_for(lambda: pane.model.rowCount() == 3, what="stream filter")
    assert set(shown(pane, Column.STREAM)) == {"s-1"}
    pane.stream_filter.clear()
    await wait_for(lambda: pane.model.rowCount() == 4)

    qtbot.keyClicks(pane.text_filter, "TIMED OUT")  # any parameter, any case
    await wait_for(lambda: shown(pane) == ["DroppedStream"], what="text filter")
    pane.text_filter.clear()
    await wait_for(lambda: pane.model.rowCount() == 4)

    pane.set_selected_call("call-B")
    assert pane.model.rowCount() == 4  # not following yet
    qtbot.mouseClick(pane.follow_call, Qt.MouseButton.LeftButton)
    await wait_for(lambda: shown(pane, Column.CALL) == ["call-B"], what="follow call")
    pane.set_selected_call("call-A")
    await wait_for(lambda: shown(pane, Column.CALL) == ["call-A"] * 3, what="followed switch")

    # Live events obey the filters too.
    await log.append(make_event("StartStream", call_uuid="call-B", stream_id="s-5"))
    await log.append(make_event("StopStream", call_uuid="call-A", stream_id="s-1"))
    await wait_for(lambda: pane.model.rowCount() == 4, what="live matching row")
    await asyncio.sleep(3 / MAX_UPDATES_PER_S)
    assert shown(pane, Column.CALL) == ["call-A"] * 4


@pytest.mark.asyncio
async def test_rejected_requests_are_a_view_of_their_own(pane: EventsPane, log: EventLog) -> None:
    forged = make_event("StartStream", verdict=Verdict.FORGED, detail="no token matches")
    await log.reject(forged)
    pane.add_events([forged])  # even if a rejected request came by the live path
    await asyncio.sleep(3 / MAX_UPDATES_PER_S)
    assert pane.model.rowCount() == 4  # not among the accepted events
    choose(pane.view_kind, "Rejected requests")
    await wait_for(lambda: pane.model.rowCount() == 1, what="rejected view")
    assert shown(pane) == ["Rejected (forged)"]
    assert shown(pane, Column.DETAILS) == ["no token matches"]


@pytest.mark.asyncio
async def test_pause_counts_new_events_and_resume_shows_them(
    qtbot: QtBot, pane: EventsPane, log: EventLog
) -> None:
    choose(pane.view_kind, "StartStream")  # the counter counts what the filters let through
    await wait_for(lambda: pane.model.rowCount() == 1)
    qtbot.mouseClick(pane.pause, Qt.MouseButton.LeftButton)
    assert pane.paused and pane.pause.text() == "Resume"
    before = shown(pane, Column.CALL)
    await append_all(log, [make_event("StartStream", call_uuid=f"call-P{i}") for i in range(3)])
    await log.append(make_event("StopStream", call_uuid="call-P9"))
    await wait_for(lambda: pane.new_count.text() == "3 new", what="3 new")
    assert pane.pause.text() == "Resume (3 new)"
    await asyncio.sleep(3 / MAX_UPDATES_PER_S)
    assert shown(pane, Column.CALL) == before  # nothing moved under the agent's eyes
    qtbot.mouseClick(pane.pause, Qt.MouseButton.LeftButton)
    await wait_for(lambda: pane.model.rowCount() == 4, what="caught up")
    assert shown(pane, Column.CALL) == ["call-P2", "call-P1", "call-P0", "call-A"]
    assert pane.new_count.text() == "" and pane.pause.text() == "Pause"


@pytest.mark.asyncio
async def test_details_show_every_parameter_header_and_the_verdict(
    qtbot: QtBot, pane: EventsPane
) -> None:
    rect = pane.table.visualRect(pane.table.model().index(1, Column.EVENT))
    qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    text = pane.details.text.toPlainText()
    for line in (
        "Verdict: accepted: the signature matched the token of MAXXXXXXXXXXXXXXXXXX",
        "Event = DroppedStream",
        "CallUUID = call-B",
        "StreamID = s-2",
        "Error = Timed out",
        "Content-Type: application/x-www-form-urlencoded",
        "X-Plivo-Signature-V3: x",
        "Request: POST https://example.test/plivo/stream-status",
        "From: 127.0.0.1",
    ):
        assert line in text, line
    assert pane.details.title.text() == "Event #3: DroppedStream"
    assert "Headers (2):" in text and "Parameters (4):" in text


@pytest.mark.asyncio
async def test_markup_in_callback_text_shows_literally(
    qtbot: QtBot, pane: EventsPane, log: EventLog
) -> None:
    evil = '<b>bold</b><img src="x"><a href="http://x">link</a>'
    event = make_event(
        evil, call_uuid=evil, stream_id="s\u202ex", extra={"Error": evil, evil: "<i>v</i>"}
    )
    await log.append(event)
    await wait_for(lambda: pane.model.rowCount() == 5)
    model = pane.table.model()
    assert model.index(0, Column.EVENT).data() == evil
    assert model.index(0, Column.CALL).data() == evil
    assert model.index(0, Column.STREAM).data() == "s x"  # no right-to-left override
    for column in (Column.CALL, Column.DETAILS):
        tooltip = str(model.index(0, column).data(Qt.ItemDataRole.ToolTipRole))
        doc = QTextDocument()
        doc.setHtml(tooltip)
        assert doc.toPlainText() == evil  # what the tooltip shows: the markup, as text
    rect = pane.table.visualRect(model.index(0, Column.EVENT))
    qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert pane.details.title.textFormat() == Qt.TextFormat.PlainText
    assert evil in pane.details.title.text()
    assert f"{evil} = <i>v</i>" in pane.details.text.toPlainText()


@pytest.mark.asyncio
async def test_a_burst_of_5000_events_is_coalesced(
    qtbot: QtBot, pane: EventsPane, log: EventLog
) -> None:
    updates: list[float] = []
    for signal in (pane.model.rowsInserted, pane.model.modelReset):
        signal.connect(lambda *_: updates.append(time.monotonic()))
    burst = [make_event("DegradedStream", call_uuid=f"c{i}") for i in range(5000)]
    started = time.monotonic()
    await append_all(log, burst, chunk=100)  # as fast as the log commits them
    await wait_for(lambda: pane.model.rowCount() == 5004, timeout=20, what="all rows")
    took = time.monotonic() - started
    assert shown(pane, Column.CALL)[0] == "c4999"
    assert 1 <= len(updates) <= MAX_UPDATES_PER_S * took + 2, (len(updates), took)
    for start in updates:  # no second holds more than 20 (+1 at the edge) updates
        assert sum(1 for t in updates if start <= t < start + 1.0) <= MAX_UPDATES_PER_S + 1


@pytest.mark.asyncio
async def test_older_pages_load_on_scroll_and_keep_order(qtbot: QtBot, tmp_path: Path) -> None:
    log = await open_log(tmp_path / "many.sqlite3")
    await append_all(log, [make_event(call_uuid=f"c{i}") for i in range(1, 1001)])
    pane = await shown_pane(qtbot, log, 200)
    await wait_for(lambda: "scroll down" in pane.status.text(), what="the count")
    for expected in (400, 600):
        pane.table.scrollToBottom()
        await wait_for(lambda n=expected: pane.model.rowCount() == n, what=f"{expected} rows")
    assert ids(pane) == list(range(1000, 400, -1))
    assert shown(pane, Column.CALL)[-1] == "c401"
    await log.close()


@pytest.mark.asyncio
async def test_a_failing_log_is_reported_not_raised(qtbot: QtBot) -> None:
    reader = MemoryEventReader([make_event()])
    reader.fail_with = OSError("disk I/O error")
    pane = EventsPane()
    qtbot.addWidget(pane)
    pane.show()
    pane.set_reader(reader)
    await wait_for(lambda: "could not be read" in pane.status.text(), what="error shown")
    assert "disk I/O error" in pane.status.text()
    reader.fail_with = None
    qtbot.keyClicks(pane.text_filter, "call")
    await wait_for(lambda: pane.model.rowCount() == 1, what="recovered")


@pytest.mark.asyncio
async def test_without_a_receiver_the_pane_says_so(qtbot: QtBot) -> None:
    pane = EventsPane()
    qtbot.addWidget(pane)
    pane.show()
    pane.set_reader(None)
    assert pane.stack.currentWidget() is pane.empty
    assert "receiver is running" in pane.empty.text()


@pytest.mark.asyncio
async def test_a_view_asking_every_role_at_once_gets_what_data_answers(pane: EventsPane) -> None:
    """Views ask a cell's roles in one `multiData` call: it must answer each as `data` does."""
    model = pane.model
    roles = [
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.BackgroundRole,
        ID_ROLE,
    ]
    answered = 0
    for row in range(model.rowCount()):
        for column in Column:
            index = model.index(row, column)
            for role in roles:
                asked = QModelRoleData(role)
                model.multiData(index, asked)
                expected = model.data(index, role)
                got = asked.data()
                if isinstance(expected, QIcon):
                    assert isinstance(got, QIcon) and got.cacheKey() == expected.cacheKey()
                else:
                    assert got == expected, (row, column, role)
                answered += expected is not None
    assert answered >= model.rowCount() * (len(Column) + 4)  # text, tooltips, ids, an icon


def test_time_of_day_reads_as_the_clock_did() -> None:
    for at in (0.0, 1.9995, 1_733_500_000.0, 1_733_500_000.999, time.time()):
        local = time.strftime("%H:%M:%S", time.localtime(at))
        assert time_text(at) == f"{local}.{int(at * 1000) % 1000:03d}"


@pytest.mark.asyncio
async def test_a_flood_is_shown_whole_with_half_as_many_updates(pane: EventsPane) -> None:
    updates: list[float] = []
    pane.model.rowsInserted.connect(lambda *_: updates.append(time.monotonic()))
    top = pane.model.newest_id or 0
    flood = [make_event(call_uuid=f"f{i}", event_id=top + 1 + i) for i in range(FLOOD_ROWS)]
    pane.add_events(flood)
    await wait_for(lambda: pane.model.newest_id == flood[-1].id, what="the flood shown")
    assert shown(pane, Column.CALL)[0] == f"f{FLOOD_ROWS - 1}"
    assert pane._flush_timer.interval() == 1000 // FLOOD_UPDATES_PER_S
    after = make_event(call_uuid="quiet", event_id=flood[-1].id + 1)
    pane.add_events([after])
    await wait_for(lambda: pane.model.newest_id == after.id, what="the next event shown")
    assert len(updates) == 2 and updates[1] - updates[0] >= 0.9 / FLOOD_UPDATES_PER_S
    assert pane._flush_timer.interval() == 1000 // MAX_UPDATES_PER_S  # back once it is quiet
