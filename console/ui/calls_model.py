"""The live calls as a Qt table model, built for 10,000 rows that change every few seconds.

Rows are stored column by column (one Python list per field) rather than as a dict per row, and
a refresh is applied as a diff worked out with set arithmetic: rows that ended are faded then
removed, new rows go to their sorted place, changed cells get `dataChanged`. A few insertions
and removals are signalled row by row; more than a few (a busy call centre's every refresh) are
built in a slice of their own and swapped in as one layout change, since each begin/end pair is
walked by the proxy, the view, its headers and the selection. There is never a model reset, so
the view keeps the agent's selection and scroll position. Where the time goes:
docs/performance.md.

The model sorts itself (`sort` reorders the columns with one `sorted` call); the filter proxy in
front of it forwards sort requests here instead of sorting through per-row Python callbacks,
which costs ~0.7 s at 10,000 rows.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from console.domain.calls import LiveCall
from console.domain.numbers import display_number
from console.domain.times import format_clock, parse_plivo_time
from console.ui.calls_columns import HEADERS, Column, sort_key
from console.ui.plain_text import tooltip_text
from console.ui.table_model import FlatTableModel, Index

FADE_SECONDS = 8.0
# More runs of rows than this to insert or remove in one refresh: one layout change instead of a
# begin/end pair per run, each walked by the proxy, the view, its headers and the selection.
ROW_SIGNALS_MAX = 8


UUID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
SEARCH_ROLE = int(Qt.ItemDataRole.UserRole) + 2
ENDED_ROLE = int(Qt.ItemDataRole.UserRole) + 3
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_ROLES = frozenset({_DISPLAY, _TOOLTIP, _FOREGROUND, _ALIGN, UUID_ROLE, SEARCH_ROLE, ENDED_ROLE})
CELL_ROLES = _ROLES  # every role `value` answers
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_NUMERIC = frozenset({int(Column.DURATION), int(Column.STREAMS)})
_STATUS = int(Column.STATUS)
_DURATION = int(Column.DURATION)


@dataclass(frozen=True, slots=True)
class ApplyResult:
    added: int
    removed: int
    changed: int
    faded: int


class CallsTableModel(FlatTableModel):
    HEADERS = tuple(HEADERS[column] for column in Column)

    def __init__(self, clock: Callable[[], float] = time.time, parent: Any = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self.uuids: list[str] = []
        self.froms: list[str] = []
        self.tos: list[str] = []
        self.directions: list[str] = []
        self.callers: list[str] = []
        self.statuses: list[str] = []
        self.starts: list[float | None] = []
        self.started_text: list[str] = []
        self.streams: list[int] = []
        self.ended_at: list[float | None] = []
        self.search: list[str] = []  # lower-cased from/to/caller/uuid, for the filter
        self.records: list[LiveCall] = []  # what each row was built from, to skip unchanged rows
        self.keys: list[Any] = []  # each row's sort key, in the current order
        self._row_of: dict[str, int] | None = {}  # uuid -> row; None when rows have moved
        self._sort_column = Column.STARTED
        self._sort_order = Qt.SortOrder.DescendingOrder
        self._estimated = False  # durations shown as estimates while the list is not refreshing
        self._version = 0  # bumped by every change, so a refresh prepared in slices can tell

    # --- reading ------------------------------------------------------------------------------
    def row_total(self) -> int:
        return len(self.uuids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return self.value(index.row(), index.column(), role)

    def value(self, row: int, col: int, role: int) -> Any:
        """`data` by row and column: the filter proxy answers a whole cell (every role the
        delegate asks for) with one call into Python through this (CallsFilterProxy.multiData)."""
        # Called thousands of times per repaint: plain int roles, no enum lookups on the way.
        if role not in _ROLES or row >= len(self.uuids) or row < 0:
            return None
        if role == _DISPLAY:
            return self._display(row, col)
        if role == _FOREGROUND:
            return _faded_colour() if self.ended_at[row] is not None else None
        if role == _ALIGN:
            return _RIGHT if col in _NUMERIC else None
        if role == UUID_ROLE:
            return self.uuids[row]
        if role == SEARCH_ROLE:
            return self.search[row]
        if role == ENDED_ROLE:
            return self.ended_at[row] is not None
        return self._tooltip(row, col)

    def _tooltip(self, row: int, col: int) -> str:
        if col == _STATUS and self.ended_at[row] is not None:
            return "This call has ended; it leaves the list in a few seconds."
        if col == _DURATION and self._estimated and self.ended_at[row] is None:
            return (
                "Estimated: the list is not being refreshed, so this is the time since the "
                "call started; it may have ended since."
            )
        return tooltip_text(self._display(row, col))

    def _display(self, row: int, col: int) -> str:
        if col == 0:
            return self.froms[row]
        if col == 1:
            return self.tos[row]
        if col == 2:
            return self.directions[row]
        if col == 3:
            return self.callers[row]
        if col == 4:
            return "ended" if self.ended_at[row] is not None else self.statuses[row]
        if col == 5:
            return self.started_text[row]
        if col == 6:
            start = self.starts[row]
            ended = self.ended_at[row]
            if start is None:
                return format_clock(None)
            if ended is not None:
                return format_clock(ended - start)
            text = format_clock(self._clock() - start)
            return "~" + text if self._estimated else text
        n = self.streams[row]
        return str(n) if n else ""

    def row_of(self, call_uuid: str) -> int | None:
        return self.row_index().get(call_uuid)

    def row_index(self) -> dict[str, int]:
        """uuid -> row, rebuilt on demand after rows were inserted, removed or sorted."""
        if self._row_of is None:
            self._row_of = {u: i for i, u in enumerate(self.uuids)}
        return self._row_of

    def call_uuid(self, row: int) -> str:
        return self.uuids[row]

    def is_ended(self, row: int) -> bool:
        return self.ended_at[row] is not None

    def ended_count(self) -> int:
        """Rows that say "ended" (still fading out): not live calls."""
        return len(self.ended_at) - self.ended_at.count(None)

    def set_estimated(self, estimated: bool) -> None:
        """While the list is not being refreshed, a live call's duration is only the time since
        it started (it may have ended unseen): shown as "~4:12", with a tooltip saying why."""
        if estimated == self._estimated:
            return
        self._estimated = estimated
        if self.uuids:
            first = self.index(0, Column.DURATION)
            last = self.index(len(self.uuids) - 1, Column.DURATION)
            self.dataChanged.emit(first, last, [Qt.ItemDataRole.DisplayRole])

    @property
    def estimated(self) -> bool:
        return self._estimated

    # --- writing: diff-based refresh --------------------------------------------------------------
    def apply(self, calls: Iterable[LiveCall], *, keep: Iterable[str] = ()) -> ApplyResult:
        """Make the model show `calls` in one go. Calls no longer present are marked ended and
        removed after FADE_SECONDS; uuids in `keep` (the selected call) stay until released."""
        steps = self._apply_steps(calls, keep, slice_s=None)
        while (result := _advance(steps)) is None:
            pass
        return result

    async def apply_in_slices(
        self, calls: Iterable[LiveCall], *, keep: Iterable[str] = (), slice_s: float = 0.008
    ) -> ApplyResult:
        """`apply`, handing the event loop back every `slice_s` so that painting and input go on
        during a large refresh. The model is consistent at every hand-back; if the caller is
        cancelled between slices, the next refresh finishes the job."""
        import asyncio  # only when refreshing: asyncio is not needed to draw the window

        steps = self._apply_steps(calls, keep, slice_s=slice_s)
        while (result := _advance(steps)) is None:
            # A timer, not sleep(0): qasync runs zero-delay callbacks ahead of timers already
            # due, so a sleep(0) chain would starve every other task's wake-up until it ends.
            await asyncio.sleep(0.001)
        return result

    def _apply_steps(
        self, calls: Iterable[LiveCall], keep: Iterable[str], slice_s: float | None
    ) -> Generator[None, None, ApplyResult]:
        budget = _Budget(slice_s)
        now = self._clock()
        incoming = {c.call_uuid: c for c in calls}
        index, records, ended_at = self.row_index(), self.records, self.ended_at
        # Set arithmetic and comprehensions, not a Python step per row: most rows are unchanged
        # (the API's cache hands back the very same objects).
        gone = [index[u] for u in index.keys() - incoming.keys() if ended_at[index[u]] is None]
        touched = [
            (row, call)
            for u, call in incoming.items()
            if (row := index.get(u)) is not None
            and (records[row] is not call or ended_at[row] is not None)
        ]
        for row in gone:
            ended_at[row] = now
            self._row_changed(row)
        changed = 0
        for row, call in touched:
            changed += self._update_row(row, call)
            # Rows do not move in this phase, so the index stays valid across hand-backs.
            yield from budget.pause()
        keep_set = set(keep)
        expired = [
            row
            for row, ended in enumerate(ended_at)
            if ended is not None and now - ended >= FADE_SECONDS and self.uuids[row] not in keep_set
        ]
        new = [c for uuid_, c in incoming.items() if uuid_ not in index]
        if len(_descending_runs(expired)) + len(new) > ROW_SIGNALS_MAX:
            yield from self._restructure_steps({self.uuids[r] for r in expired}, new, budget)
        else:
            self._remove_rows(expired)
            for call in new:
                self._insert(call)
        return ApplyResult(added=len(new), removed=len(expired), changed=changed, faded=len(gone))

    def set_stream_count(self, call_uuid: str, count: int) -> None:
        row = self.row_of(call_uuid)
        if row is not None and self.streams[row] != count:
            self.streams[row] = count
            self._version += 1
            idx = self.index(row, Column.STREAMS)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DisplayRole])

    def clear(self) -> None:
        if self.uuids:
            self._remove_rows(list(range(len(self.uuids))))
            self._reindex()

    def _values(self, call: LiveCall) -> tuple[str, str, str, str, str, float | None, str]:
        start = parse_plivo_time(call.session_start)
        started = time.strftime("%H:%M:%S", time.localtime(start)) if start is not None else "—"
        return (
            display_number(call.from_number),  # one way of writing numbers everywhere
            display_number(call.to_number),
            call.direction or "",
            call.caller_name or "",
            call.call_status or "",
            start,
            started,
        )

    def _update_row(self, row: int, call: LiveCall) -> bool:
        revived = self.ended_at[row] is not None
        previous = self.records[row]
        if not revived and (previous is call or previous == call):
            return False  # the common case: the API's cache hands back the same object
        self.records[row] = call
        values = self._values(call)
        current = (
            self.froms[row],
            self.tos[row],
            self.directions[row],
            self.callers[row],
            self.statuses[row],
            self.starts[row],
            self.started_text[row],
        )
        if current == values and not revived:
            return False
        (
            self.froms[row],
            self.tos[row],
            self.directions[row],
            self.callers[row],
            self.statuses[row],
            self.starts[row],
            self.started_text[row],
        ) = values
        self.ended_at[row] = None
        self.search[row] = search_key(call)
        self._row_changed(row)
        return True

    def _row_changed(self, row: int) -> None:
        self._version += 1
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    def _insert(self, call: LiveCall) -> None:
        fields = self._new_row(call)
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        row = _insertion_row(self.keys, fields[-1], descending)
        self.beginInsertRows(QModelIndex(), row, row)
        for column, value in zip(self._columns(), fields, strict=True):
            column.insert(row, value)
        self._reindex()  # rebuilt once, when next asked for
        self.endInsertRows()

    def _new_row(self, call: LiveCall) -> tuple[Any, ...]:
        """A new call's value in each of `_columns`, in that order (its sort key last)."""
        values = self._values(call)
        key = sort_key(self._sort_column, values, call.call_uuid, 0)
        return (call.call_uuid, *values, 0, None, search_key(call), call, key)

    def _restructure_steps(
        self, gone: set[str], new: list[LiveCall], budget: _Budget
    ) -> Generator[None, None, None]:
        """Remove the rows of `gone` and insert `new` at their sorted places in one layout
        change. The new columns are built first, in a slice of their own, so that the layout
        change itself (which the filter proxy and the view follow at once) holds the loop only
        for swapping them in; if the model changed meanwhile, they are built again."""
        version = self._version
        plan = self._plan(gone, new)
        yield from budget.pause()
        if self._version != version:
            known = self.row_index()
            plan = self._plan(gone, [c for c in new if c.call_uuid not in known])
        self._commit(*plan)

    def _plan(self, gone: set[str], new: list[LiveCall]) -> tuple[list[int], list[list[Any]]]:
        """(old row of each row to be, -- new calls numbered after the old rows --, the columns
        rebuilt in that order)."""
        n = len(self.uuids)
        columns = self._columns()
        arrivals = [self._new_row(call) for call in new]
        extended = [column + [fields[i] for fields in arrivals] for i, column in enumerate(columns)]
        keys = extended[-1]
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        staying = [row for row in range(n) if self.uuids[row] not in gone]  # already in order
        arriving = sorted(range(n, n + len(new)), key=keys.__getitem__, reverse=descending)
        # Two sorted runs: Python's sort merges them in one linear pass.
        order = sorted(staying + arriving, key=keys.__getitem__, reverse=descending)
        return order, [[column[i] for i in order] for column in extended]

    def _commit(self, order: list[int], rebuilt: list[list[Any]]) -> None:
        """Swap in `rebuilt` columns (rows in `order`, by old row number) in one layout change:
        persistent indexes (the selection, the current row) follow their rows."""
        self.layoutAboutToBeChanged.emit()
        n = len(self.uuids)
        new_row = {old: row for row, old in enumerate(order) if old < n}
        old_persistent = self.persistentIndexList()
        for column, values in zip(self._columns(), rebuilt, strict=True):
            column[:] = values
        self._reindex()
        moved = []
        for p in old_persistent:
            row = new_row.get(p.row())
            moved.append(QModelIndex() if row is None else self.index(row, p.column()))
        self.changePersistentIndexList(old_persistent, moved)
        self.layoutChanged.emit()

    def _remove_rows(self, rows: Sequence[int]) -> None:
        for first, last in _descending_runs(rows):
            self._remove_run(first, last)

    def _remove_run(self, first: int, last: int) -> None:
        self.beginRemoveRows(QModelIndex(), first, last)
        for column in self._columns():
            del column[first : last + 1]
        self._reindex()
        self.endRemoveRows()

    def _columns(self) -> list[list[Any]]:
        return [
            self.uuids,
            self.froms,
            self.tos,
            self.directions,
            self.callers,
            self.statuses,
            self.starts,
            self.started_text,
            self.streams,
            self.ended_at,
            self.search,
            self.records,
            self.keys,
        ]

    def _reindex(self) -> None:
        self._row_of = None
        self._version += 1

    # --- sorting --------------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = Column(column)
        self._sort_order = order
        n = len(self.uuids)
        self.keys[:] = [_key_of(self._sort_column, self, r) for r in range(n)]
        # Plain keys, Python's own reverse: a key wrapper with __lt__ costs a Python call per
        # comparison (~0.1 s more at 10,000 rows).
        descending = order == Qt.SortOrder.DescendingOrder
        perm = sorted(range(n), key=self.keys.__getitem__, reverse=descending)
        if perm == list(range(n)):
            return
        self._commit(perm, [[column[i] for i in perm] for column in self._columns()])

    @property
    def sort_column(self) -> Column:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order


