"""The live calls as a Qt table model, built for 10,000 rows that change every few seconds.

Rows are stored column by column (one Python list per field) rather than as a dict per row, and
a refresh is applied as a diff worked out with set arithmetic: rows that ended are faded then
removed, new rows go to their sorted place, changed rows get one `dataChanged`. A few insertions
and removals are signalled row by row; more than a few (a busy call centre's every refresh) are
built in a slice of their own and swapped in as one layout change, since each begin/end pair is
walked by the view, its headers and the selection. There is never a model reset, so the view
keeps the agent's selection and scroll position. Where the time goes: docs/performance.md.

The model sorts and filters itself, with no QSortFilterProxyModel in front: a proxy asks Python
once per row for every layout change (`filterAcceptsRow`, ~1 µs each, ~12 ms at 10,000 rows) and
sorts through per-row comparisons. Here `sort` reorders the columns with one `sorted` call and a
filter change is one list comprehension over the rows' lower-case search strings, giving the
stored rows shown (`_shown`). So there are two kinds of row number: the Python API (`row_of`,
`uuids[row]`, `is_ended`, ...) speaks of stored rows, every row in sorted order; Qt's indexes
speak of shown rows, which are the stored rows while no filter hides any.
"""

from __future__ import annotations

import bisect
import contextlib
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import is_, is_not, itemgetter
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from console.domain.calls import LiveCall
from console.domain.numbers import display_number
from console.domain.times import format_clock, parse_plivo_time
from console.ui.calls_columns import HEADERS, Column, sort_keys
from console.ui.calls_filter import CallFilter, search_key
from console.ui.plain_text import tooltip_text
from console.ui.table_model import FlatTableModel, Index

FADE_SECONDS = 8.0
# More runs of rows than this to insert or remove in one refresh: one layout change instead of a
# begin/end pair per run, each walked by the view, its headers and the selection.
ROW_SIGNALS_MAX = 8
FILTERS_KEPT = 8  # recent searches whose rows are remembered until the rows change


