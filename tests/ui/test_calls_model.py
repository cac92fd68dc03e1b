"""The calls model: diff-based refresh, fading, sorting, and the search it filters itself by."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtWidgets import QStyledItemDelegate
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.domain.calls import LiveCall
from console.ui.calls_columns import Column
from console.ui.calls_filter import CallFilter
from console.ui.calls_model import FADE_SECONDS, UUID_ROLE, CallsTableModel
from console.ui.calls_view import CallsView


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def call(n: int, **kw: str) -> LiveCall:
    fields = dict(
        from_number=f"+1415555{n:04d}",
        to_number=f"+4420790{n:04d}",
        direction="inbound" if n % 2 else "outbound",
        caller_name=f"Caller {n}",
        call_status="in-progress",
        session_start=f"2023-11-14 22:{n % 60:02d}:00.000000",
    )
    fields.update(kw)
    return LiveCall(call_uuid=f"uuid-{n:05d}", **fields)


def rows(model: CallsTableModel) -> list[str]:
    return list(model.uuids)


@pytest.mark.parametrize("search", ["", "caller 1"])
def test_qt_model_tester_on_refreshes_sorting_and_filtering(
    qtmodeltester: ModelTester, search: str
) -> None:
    clock = Clock()
    model = CallsTableModel(clock=clock)
    model.set_filter(CallFilter.of(search))
    model.apply([call(i) for i in range(30)])
    qtmodeltester.check(model, force_py=True)
    model.apply([call(i) for i in range(10, 45)])  # a few runs: row by row
    model.apply([call(i) for i in range(10, 45)] + [call(i) for i in range(100, 130)])  # many
    model.set_filter(CallFilter.of("caller 2", "inbound"))
    model.sort(Column.FROM, Qt.SortOrder.AscendingOrder)
    clock.now += FADE_SECONDS + 1
    model.apply([call(i) for i in range(20, 60)])
    model.set_stream_count("uuid-00021", 2)
    model.set_filter(CallFilter())
    model.apply([call(i) for i in range(20, 62)])
    model.clear()
    assert model.rowCount() == model.unfiltered_count() == 0


def test_refresh_is_a_diff_never_a_reset() -> None:
    clock = Clock()
    model = CallsTableModel(clock=clock)
    model.apply([call(i) for i in range(5)])
    resets: list[int] = []
    inserted: list[tuple[int, int]] = []
    removed: list[tuple[int, int]] = []
    changed: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    model.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    model.dataChanged.connect(lambda a, _b: changed.append(a.row()))

    persistent = QPersistentModelIndex(model.index(model.row_of("uuid-00003") or 0, 0))
    result = model.apply([call(i) for i in (0, 1, 3, 4, 7)] + [call(2, caller_name="New name")][:0])
    assert (result.added, result.faded, result.removed) == (1, 1, 0)
    assert resets == [] and len(inserted) == 1 and removed == []
    row2 = model.row_of("uuid-00002")
    assert row2 is not None and model.is_ended(row2)
    assert model.data(model.index(row2, Column.STATUS)) == "ended"
    assert persistent.isValid() and persistent.data(Qt.ItemDataRole.UserRole + 1) == "uuid-00003"

    clock.now += FADE_SECONDS + 0.1
    result = model.apply([call(i) for i in (0, 1, 3, 4, 7)])
    assert result.removed == 1 and model.row_of("uuid-00002") is None and len(removed) == 1
    assert persistent.data(Qt.ItemDataRole.UserRole + 1) == "uuid-00003"
    assert resets == []

    changed.clear()
    model.apply([call(i) for i in (0, 1, 4, 7)] + [call(3, caller_name="Renamed")])
    row3 = model.row_of("uuid-00003")
    assert row3 in changed
    assert model.data(model.index(row3 or 0, Column.CALLER)) == "Renamed"


def test_selected_call_is_kept_after_it_ends_until_released() -> None:
    clock = Clock()
    model = CallsTableModel(clock=clock)
    model.apply([call(1), call(2)])
    model.apply([call(1)], keep=["uuid-00002"])
    clock.now += FADE_SECONDS * 3
    model.apply([call(1)], keep=["uuid-00002"])
    assert model.row_of("uuid-00002") is not None
    model.apply([call(1)])
    assert model.row_of("uuid-00002") is None


def test_ended_call_that_comes_back_is_revived() -> None:
    clock = Clock()
    model = CallsTableModel(clock=clock)
    model.apply([call(1), call(2)])
    model.apply([call(1)])
    row = model.row_of("uuid-00002")
    assert row is not None and model.is_ended(row)
    model.apply([call(1), call(2)])
    row = model.row_of("uuid-00002")
    assert row is not None and not model.is_ended(row)


@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
@pytest.mark.parametrize("column", list(Column))
def test_inserted_rows_land_in_sorted_place(column: Column, order: Qt.SortOrder) -> None:
    model = CallsTableModel(clock=Clock())
    model.apply([call(i) for i in range(0, 40, 2)])
    model.sort(column, order)
    for i in range(1, 40, 6):  # small refreshes: inserted one by one at their place
        model.apply([call(j) for j in range(0, 40, 2)] + [call(k) for k in range(1, i + 1, 6)])
    shown = [model.data(model.index(r, column)) for r in range(model.rowCount())]
    keys = [model.keys[r] for r in range(model.rowCount())]
    assert keys == sorted(keys, reverse=order == Qt.SortOrder.DescendingOrder), shown
    assert len(set(model.uuids)) == model.rowCount() == 20 + 7


def test_live_duration_ticks_from_session_start() -> None:
    clock = Clock()
    model = CallsTableModel(clock=clock)
    start = "2023-11-14 22:13:20"  # = 1_700_000_000 UTC
    model.apply([call(1, session_start=start)])
    assert model.data(model.index(0, Column.DURATION)) == "0:00"
    clock.now += 75
    assert model.data(model.index(0, Column.DURATION)) == "1:15"
    clock.now += 3600
    assert model.data(model.index(0, Column.DURATION)) == "1:01:15"


def test_search_and_direction_filter() -> None:
    model = CallsTableModel(clock=Clock())
    model.apply([call(i) for i in range(20)])
    model.set_filter(CallFilter.of("UUID-0001"))  # case-insensitive substring of the call uuid
    assert model.rowCount() == 10  # uuid-00010 .. uuid-00019
    model.set_filter(CallFilter.of("uuid-0001 +44207900013"))  # every word must match somewhere
    assert model.rowCount() == 1
    model.set_filter(CallFilter.of("caller 7"))
    assert model.rowCount() == 20  # "7" appears in every to-number +44207...
    model.set_filter(CallFilter.of("uuid-0000", "inbound"))
    assert model.rowCount() == 5  # 1, 3, 5, 7, 9
    model.set_filter(CallFilter())
    assert model.rowCount() == model.unfiltered_count() == 20


@pytest.mark.asyncio
async def test_sliced_apply_matches_one_shot_apply() -> None:
    a, b = CallsTableModel(clock=Clock()), CallsTableModel(clock=Clock())
    first = [call(i) for i in range(300)]
    second = [call(i) for i in range(50, 400)]
    a.apply(first)
    await b.apply_in_slices(first, slice_s=0.0)
    a.apply(second)
    result = await b.apply_in_slices(second, slice_s=0.0)
    assert result.added == 100 and result.faded == 50
    assert a.uuids == b.uuids and a.ended_at == b.ended_at


def shown_view(qtbot: QtBot, clock: Clock) -> CallsView:
    """A calls list on screen, 300 px high: a few rows in view, the rest scrolled."""
    view = CallsView(CallsTableModel(clock=clock))
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    return view


def test_view_keeps_selection_and_scroll_across_refreshes(qtbot: QtBot) -> None:
    clock = Clock()
    view = shown_view(qtbot, clock)
    view.model.apply([call(i) for i in range(200)])
    qtbot.waitUntil(lambda: view.table.verticalScrollBar().maximum() > 0)
    assert view.select_call("uuid-00150")
    qtbot.waitUntil(lambda: view.table.verticalScrollBar().value() > 0)
    scroll = view.table.verticalScrollBar().value()
    view.model.apply([call(i) for i in range(3, 200)] + [call(i) for i in range(500, 503)])
    view.model.apply([call(i) for i in range(3, 200)] + [call(i) for i in range(500, 503)])
    assert view.selected_call() == "uuid-00150"
    current = view.table.currentIndex()
    assert current.data(Qt.ItemDataRole.UserRole + 1) == "uuid-00150"
    assert abs(view.table.verticalScrollBar().value() - scroll) <= 3 * 30


def test_view_counts_and_empty_state(qtbot: QtBot) -> None:
    view = CallsView(CallsTableModel(clock=Clock()))
    qtbot.addWidget(view)
    view.show()
    assert view.stack.currentWidget() is view.empty
    view.model.apply([call(i) for i in range(4)])
    qtbot.waitUntil(lambda: view.count.text() == "4 live calls")
    qtbot.keyClicks(view.search, "uuid-00002")
    qtbot.waitUntil(lambda: view.count.text() == "1 of 4 shown")
    qtbot.keyClicks(view.search, "zzz")
    qtbot.waitUntil(lambda: view.count.text() == "No match among 4")


def test_calls_that_ended_are_not_counted_as_live(qtbot: QtBot) -> None:
    view = CallsView(CallsTableModel(clock=Clock()))
    qtbot.addWidget(view)
    view.show()
    view.model.apply([call(i) for i in range(3)])
    qtbot.waitUntil(lambda: view.count.text() == "3 live calls")
    view.model.apply([call(0)])  # two hung up: they fade out, still in the list for a while
    qtbot.waitUntil(lambda: view.count.text() == "1 live call, 2 ended")
    view.model.apply([])
    qtbot.waitUntil(lambda: view.count.text() == "0 live calls, 3 ended")


def test_tab_leaves_the_calls_list_instead_of_walking_its_cells(qtbot: QtBot) -> None:
    view = CallsView(CallsTableModel(clock=Clock()))
    qtbot.addWidget(view)
    view.show()
    view.model.apply([call(i) for i in range(3)])
    qtbot.waitUntil(lambda: view.count.text() == "3 live calls")
    view.select_call(view.model.uuids[0])
    view.table.setFocus()
    qtbot.waitUntil(view.table.hasFocus)
    qtbot.keyClick(view.table, Qt.Key.Key_Tab)
    assert not view.table.hasFocus()
    assert view.selected_call() == view.model.uuids[0]  # Tab picked no other call


def test_durations_are_marked_as_estimates_while_the_list_is_not_refreshing(
    qtbot: QtBot,
) -> None:
    clock = Clock()
    view = CallsView(CallsTableModel(clock=clock))
    qtbot.addWidget(view)
    view.show()
    view.model.apply([call(1, session_start="2023-11-14 22:13:20")])  # = clock.now, UTC
    clock.now += 252
    cell = view.model.index(0, Column.DURATION)
    assert cell.data() == "4:12"
    view.set_stale("As of 22:17:32, not refreshing: Plivo is not answering.")
    qtbot.waitUntil(lambda: view.stale.isVisible())
    assert cell.data() == "~4:12"
    assert "not being refreshed" in str(cell.data(Qt.ItemDataRole.ToolTipRole))
    clock.now += 60
    assert cell.data() == "~5:12"  # still ticking, still an estimate
    view.set_stale(None)
    assert cell.data() == "5:12"


def test_a_refresh_with_many_changes_keeps_the_selected_row_in_place(qtbot: QtBot) -> None:
    clock = Clock()
    view = shown_view(qtbot, clock)
    view.model.apply([call(i) for i in range(300)])
    view.model.sort(Column.FROM, Qt.SortOrder.AscendingOrder)
    assert view.select_call("uuid-00151")
    table = view.table
    qtbot.waitUntil(lambda: table.verticalScrollBar().value() > 0)
    before = table.visualRect(table.currentIndex()).top()
    survivors = [call(i) for i in range(300) if i % 3]  # a third of them, scattered, hang up
    view.model.apply(survivors + [call(i) for i in range(1000, 1030)])  # and 30 arrive
    clock.now += FADE_SECONDS + 1
    result = view.model.apply(survivors + [call(i) for i in range(1000, 1030)])
    assert result.removed == 100
    assert view.model.rowCount() == 230
    assert view.selected_call() == "uuid-00151"
    assert table.currentIndex().data(Qt.ItemDataRole.UserRole + 1) == "uuid-00151"
    assert table.visualRect(table.currentIndex()).top() == before
    froms = [view.model.froms[r] for r in range(view.model.rowCount())]
    assert froms == sorted(froms)


# --- the model filters itself -----------------------------------------------------------------


def shown_uuids(model: CallsTableModel) -> list[str]:
    return [model.index(r, 0).data(UUID_ROLE) for r in range(model.rowCount())]


def model_order(model: CallsTableModel, flt: CallFilter) -> list[str]:
    """What a search must show: the stored order, with the calls the filter lets through."""
    return [
        u for u, way, key in zip(model.uuids, model.directions, model.search, strict=True)
        if flt.accepts(way, key)
    ]  # fmt: skip


def vip(n: int, every: int) -> LiveCall:
    """Call `n`, named "VIP" when n is a multiple of `every`: a search for "vip" finds those
    alone (every number holds most digits, so digits make poor searches here)."""
    return call(n, caller_name="VIP" if n % every == 0 else f"Caller {n}")


@pytest.mark.parametrize("arrivals", [2, 40], ids=["row by row", "one layout change"])
def test_search_results_follow_a_refresh_that_adds_and_removes_matching_calls(
    arrivals: int,
) -> None:
    clock = Clock()
    model = CallsTableModel(clock=clock)
    model.apply([vip(i, 5) for i in range(30)])
    flt = CallFilter.of("vip")
    model.set_filter(flt)
    assert shown_uuids(model) == model_order(model, flt) and model.rowCount() == 6
    present = [vip(i, 5) for i in range(30) if i not in (1, 5, 10)]  # two of them end
    refreshed = present + [vip(i, 2) for i in range(100, 100 + arrivals)]  # even ones match
    model.apply(refreshed)
    assert model.rowCount() == 6 + arrivals // 2  # ended calls fade out first
    clock.now += FADE_SECONDS + 1
    model.apply(refreshed)
    assert model.row_of("uuid-00005") is None and model.row_of("uuid-00100") is not None
    assert shown_uuids(model) == model_order(model, flt)
    assert model.rowCount() == 4 + arrivals // 2
    assert model.unfiltered_count() == 27 + arrivals


def test_a_hidden_call_arriving_or_leaving_sends_no_row_signals() -> None:
    clock = Clock()
    model = CallsTableModel(clock=clock)
    model.apply([call(i) for i in range(10)])
    model.set_filter(CallFilter.of("uuid-0000"))  # uuid-00000 .. uuid-00009: all, not 10
    signals: list[str] = []
    for name in ("rowsInserted", "rowsRemoved", "dataChanged", "layoutChanged", "modelReset"):
        getattr(model, name).connect(lambda *_, n=name: signals.append(n))
    model.apply([call(i) for i in range(11)])  # uuid-00010 arrives: not shown
    assert signals == [] and model.rowCount() == 10 and model.unfiltered_count() == 11
    model.apply([call(i) for i in range(10)])
    clock.now += FADE_SECONDS + 1
    model.apply([call(i) for i in range(10)])  # uuid-00010 fades, then leaves, unseen
    assert signals == [] and model.unfiltered_count() == 10
    model.apply([call(i) for i in range(9)] + [call(9, caller_name="Renamed")])
    assert signals == ["dataChanged"] and model.rowCount() == 10


def test_a_search_that_shows_the_same_rows_changes_no_layout() -> None:
    model = CallsTableModel(clock=Clock())
    model.apply([call(i) for i in range(20)])
    layouts: list[int] = []
    model.layoutChanged.connect(lambda *_: layouts.append(1))
    model.set_filter(CallFilter.of("+"))  # every number has one
    model.set_filter(CallFilter.of("+4"))
    assert layouts == [] and model.rowCount() == 20
    model.set_filter(CallFilter.of("+4 uuid-00003"))
    assert layouts == [1] and shown_uuids(model) == ["uuid-00003"]


def test_a_busy_refresh_is_one_layout_change_and_nothing_else() -> None:
    clock = Clock()
    model = CallsTableModel(clock=clock)
    model.apply([call(i) for i in range(100)])
    model.apply([call(i) for i in range(20, 100)])  # 20 end and fade
    clock.now += FADE_SECONDS + 1
    signals: list[str] = []
    for name in ("rowsInserted", "rowsRemoved", "dataChanged", "layoutChanged", "modelReset"):
        getattr(model, name).connect(lambda *_, n=name: signals.append(n))
    # 20 faded calls leave, 10 more end, 30 arrive: many runs of rows, one layout change
    result = model.apply([call(i) for i in range(30, 130)])
    assert (result.removed, result.faded, result.added) == (20, 10, 30)
    assert signals == ["layoutChanged"]
    signals.clear()
    model.apply([call(i) for i in range(32, 130)])  # two end: one repaint says so
    assert signals == ["dataChanged"]


@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
def test_sort_and_search_together(order: Qt.SortOrder) -> None:
    model = CallsTableModel(clock=Clock())
    model.apply([vip(i, 3) for i in range(60)])
    flt = CallFilter.of("VIP", "outbound")  # even multiples of 3: 0, 6, .., 54
    model.set_filter(flt)
    model.sort(Column.FROM, order)
    descending = order == Qt.SortOrder.DescendingOrder
    froms = [model.index(r, Column.FROM).data() for r in range(model.rowCount())]
    assert froms == sorted(froms, reverse=descending) and len(froms) == 10
    model.apply([vip(i, 3) for i in range(60)] + [vip(i, 3) for i in range(200, 230)])
    froms = [model.index(r, Column.FROM).data() for r in range(model.rowCount())]
    assert froms == sorted(froms, reverse=descending) and len(froms) == 15
    assert shown_uuids(model) == model_order(model, flt)
    assert "uuid-00204" in shown_uuids(model) and "uuid-00207" not in shown_uuids(model)


def test_the_selected_call_stays_selected_through_searches_and_refreshes(qtbot: QtBot) -> None:
    clock = Clock()
    view = shown_view(qtbot, clock)
    view.model.apply([vip(i, 10) for i in range(300)])
    assert view.select_call("uuid-00150")
    qtbot.keyClicks(view.search, "vip")
    assert view.count.text() == "30 of 300 shown"
    table = view.table
    assert table.currentIndex().data(UUID_ROLE) == "uuid-00150"
    assert table.selectionModel().isSelected(table.currentIndex())
    survivors = [vip(i, 10) for i in range(300) if i % 3 or i == 150]  # 9 VIPs end
    arriving = [vip(i, 2) for i in range(1000, 1030)]  # 15 VIPs
    view.model.apply(survivors + arriving)
    clock.now += FADE_SECONDS + 1
    view.model.apply(survivors + arriving)
    total = len(survivors) + len(arriving)
    qtbot.waitUntil(lambda: view.count.text() == f"{21 + 15} of {total} shown")
    assert view.selected_call() == "uuid-00150"
    assert table.currentIndex().data(UUID_ROLE) == "uuid-00150"
    assert table.selectionModel().isSelected(table.currentIndex())
    for _ in "vip":  # erased key by key: the list grows back to every call
        qtbot.keyClick(view.search, Qt.Key.Key_Backspace)
    assert view.count.text() == f"{total} live calls"
    assert view.selected_call() == "uuid-00150"
    assert table.currentIndex().data(UUID_ROLE) == "uuid-00150"
    assert table.visualRect(table.currentIndex()).intersects(table.viewport().rect())


def test_the_list_looks_as_with_qts_own_delegate(qtbot: QtBot) -> None:
    """CallCells reads a cell in one call; what it draws must be what Qt's own would."""
    clock = Clock()
    view = shown_view(qtbot, clock)
    view.resize(1600, 300)  # every column in view
    view.model.apply([call(i) for i in range(40)])
    qtbot.waitUntil(lambda: view.table.isVisible() and view.table.viewport().width() > 1000)
    view.model.apply([call(i) for i in range(40) if i % 4])  # every fourth ends: faded
    view.set_stream_count("uuid-00038", 2)  # numbers are right-aligned
    clock.now += 3600
    assert view.select_call("uuid-00037")
    table = view.table
    qtbot.waitUntil(lambda: table.currentIndex().isValid())
    streams = view.model.index_of("uuid-00038", Column.STREAMS)
    assert streams.data() == "2"
    assert table.visualRect(streams).right() < table.viewport().width()
    ended = view.model.index_of("uuid-00036", Column.STATUS)  # fourth from the top
    assert ended.data() == "ended" and ended.data(Qt.ItemDataRole.ForegroundRole) is not None
    ours = table.viewport().grab().toImage()
    table.setItemDelegate(QStyledItemDelegate(table))
    theirs = table.viewport().grab().toImage()
    assert ours == theirs


