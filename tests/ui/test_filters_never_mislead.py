"""Filters and details never mislead: the agent types into the filter fields as on the screen.

The Stream ID filter takes any part of an ID (tables show shortened ones), the details panel
never keeps an event the filters have hidden as if it were listed, the new-calls bar says how
many of the new calls a search would show, and a row a screen reader selects is the call picked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAccessible
from pytestqt.qtbot import QtBot

from console.domain.calls import LiveCall
from console.domain.events import EventFilter
from console.store.event_log import EventLog
from console.ui.calls_model import UUID_ROLE, CallsTableModel
from console.ui.calls_view import CallsView
from console.ui.events_filter import matches
from console.ui.events_pane import EventsPane
from tests.app.conftest import wait_for
from tests.ui.events_support import make_event, open_log
from tests.ui.test_events_pane import shown_pane

FIRST = "30ab5c1e-4c1e-4d7a-9a51-0c2f1e1d1a11"
SECOND = "7f00e2b4-91aa-4f3b-8c0d-6e5d4c3b2a19"
SEED = [
    make_event("StartStream", call_uuid="call-A", stream_id=FIRST),
    make_event("StartStream", call_uuid="call-B", stream_id=SECOND),
    make_event("StopStream", call_uuid="call-A", stream_id=FIRST, extra={"Reason": "api_request"}),
]


@pytest_asyncio.fixture
async def pane(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[EventsPane]:
    log: EventLog = await open_log(tmp_path / "events.sqlite3", SEED)
    widget = await shown_pane(qtbot, log, 3)
    yield widget
    log.remove_listener(widget.add_events)
    await wait_for(lambda: not widget.model.loading)
    await log.close()


def streams_shown(pane: EventsPane) -> set[str]:
    return {pane.model.event_at(r).stream_id for r in range(pane.model.rowCount())}


async def type_filter(qtbot: QtBot, pane: EventsPane, text: str) -> None:
    pane.stream_filter.clear()
    qtbot.keyClicks(pane.stream_filter, text)
    qtbot.keyClick(pane.stream_filter, Qt.Key.Key_Return)
    await wait_for(lambda: not pane.model.loading, what="filtered")


@pytest.mark.asyncio
@pytest.mark.parametrize("typed", ["30ab", "30AB5C1E", "4c1e-4d7a", FIRST[-6:], FIRST])
async def test_the_stream_filter_matches_a_prefix_or_any_part(
    qtbot: QtBot, pane: EventsPane, typed: str
) -> None:
    await type_filter(qtbot, pane, typed)
    assert streams_shown(pane) == {FIRST}
    assert pane.model.rowCount() == 2
    assert not pane.empty.isVisible()


@pytest.mark.asyncio
async def test_a_live_event_meets_the_same_partial_filter(qtbot: QtBot, pane: EventsPane) -> None:
    await type_filter(qtbot, pane, "7f00")
    assert streams_shown(pane) == {SECOND}
    fresh = make_event("DroppedStream", call_uuid="call-B", stream_id=SECOND, event_id=10**9)
    other = make_event("DroppedStream", call_uuid="call-A", stream_id=FIRST, event_id=10**9 + 1)
    pane.add_events([fresh, other])
    await wait_for(lambda: pane.model.rowCount() == 2, what="the live row")
    assert pane.model.event_at(0).id == fresh.id and streams_shown(pane) == {SECOND}


@pytest.mark.asyncio
async def test_a_filter_part_with_wildcards_is_taken_literally(
    qtbot: QtBot, pane: EventsPane
) -> None:
    for typed in ("%", "_", "30ab%"):
        await type_filter(qtbot, pane, typed)
        assert pane.model.rowCount() == 0
        assert pane.empty.text() == "No events match these filters."
        assert not matches(EventFilter(stream_id=typed), SEED[0])


async def click_row(qtbot: QtBot, pane: EventsPane, row: int) -> None:
    rect = pane.table.visualRect(pane.model.index(row, 1))
    qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    await wait_for(lambda: pane.details.shown_event is not None, what="details")


@pytest.mark.asyncio
async def test_details_say_when_the_filters_hide_the_event(qtbot: QtBot, pane: EventsPane) -> None:
    row = next(r for r in range(3) if pane.model.event_at(r).stream_id == SECOND)
    await click_row(qtbot, pane, row)
    title = pane.details.title
    assert title.text().endswith(": StartStream")
    assert SECOND in pane.details.text.toPlainText()

    await type_filter(qtbot, pane, "7f00")  # still listed: the details stay
    assert SECOND in pane.details.text.toPlainText()

    await type_filter(qtbot, pane, "30ab")  # filtered out: the panel says so, shows nothing
    assert streams_shown(pane) == {FIRST}
    assert "is hidden by the filters" in title.text()
    assert pane.details.text.toPlainText() == ""
    assert SECOND not in title.text()

    await click_row(qtbot, pane, 0)  # picking a listed event shows it again
    assert "hidden" not in title.text()
    assert FIRST in pane.details.text.toPlainText()


# --- the new-calls bar ----------------------------------------------------------------------


def live(n: int, name: str, direction: str = "inbound") -> LiveCall:
    return LiveCall(
        call_uuid=f"uuid-{n:05d}",
        from_number=f"+1415555{n:04d}",
        to_number="+442079000000",
        direction=direction,
        caller_name=name,
        call_status="in-progress",
    )


@pytest.fixture
def view(qtbot: QtBot) -> CallsView:
    widget = CallsView(CallsTableModel())
    qtbot.addWidget(widget)
    widget.resize(900, 400)
    widget.show()
    widget.show_calls([live(i, "Zed" if i else "Alice Smith") for i in range(13)])
    return widget


def test_new_calls_bar_says_how_many_match_the_search(qtbot: QtBot, view: CallsView) -> None:
    qtbot.keyClicks(view.search, "alice")
    assert view.count.text() == "1 of 13 shown"
    arrived = [live(100, "Alice Jones"), live(101, "Bob"), live(102, "Carol"), live(103, "Dan")]
    view.set_held(arrived)
    assert view.held_count_text() == "4 new calls arrived, 1 matches the search"

    qtbot.keyClicks(view.search, "x")  # "alicex": the bar follows the typing
    assert view.held_count_text() == "4 new calls arrived, none match the search"
    qtbot.keyClick(view.search, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view.search, Qt.Key.Key_Delete)
    assert view.held_count_text() == "4 new calls arrived"  # no search: nothing to count

    qtbot.keyClicks(view.search, "o")  # Bob, Carol, Alice Jones
    assert view.held_count_text() == "4 new calls arrived, 3 match the search"
    view.set_held([])
    assert view.held_count_text() == ""


def test_new_calls_bar_counts_the_direction_filter_too(qtbot: QtBot, view: CallsView) -> None:
    view.set_held([live(100, "Ann", "outbound"), live(101, "Ben", "inbound")])
    view.direction.setFocus()
    index = view.direction.findData("outbound")
    assert index > view.direction.currentIndex()
    while view.direction.currentIndex() != index:
        qtbot.keyClick(view.direction, Qt.Key.Key_Down)
    assert view.held_count_text() == "2 new calls arrived, 1 matches the filters"


# --- a screen reader's pick ------------------------------------------------------------------


@pytest.fixture
def screen_reader() -> Iterator[None]:
    """Qt as it runs with an AT connected (the AT-SPI tests use a real one: test_atspi.py)."""
    QAccessible.setActive(True)
    yield
    QAccessible.setActive(False)


def test_a_row_an_at_selects_is_the_call_picked_even_where_focus_marked_it(
    qtbot: QtBot, view: CallsView, screen_reader: None
) -> None:
    picked: list[str | None] = []
    view.call_selected.connect(picked.append)
    view.focus_list()  # focus marks the top row current without selecting it
    qtbot.waitUntil(lambda: view.table.currentIndex().isValid())
    assert picked == []
    # What Qt's AT-SPI Table.addRowSelection does: select the row, leave the current index.
    rows = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    top = view.table.model().index(0, 0)
    view.table.selectionModel().select(top, rows)
    assert picked == [top.data(UUID_ROLE)]
    third = view.table.model().index(2, 0)
    only = QItemSelectionModel.SelectionFlag.ClearAndSelect | rows
    view.table.selectionModel().select(third, only)
    assert picked[-1] == third.data(UUID_ROLE) and view.table.currentIndex().row() == 2