class _Budget:
    """How long a slice of a refresh may hold the loop (None: no limit, one go)."""

    def __init__(self, slice_s: float | None) -> None:
        self.slice_s = slice_s
        self.started = time.perf_counter()

    def pause(self) -> Generator[None, None, None]:
        """`yield from` it between steps: hands the loop back once the slice is used up."""
        if self.slice_s is not None and time.perf_counter() - self.started > self.slice_s:
            yield
            self.started = time.perf_counter()


def _advance(steps: Generator[None, None, ApplyResult]) -> ApplyResult | None:
    """Run one slice of a refresh; its result once the last slice is done."""
    try:
        next(steps)
    except StopIteration as done:
        result: ApplyResult = done.value
        return result
    return None


def _insertion_row(keys: list[Any], key: Any, descending: bool) -> int:
    """Where `key` goes in `keys`, sorted ascending or descending (keys are unique: each ends
    with the call's uuid)."""
    if not descending:
        return bisect.bisect_right(keys, key)
    low, high = 0, len(keys)
    while low < high:
        middle = (low + high) // 2
        if key < keys[middle]:
            low = middle + 1
        else:
            high = middle
    return low


def _descending_runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Rows grouped into contiguous (first, last) runs, last run first, so removing them in
    order never shifts a run still to come: one begin/endRemoveRows per run."""
    runs: list[tuple[int, int]] = []
    for row in sorted(rows, reverse=True):
        if runs and runs[-1][0] == row + 1:
            runs[-1] = (row, runs[-1][1])
        else:
            runs.append((row, row))
    return runs


def search_key(call: LiveCall) -> str:
    # Numbers as shown (with their +), so a number copied from the list is found again.
    parts = (display_number(call.from_number), display_number(call.to_number))
    return "\t".join((*parts, call.caller_name or "", call.call_uuid)).lower()


def _key_of(column: Column, model: CallsTableModel, row: int) -> Any:
    values = (
        model.froms[row],
        model.tos[row],
        model.directions[row],
        model.callers[row],
        model.statuses[row],
        model.starts[row],
        model.started_text[row],
    )
    return sort_key(column, values, model.uuids[row], model.streams[row])


def _faded_colour() -> QColor:
    palette = QApplication.palette()
    return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