def test_a_search_typed_again_after_a_refresh_sees_the_refreshed_calls() -> None:
    model = CallsTableModel(clock=Clock())
    model.apply([vip(i, 5) for i in range(20)])
    for text in ("v", "vi", "vip", "vi", ""):  # typed, then erased
        model.set_filter(CallFilter.of(text))
    model.apply([vip(i, 5) for i in range(19)] + [call(19, caller_name="VIP")])  # renamed
    for text, shown in (("v", 5), ("vi", 5), ("vip", 5), ("vi", 5)):
        model.set_filter(CallFilter.of(text))
        assert model.rowCount() == shown  # 0, 5, 10, 15 and the renamed 19
    assert "uuid-00019" in shown_uuids(model)
    assert CallFilter.of("vip 19").refines(CallFilter.of("vi"))
    assert not CallFilter.of("vi").refines(CallFilter.of("vip"))
    assert not CallFilter.of("vip").refines(CallFilter.of("vip", "inbound"))
    assert CallFilter.of("vip", "inbound").refines(CallFilter.of("vip"))


async def ended_marked(model: CallsTableModel, call_uuid: str) -> None:
    """Until a refresh running in slices has marked `call_uuid` ended (its first slice)."""
    while not model.is_ended(model.row_of(call_uuid) or 0):
        await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_a_change_between_a_busy_refreshs_slices_is_kept() -> None:
    model = CallsTableModel(clock=Clock())
    model.apply([call(i) for i in range(100)])
    plans: list[int] = []
    plan = model._plan

    def counted(gone: set[str], new: list[LiveCall]) -> list[list[Any]]:
        plans.append(len(new))
        return plan(gone, new)

    model._plan = counted  # type: ignore[method-assign]
    refresh = asyncio.ensure_future(
        model.apply_in_slices([call(i) for i in range(30, 160)], slice_s=0.0)
    )
    while not plans:  # the new columns are built; the swap is a slice away
        await asyncio.sleep(0)
    model.set_stream_count("uuid-00050", 2)  # a stream starts meanwhile
    result = await refresh
    assert result.added == 60 and len(plans) == 2  # built again, with the stream
    assert model.streams[model.row_of("uuid-00050") or 0] == 2
    assert model.row_of("uuid-00159") is not None
    assert model.is_ended(model.row_of("uuid-00000") or 0)


@pytest.mark.asyncio
async def test_a_busy_refresh_cancelled_midway_still_says_what_ended() -> None:
    model = CallsTableModel(clock=Clock())
    every = [call(i) for i in range(160)]  # the same objects each refresh, as the API's cache
    model.apply(every[:100])
    changed: list[int] = []
    model.dataChanged.connect(lambda *_: changed.append(1))
    calls = every[30:]
    refresh = asyncio.ensure_future(model.apply_in_slices(calls, slice_s=0.0))
    await ended_marked(model, "uuid-00000")
    refresh.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await refresh
    assert changed  # the ended rows are repainted, though the layout change never came
    assert model.row_of("uuid-00159") is None
    result = model.apply(calls)  # the next refresh finishes the job
    assert result.added == 60 and model.row_of("uuid-00159") is not None