UUID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
SEARCH_ROLE = int(Qt.ItemDataRole.UserRole) + 2
ENDED_ROLE = int(Qt.ItemDataRole.UserRole) + 3
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_ROLES = frozenset({_DISPLAY, _TOOLTIP, _FOREGROUND, _ALIGN, UUID_ROLE, SEARCH_ROLE, ENDED_ROLE})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
NUMERIC_COLUMNS = frozenset({int(Column.DURATION), int(Column.STREAMS)})  # right-aligned
_STATUS = int(Column.STATUS)
_DURATION = int(Column.DURATION)
_LAST_COLUMN = len(Column) - 1


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
        self._filter = CallFilter()
        self._found: dict[CallFilter, list[int]] = {}  # recent filters' rows (_matching)
        self._found_version = -1
        # The stored rows shown, ascending, while the filter hides some; None: all are shown.
        self._shown: list[int] | None = None
        self._sort_column = Column.STARTED
        self._sort_order = Qt.SortOrder.DescendingOrder
        self._estimated = False  # durations shown as estimates while the list is not refreshing
        # Bumped by every change to the rows, so that a refresh prepared in slices and the
        # remembered searches can tell.
        self._version = 0

    # --- reading: Qt's side, by shown row -------------------------------------------------------
    def row_total(self) -> int:
        """Rows shown (Qt's row count): the calls the filter lets through."""
        shown = self._shown
        return len(self.uuids) if shown is None else len(shown)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        shown = self._shown
        if shown is not None:
            if not 0 <= row < len(shown):
                return None
            row = shown[row]
        return self.value(row, index.column(), role)

    def cell(self, row: int, column: int) -> tuple[str, bool]:
        """(text, ended) of the cell at a shown row: all the list's delegate paints, in one
        call (CallCells)."""
        shown = self._shown
        stored = row if shown is None else shown[row]
        return self._display(stored, column), self.ended_at[stored] is not None

    def value(self, row: int, col: int, role: int) -> Any:
        """`data` by stored row and column (tooltips, screen readers; painting reads `cell`)."""
        # Plain int roles, no enum lookups on the way.
        if role not in _ROLES or row >= len(self.uuids) or row < 0:
            return None
        if role == _DISPLAY:
            return self._display(row, col)
        if role == _FOREGROUND:
            return faded_text_colour() if self.ended_at[row] is not None else None
        if role == _ALIGN:
            return _RIGHT if col in NUMERIC_COLUMNS else None
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

    def index_of(self, call_uuid: str, column: int = 0) -> QModelIndex:
        """The call's cell as the view shows it; invalid if it has no row or the filter hides
        it."""
        return self._shown_index(self.row_of(call_uuid), column)

    def _shown_index(self, row: int | None, column: int) -> QModelIndex:
        shown_row = None if row is None else self._shown_row(row)
        return QModelIndex() if shown_row is None else self.createIndex(shown_row, column)

    def _shown_row(self, row: int) -> int | None:
        shown = self._shown
        if shown is None:
            return row
        at = bisect.bisect_left(shown, row)
        return at if at < len(shown) and shown[at] == row else None

    def _stored_row(self, shown_row: int) -> int:
        shown = self._shown
        return shown_row if shown is None else shown[shown_row]

    # --- reading: the Python API, by stored row -------------------------------------------------
    def unfiltered_count(self) -> int:
        """Every row, shown or hidden by the filter (ended calls still fading included)."""
        return len(self.uuids)

    def row_of(self, call_uuid: str) -> int | None:
        return self.row_index().get(call_uuid)

    def row_index(self) -> dict[str, int]:
        """uuid -> stored row, rebuilt on demand after rows were inserted, removed or sorted."""
        if self._row_of is None:
            self._row_of = {u: i for i, u in enumerate(self.uuids)}
        return self._row_of

    def _rows_of(self, uuids: Iterable[str]) -> dict[str, int]:
        """The stored rows of a few calls (those under the selection and the current row),
        without rebuilding the index of every uuid just for them."""
        if self._row_of is not None:
            return {u: self._row_of[u] for u in uuids if u in self._row_of}
        found = {}
        for u in set(uuids):
            with contextlib.suppress(ValueError):  # its call is gone
                found[u] = self.uuids.index(u)
        return found

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
        if self.row_total():
            first = self.index(0, Column.DURATION)
            last = self.index(self.row_total() - 1, Column.DURATION)
            self.dataChanged.emit(first, last, [Qt.ItemDataRole.DisplayRole])

    @property
    def estimated(self) -> bool:
        return self._estimated

    # --- filtering ------------------------------------------------------------------------------
    @property
    def filter(self) -> CallFilter:
        return self._filter

    def set_filter(self, new: CallFilter) -> None:
        """Show only the calls `new` accepts: one layout change, and none at all when the rows
        shown stay the same (typing "4" then "44" where every number has both)."""
        if new == self._filter:
            return
        self._filter = new
        self._refilter()

    def _matching(self) -> list[int] | None:
        """The stored rows the filter shows; None when it shows them all. The rows of the last
        few filters are kept until the rows change: erasing a search goes back to rows already
        found, and typing on looks only among the rows found for the text before."""
        flt = self._filter
        if not flt.active:
            return None
        if self._found_version != self._version:
            self._found.clear()
            self._found_version = self._version
        rows = self._found.get(flt)
        if rows is None:
            among = min(
                (found for known, found in self._found.items() if flt.refines(known)),
                key=len,
                default=None,
            )
            rows = flt.rows(self.directions, self.search, among)
            self._found[flt] = rows
            if len(self._found) > FILTERS_KEPT:
                del self._found[next(iter(self._found))]  # the oldest
        return None if len(rows) == len(self.uuids) else rows

    def _all_shown(self) -> None:
        """Back to no mapping once the filter hides no row (the last hidden one left)."""
        if self._shown is not None and len(self._shown) == len(self.uuids):
            self._shown = None

    def _refilter(self) -> None:
        shown = self._matching()
        if shown == self._shown:
            return

        def show() -> None:
            self._shown = shown

        self._relayout(show)

    def _relayout(self, change: Callable[[], None]) -> None:
        """Apply `change` (new columns, a new order, a new filter) as one layout change: the
        persistent indexes (the selection, the current row) follow their calls, or become
        invalid when their call is gone or hidden."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        uuids = [self.uuids[self._stored_row(p.row())] for p in persistent]
        change()
        rows = self._rows_of(uuids)
        moved = [
            self._shown_index(rows.get(u), p.column())
            for u, p in zip(uuids, persistent, strict=True)
        ]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

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
        try:
            while (result := _advance(steps)) is None:
                # A timer, not sleep(0): qasync runs zero-delay callbacks ahead of timers already
                # due, so a sleep(0) chain would starve every other task's wake-up until it ends.
                await asyncio.sleep(0.001)
        finally:
            steps.close()  # cancelled: the steps say what they changed (GeneratorExit)
        return result

    def _apply_steps(
        self, calls: Iterable[LiveCall], keep: Iterable[str], slice_s: float | None
    ) -> Generator[None, None, ApplyResult]:
        budget = _Budget(slice_s)
        self._version += 1
        now = self._clock()
        incoming = {c.call_uuid: c for c in calls}
        gone, fading, touched, new = self._diff(incoming)
        for row in gone:
            self.ended_at[row] = now
        repaint = list(gone)  # rows to repaint, signalled together (one dataChanged)
        changed = 0
        for row, call in touched:
            if self._update_row(row, call):
                changed += 1
                repaint.append(row)
            # Rows do not move in this phase, so the row numbers stay valid across hand-backs.
            if budget.spent():
                self._rows_changed(repaint)
                repaint = []
                yield
                budget.restart()
        keep_set = set(keep)
        expired = [
            row
            for row in fading
            if (ended := self.ended_at[row]) is not None
            and now - ended >= FADE_SECONDS
            and self.uuids[row] not in keep_set
        ]
        result = ApplyResult(added=len(new), removed=len(expired), changed=changed, faded=len(gone))
        if len(_descending_runs(expired)) + len(new) <= ROW_SIGNALS_MAX:
            self._rows_changed(repaint)
            if changed and self._filter.active:
                self._refilter()  # a changed name or number may match the search now, or not
            self._remove_rows(expired)
            for call in new:
                self._insert(call)
            return result
        # Many rows to remove and insert: one layout change, which repaints every row anyway,
        # so the rows changed above need no dataChanged of their own. The new columns are built
        # in a slice of their own, so that the layout change (which the view follows with a
        # repaint) holds the loop only for swapping them in.
        leaving = {self.uuids[row] for row in expired}  # by uuid: rows may move meanwhile
        rebuilt, version = None, -1
        try:
            if slice_s is not None:
                yield
                rebuilt, version = self._plan(leaving, new), self._version
                yield
        except GeneratorExit:  # cancelled before the layout change: say what changed after all
            self._rows_changed(range(len(self.uuids)))
            raise
        if rebuilt is None or self._version != version:  # in one go, or changed meanwhile
            rebuilt = self._plan(leaving, new)
        self._commit(rebuilt)
        return result

    def _diff(
        self, incoming: dict[str, LiveCall]
    ) -> tuple[list[int], list[int], list[tuple[int, LiveCall]], list[LiveCall]]:
        """(rows whose call is no longer listed, rows already ended and still not listed,
        (row, call) for rows whose call may have changed or came back, calls new to the list).

        Most rows are unchanged (the API's cache hands back the very same objects), so the rows
        are sifted with `map` and `compress`, which run in C, and only the few left over are
        looked at in Python."""
        uuids, ended_at = self.uuids, self.ended_at
        rows = range(len(uuids))
        current = list(map(incoming.get, uuids))  # each row's call now; None if not listed
        missing = list(compress(rows, map(is_, current, repeat(None))))
        gone = [row for row in missing if ended_at[row] is None]
        fading = [row for row in missing if ended_at[row] is not None]
        differ = set(compress(rows, map(is_not, current, self.records)))
        differ.update(compress(rows, map(is_not, ended_at, repeat(None))))
        differ.difference_update(missing)
        touched = [(row, call) for row in sorted(differ) if (call := current[row]) is not None]
        new: list[LiveCall] = []
        if len(incoming) > len(uuids) - len(missing):
            known = self.row_index()
            new = [call for u, call in incoming.items() if u not in known]
        return gone, fading, touched, new

    def set_stream_count(self, call_uuid: str, count: int) -> None:
        row = self.row_of(call_uuid)
        if row is not None and self.streams[row] != count:
            self.streams[row] = count
            self._version += 1
            idx = self._shown_index(row, Column.STREAMS)
            if idx.isValid():
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
        self._version += 1  # its search key may have changed
        return True

    def _rows_changed(self, rows: Sequence[int]) -> None:
        """One `dataChanged` spanning the shown rows among `rows` (stored rows), not one per
        row: the view repaints what of the span it shows either way."""
        if not rows:
            return
        shown = [r for r in map(self._shown_row, rows) if r is not None]
        if shown:
            self.dataChanged.emit(
                self.createIndex(min(shown), 0), self.createIndex(max(shown), _LAST_COLUMN)
            )

    def _insert(self, call: LiveCall) -> None:
        fields = self._new_rows([call])[0]
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        row = _insertion_row(self.keys, fields[-1], descending)
        shows = self._filter.accepts(fields[3], fields[10])  # by direction and search key
        if self._shown is None and not shows:
            self._shown = list(range(len(self.uuids)))  # from now on one row is hidden
        shown = self._shown
        at = row if shown is None else bisect.bisect_left(shown, row)
        if shows:
            self.beginInsertRows(QModelIndex(), at, at)
        for column, value in zip(self._columns(), fields, strict=True):
            column.insert(row, value)
        if shown is not None:
            shown[at:] = ([row] if shows else []) + [r + 1 for r in shown[at:]]
            self._all_shown()
        self._reindex()  # rebuilt once, when next asked for
        if shows:
            self.endInsertRows()

    def _new_rows(self, calls: Sequence[LiveCall]) -> list[tuple[Any, ...]]:
        """Each new call's value in each of `_columns`, in that order (its sort key last); the
        sort keys made in one go (`sort_keys`)."""
        rows = [(c.call_uuid, *self._values(c), 0, None, search_key(c), c) for c in calls]
        columns = list(zip(*rows, strict=True)) or [()] * 12
        keys = sort_keys(self._sort_column, columns[1:8], columns[0], columns[8])
        return [(*fields, key) for fields, key in zip(rows, keys, strict=True)]

    def _plan(self, gone: set[str], new: list[LiveCall]) -> list[list[Any]]:
        """The columns without the rows of `gone` and with `new` at their sorted places (calls
        already listed are skipped)."""
        index = self.row_index()
        arrivals = self._new_rows([call for call in new if call.call_uuid not in index])
        if len(arrivals) > len(self.uuids) // 16:
            return self._sorted_plan(gone, arrivals)
        return self._sliced_plan(gone, arrivals)

    def _sliced_plan(self, gone: set[str], arrivals: list[tuple[Any, ...]]) -> list[list[Any]]:
        """`_plan` from slices of the old columns between the rows that go and the places where
        rows arrive: the cost is in the changes, not in the rows (a refresh's 1%)."""
        index, keys = self.row_index(), self.keys
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        arrivals.sort(key=_last, reverse=descending)
        # (old row, 0: the i-th arrival goes before it | 1: it goes), in row order.
        cuts = [
            (_insertion_row(keys, fields[-1], descending), 0, i)
            for i, fields in enumerate(arrivals)
        ]
        cuts += [(index[u], 1, 0) for u in gone if u in index]
        cuts.sort()
        pieces: list[slice | int] = []  # old rows to keep (a slice) or an arrival (its number)
        start = 0
        for row, goes, arrival in cuts:
            if row > start:
                pieces.append(slice(start, row))
                start = row
            if goes:
                start = row + 1
            else:
                pieces.append(arrival)
        pieces.append(slice(start, len(self.uuids)))
        rebuilt = []
        for j, column in enumerate(self._columns()):
            values: list[Any] = []
            for piece in pieces:
                if isinstance(piece, slice):
                    values += column[piece]
                else:
                    values.append(arrivals[piece][j])
            rebuilt.append(values)
        return rebuilt

    def _sorted_plan(self, gone: set[str], arrivals: list[tuple[Any, ...]]) -> list[list[Any]]:
        """`_plan` as one sort of old and new rows: for many arrivals (the first load) cheaper
        than placing each."""
        n = len(self.uuids)
        new_columns = list(zip(*arrivals, strict=True)) or [()] * len(self._columns())
        extended = [
            column + list(values)
            for column, values in zip(self._columns(), new_columns, strict=True)
        ]
        keys = extended[-1]
        staying = [row for row, u in enumerate(self.uuids) if u not in gone]  # in order
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        arriving = sorted(range(n, n + len(arrivals)), key=keys.__getitem__, reverse=descending)
        # Two sorted runs: Python's sort merges them in one linear pass.
        order = sorted(staying + arriving, key=keys.__getitem__, reverse=descending)
        return _reordered(extended, order)

    def _commit(self, rebuilt: list[list[Any]]) -> None:
        """Swap in `rebuilt` columns in one layout change; the rows shown follow the filter."""

        def swap() -> None:
            for column, values in zip(self._columns(), rebuilt, strict=True):
                column[:] = values
            self._reindex()
            self._shown = self._matching()

        self._relayout(swap)

    def _remove_rows(self, rows: Sequence[int]) -> None:
        for first, last in _descending_runs(rows):
            self._remove_run(first, last)

    def _remove_run(self, first: int, last: int) -> None:
        shown = self._shown
        if shown is None:
            top, bottom = first, last
        else:
            top, bottom = bisect.bisect_left(shown, first), bisect.bisect_right(shown, last) - 1
        if top <= bottom:
            self.beginRemoveRows(QModelIndex(), top, bottom)
        for column in self._columns():
            del column[first : last + 1]
        if shown is not None:
            count = last - first + 1
            shown[top:] = [r - count for r in shown[bottom + 1 :]]
            self._all_shown()
        self._reindex()
        if top <= bottom:
            self.endRemoveRows()

    def _columns(self) -> list[list[Any]]:
        """Every per-row list, in the order of `_new_rows`' fields."""
        return [
            self.uuids,
            *self._value_columns(),
            self.streams,
            self.ended_at,
            self.search,
            self.records,
            self.keys,
        ]

    def _value_columns(self) -> tuple[list[Any], ...]:
        """The lists of `_values`, in that order (what sort keys are made of)."""
        return (
            self.froms,
            self.tos,
            self.directions,
            self.callers,
            self.statuses,
            self.starts,
            self.started_text,
        )

    def _reindex(self) -> None:
        self._row_of = None
        self._version += 1

    # --- sorting --------------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = Column(column)
        self._sort_order = order
        values = self._value_columns()
        self.keys[:] = sort_keys(self._sort_column, values, self.uuids, self.streams)
        # Plain keys, Python's own reverse: a key wrapper with __lt__ costs a Python call per
        # comparison (~0.1 s more at 10,000 rows).
        descending = order == Qt.SortOrder.DescendingOrder
        perm = sorted(range(len(self.uuids)), key=self.keys.__getitem__, reverse=descending)
        if perm == list(range(len(self.uuids))):
            return
        self._commit(_reordered(self._columns(), perm))

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

    def spent(self) -> bool:
        """True once the slice is used up: hand the loop back, then `restart`."""
        return self.slice_s is not None and time.perf_counter() - self.started > self.slice_s

    def restart(self) -> None:
        self.started = time.perf_counter()


def _advance(steps: Generator[None, None, ApplyResult]) -> ApplyResult | None:
    """Run one slice of a refresh; its result once the last slice is done."""
    try:
        next(steps)
    except StopIteration as done:
        result: ApplyResult = done.value
        return result
    return None


def _last(fields: tuple[Any, ...]) -> Any:
    return fields[-1]


def _reordered(columns: list[list[Any]], order: list[int]) -> list[list[Any]]:
    """Each column's values taken in `order` (by old row number)."""
    if len(order) < 2:  # itemgetter of one index returns the value itself, not a tuple
        return [[column[i] for i in order] for column in columns]
    take = itemgetter(*order)  # built once, applied in C: ~3x a comprehension per column
    return [list(take(column)) for column in columns]


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


def faded_text_colour() -> QColor:
    """How an ended call's text is drawn: as disabled text."""
    palette = QApplication.palette()
    return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
