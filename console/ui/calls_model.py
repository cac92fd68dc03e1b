"""The live calls as a Qt table model, built for 10,000 rows that change every few seconds.

Rows are stored column by column (one Python list per field) rather than as a dict per row, and
a refresh is applied as a diff: rows that ended are faded then removed, new rows are inserted at
their sorted place, changed cells get `dataChanged`. There is never a model reset for a refresh,
so the view keeps the agent's selection and scroll position.

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
from console.ui.calls_columns import HEADERS, Column, Descending, sort_key
from console.ui.plain_text import tooltip_text
from console.ui.table_model import FlatTableModel, Index

FADE_SECONDS = 8.0
BULK_INSERT_MIN = 200  # more new rows than this (or 10%): append them all, then sort once


UUID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
SEARCH_ROLE = int(Qt.ItemDataRole.UserRole) + 2
ENDED_ROLE = int(Qt.ItemDataRole.UserRole) + 3
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_ROLES = frozenset({_DISPLAY, _TOOLTIP, _FOREGROUND, _ALIGN, UUID_ROLE, SEARCH_ROLE, ENDED_ROLE})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_NUMERIC = frozenset({int(Column.DURATION), int(Column.STREAMS)})
_STATUS = int(Column.STATUS)


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
        self.keys: list[Any] = []  # each row's sort key, ascending in the current order
        self._row_of: dict[str, int] | None = {}  # uuid -> row; None when rows have moved
        self._sort_column = Column.STARTED
        self._sort_order = Qt.SortOrder.DescendingOrder

    # --- reading ------------------------------------------------------------------------------
    def row_total(self) -> int:
        return len(self.uuids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called thousands of times per repaint: plain int roles, no enum lookups on the way.
        if role not in _ROLES:
            return None
        row = index.row()
        if row >= len(self.uuids) or row < 0:
            return None
        if role == _DISPLAY:
            return self._display(row, index.column())
        if role == _FOREGROUND:
            return _faded_colour() if self.ended_at[row] is not None else None
        if role == _ALIGN:
            return _RIGHT if index.column() in _NUMERIC else None
        if role == UUID_ROLE:
            return self.uuids[row]
        if role == SEARCH_ROLE:
            return self.search[row]
        if role == ENDED_ROLE:
            return self.ended_at[row] is not None
        # ToolTipRole
        if index.column() == _STATUS and self.ended_at[row] is not None:
            return "This call has ended; it leaves the list in a few seconds."
        return tooltip_text(self._display(row, index.column()))

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
            end = self.ended_at[row] or self._clock()
            return format_clock(None if start is None else end - start)
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
            await asyncio.sleep(0)
        return result

    def _apply_steps(
        self, calls: Iterable[LiveCall], keep: Iterable[str], slice_s: float | None
    ) -> Generator[None, None, ApplyResult]:
        started = time.perf_counter()

        def over_budget() -> bool:
            return slice_s is not None and time.perf_counter() - started > slice_s

        now = self._clock()
        incoming = {c.call_uuid: c for c in calls}
        changed = faded = 0
        for call_uuid, row in list(self.row_index().items()):
            call = incoming.get(call_uuid)
            if call is None:
                if self.ended_at[row] is None:
                    self.ended_at[row] = now
                    faded += 1
                    self._row_changed(row)
            elif self._update_row(row, call):
                changed += 1
            # Rows do not move in this phase, so the index stays valid across hand-backs.
            if over_budget():
                yield
                started = time.perf_counter()
        keep_set = set(keep)
        expired = [
            row
            for row, ended in enumerate(self.ended_at)
            if ended is not None and now - ended >= FADE_SECONDS and self.uuids[row] not in keep_set
        ]
        known = self.row_index()
        new = [c for uuid_, c in incoming.items() if uuid_ not in known]
        for first, last in _descending_runs(expired):
            self._remove_run(first, last)
            if over_budget():
                yield
                started = time.perf_counter()
        if len(new) > max(BULK_INSERT_MIN, len(self.uuids) // 10):
            self._append_and_sort(new)
        else:
            for call in new:
                self._insert(call)
                if over_budget():
                    yield
                    started = time.perf_counter()
        return ApplyResult(added=len(new), removed=len(expired), changed=changed, faded=faded)

    def set_stream_count(self, call_uuid: str, count: int) -> None:
        row = self.row_of(call_uuid)
        if row is not None and self.streams[row] != count:
            self.streams[row] = count
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
        self.search[row] = _search_key(call)
        self._row_changed(row)
        return True

    def _row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    def _insert(self, call: LiveCall) -> None:
        values = self._values(call)
        key = self._wrap(sort_key(self._sort_column, values, call.call_uuid, 0))
        row = bisect.bisect_right(self.keys, key)
        self.beginInsertRows(QModelIndex(), row, row)
        self.uuids.insert(row, call.call_uuid)
        self.froms.insert(row, values[0])
        self.tos.insert(row, values[1])
        self.directions.insert(row, values[2])
        self.callers.insert(row, values[3])
        self.statuses.insert(row, values[4])
        self.starts.insert(row, values[5])
        self.started_text.insert(row, values[6])
        self.streams.insert(row, 0)
        self.ended_at.insert(row, None)
        self.search.insert(row, _search_key(call))
        self.records.insert(row, call)
        self.keys.insert(row, key)
        self._reindex()  # rebuilt once, when next asked for
        self.endInsertRows()

    def _append_and_sort(self, calls: list[LiveCall]) -> None:
        first = len(self.uuids)
        self.beginInsertRows(QModelIndex(), first, first + len(calls) - 1)
        for call in calls:
            values = self._values(call)
            self.uuids.append(call.call_uuid)
            self.froms.append(values[0])
            self.tos.append(values[1])
            self.directions.append(values[2])
            self.callers.append(values[3])
            self.statuses.append(values[4])
            self.starts.append(values[5])
            self.started_text.append(values[6])
            self.streams.append(0)
            self.ended_at.append(None)
            self.search.append(_search_key(call))
            self.records.append(call)
            self.keys.append(None)  # sort() below computes every key
        self._reindex()
        self.endInsertRows()
        self.sort(self._sort_column, self._sort_order)

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

    # --- sorting --------------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = Column(column)
        self._sort_order = order
        n = len(self.uuids)
        self.keys[:] = [self._wrap(_key_of(self._sort_column, self, r)) for r in range(n)]
        perm = sorted(range(n), key=self.keys.__getitem__)
        if perm == list(range(n)):
            return
        self.layoutAboutToBeChanged.emit()
        old_persistent = self.persistentIndexList()
        new_row = [0] * n
        for new, old in enumerate(perm):
            new_row[old] = new
        for values in self._columns():
            values[:] = [values[i] for i in perm]
        self._reindex()
        self.changePersistentIndexList(
            old_persistent,
            [self.index(new_row[p.row()], p.column()) for p in old_persistent],
        )
        self.layoutChanged.emit()

    def _wrap(self, key: Any) -> Any:
        return key if self._sort_order == Qt.SortOrder.AscendingOrder else Descending(key)

    @property
    def sort_column(self) -> Column:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order


def _advance(steps: Generator[None, None, ApplyResult]) -> ApplyResult | None:
    """Run one slice of a refresh; its result once the last slice is done."""
    try:
        next(steps)
    except StopIteration as done:
        result: ApplyResult = done.value
        return result
    return None


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


def _search_key(call: LiveCall) -> str:
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
