"""The status-callback events as a Qt table model: newest first, paged from the event log.

The log may hold millions of events, so the model holds only the pages the agent has scrolled
through (keyset paging: each page is "the next N older than the last row shown", which costs the
same on page 1 and page 5,000). Qt asks for the next page through `canFetchMore`/`fetchMore` when
the view nears the bottom; the page is awaited from the `EventReader`, whose work runs off the GUI
loop. Rows are kept column by column, like the calls model. Live events are prepended in batches
(`prepend`), one insert per batch; the pane decides how often.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Coroutine, Iterable
from enum import IntEnum
from functools import lru_cache
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    Qt,
    Signal,
)

from console.domain.events import EventFilter, EventReader, StoredEvent, Verdict
from console.domain.failure_words import explain
from console.ui.events_filter import cell_text, is_rejected, matches, tooltip_html
from console.ui.events_style import colour_for, icon_for, kind_of
from console.ui.table_model import FlatTableModel, Index

_log = logging.getLogger(__name__)
PAGE_SIZE = 200
MAX_ROWS = 20_000  # live inserts beyond this drop the oldest loaded rows (they reload on scroll)

ID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_ANSWERED = frozenset((_TOOLTIP, _FOREGROUND, _DECORATION, ID_ROLE))  # besides the display text


class Column(IntEnum):
    TIME = 0
    EVENT = 1
    CALL = 2
    STREAM = 3
    DETAILS = 4


HEADERS = ("Time", "Event", "Call", "Stream", "Details")


def event_label(event: StoredEvent) -> str:
    """What the Event column says: the event name, or why a request was refused."""
    if event.verdict is Verdict.REPLAY:
        return "Replay (answered, kept once)"
    if is_rejected(event):
        return f"Rejected ({event.verdict.value})"
    if event.is_test:
        return "Test callback (sent by this console)"
    return event.event or "(no Event)"


def details_of(event: StoredEvent, *, technical: bool = False) -> str:
    """The one-line summary: the error or reason (in plain words, with the text as received
    too when `technical`: docs/failure-words.md), the buffer fill, or why it was refused."""
    if is_rejected(event):
        return event.detail
    parts = []
    if event.error:
        words = explain(event.error)
        parts.append(words.one_line if technical else words.plain)
    if event.buffer_usage:
        parts.append(f"buffer {event.buffer_usage} %")
    return " · ".join(parts)


def time_text(at: float) -> str:
    return _clock_text(math.floor(at)) + f".{int(at * 1000) % 1000:03d}"


def row_texts(event: StoredEvent) -> tuple[str, ...]:
    """What a row shows, column by column (`Column`)."""
    return (
        time_text(event.received_at),
        cell_text(event_label(event)),
        cell_text(event.call_uuid),
        cell_text(event.stream_id),
        cell_text(details_of(event)),
    )


@lru_cache(maxsize=8)  # live events arrive by the thousand within one second
def _clock_text(second: int) -> str:
    return time.strftime("%H:%M:%S", time.localtime(second))


class EventsTableModel(FlatTableModel):
    HEADERS = HEADERS

    loading_changed = Signal(bool)
    failed = Signal(str)  # the event log could not be read; a sentence for the agent

    def __init__(
        self,
        reader: EventReader | None = None,
        *,
        page_size: int = PAGE_SIZE,
        max_rows: int = MAX_ROWS,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._reader = reader
        self._page_size = page_size
        self._max_rows = max_rows
        self.filter = EventFilter()
        self.ids: list[int] = []
        self.records: list[StoredEvent] = []  # loaded rows only: the details panel and export
        # Each row's display texts, made when a view first asks for one of its cells (None
        # until then): under a flood most live rows scroll past unseen, and making every row's
        # texts on arrival was most of the GUI thread's work per event.
        self._texts: list[tuple[str, ...] | None] = []
        self._exhausted = True
        self._task: asyncio.Task[None] | None = None
        tasks = self._tasks = set[asyncio.Task[None]]()
        # A pane closed while a page is being read: the page is not wanted any more.
        self.destroyed.connect(lambda *_: [t.cancel() for t in list(tasks)])
        self._generation = 0  # bumped by every reload; a page of an older one is dropped
        self.resets = 0  # for tests and benchmarks: model resets since creation

    # --- reading ------------------------------------------------------------------------------
    def row_total(self) -> int:
        return len(self.ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Asked for every role of every visible cell at each repaint (most of them roles this
        # model leaves to the style): the display text first, the rest without a lookup.
        if role == _DISPLAY:
            return self._text(index)
        if role not in _ANSWERED:
            return None
        row, col = index.row(), index.column()
        if not 0 <= row < len(self.ids):
            return None
        if role == _DECORATION:
            return icon_for(kind_of(self.records[row])) if col == Column.EVENT else None
        if role == _FOREGROUND:
            return colour_for(kind_of(self.records[row])) if col == Column.EVENT else None
        if role == _TOOLTIP:
            return self._tooltip(row, col)
        if role == ID_ROLE:
            return self.ids[row]
        return None

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """Every role a view asks of one cell, in one call: a repaint asks some seven roles of
        each visible cell, and each call into Python takes the GIL from the receiver's thread."""
        text = self._text(index)
        # A span is indexable at run time (not in the type stubs).
        span: Any = [roleDataSpan] if isinstance(roleDataSpan, QModelRoleData) else roleDataSpan
        for i in range(len(span)):
            role_data = span[i]
            role = role_data.role()
            if role == _DISPLAY:
                role_data.setData(text)
            elif role in _ANSWERED:
                role_data.setData(self.data(index, role))
            else:
                role_data.clearData()

    def _text(self, index: Index) -> str | None:
        row, col = index.row(), index.column()
        if not (0 <= row < len(self.ids) and 0 <= col < len(HEADERS)):
            return None
        texts = self._texts[row]
        if texts is None:
            texts = self._texts[row] = row_texts(self.records[row])
        return texts[col]

    def _tooltip(self, row: int, col: int) -> str:
        event = self.records[row]
        if col == Column.TIME:
            text = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(event.received_at))
        elif col == Column.CALL:
            text = event.call_uuid
        elif col == Column.STREAM:
            text = event.stream_id
        elif col == Column.DETAILS:
            text = details_of(event, technical=True)
        else:
            text = f"{event_label(event)} from {event.source}"
        return tooltip_html(cell_text(text, 1000)) if text else ""

    def event_at(self, row: int) -> StoredEvent:
        return self.records[row]

    def row_of(self, event_id: int) -> int | None:
        # Ids descend down the table: bisect on the negated order.
        lo, hi = 0, len(self.ids)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.ids[mid] > event_id:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self.ids) and self.ids[lo] == event_id else None

    @property
    def newest_id(self) -> int | None:
        return self.ids[0] if self.ids else None

    @property
    def loading(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def has_reader(self) -> bool:
        return self._reader is not None

    # --- paging -------------------------------------------------------------------------------
    def set_reader(self, reader: EventReader | None) -> None:
        self._reader = reader

    def reload(self, flt: EventFilter) -> asyncio.Task[None] | None:
        """Show the newest page for `flt`; a reload in flight is abandoned."""
        self.filter = flt
        self._generation += 1
        if self._reader is None:
            self._replace([])
            self._exhausted = True
            return None
        return self._start(self._load_first(self._reader, flt, self._generation))

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self.loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent) and self._reader is not None and self.ids:
            self._start(self._load_older(self._reader, self.ids[-1], self._generation))

    def _start(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        task = self._task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        self.loading_changed.emit(True)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task is self._task and shiboken6.isValid(self):
            self.loading_changed.emit(False)

    async def _load_first(self, reader: EventReader, flt: EventFilter, generation: int) -> None:
        rows = await self._read(reader.newest(flt, limit=self._page_size))
        if rows is None or generation != self._generation:
            return
        self._replace(rows)
        self._exhausted = len(rows) < self._page_size

    async def _load_older(self, reader: EventReader, before_id: int, generation: int) -> None:
        rows = await self._read(
            reader.newest(self.filter, before_id=before_id, limit=self._page_size)
        )
        if rows is None or generation != self._generation:
            return
        self._exhausted = len(rows) < self._page_size
        rows = [e for e in rows if e.id < before_id]  # a reader that ignores the cursor
        if rows:
            first = len(self.ids)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._extend(rows, at_end=True)
            self.endInsertRows()

    async def _read(self, pending: Awaitable[list[StoredEvent]]) -> list[StoredEvent] | None:
        try:
            rows = await pending
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the log is a file on disk: it can fail; the pane says so
            _log.warning("reading the event log failed", exc_info=True)
            self.failed.emit(f"The event log could not be read: {type(exc).__name__}: {exc}")
            return None
        return rows

    # --- live ---------------------------------------------------------------------------------
    def prepend(self, events: Iterable[StoredEvent]) -> int:
        """Insert the new events that match the filter at the top, in one insert; returns how
        many. Events at or below the newest row are already shown (or belong to a reload)."""
        top = self.ids[0] if self.ids else -1
        fresh = sorted(
            (e for e in events if e.id > top and matches(self.filter, e)),
            key=lambda e: e.id,
            reverse=True,
        )
        if not fresh:
            return 0
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._extend(fresh, at_end=False)
        self.endInsertRows()
        excess = len(self.ids) - self._max_rows
        if excess > 0:
            first = len(self.ids) - excess
            self.beginRemoveRows(QModelIndex(), first, len(self.ids) - 1)
            for column in self._columns():
                del column[first:]
            self.endRemoveRows()
            self._exhausted = False  # the dropped rows come back by scrolling down
        return len(fresh)

    # --- storage ------------------------------------------------------------------------------
    def _replace(self, rows: list[StoredEvent]) -> None:
        self.beginResetModel()
        for column in self._columns():
            column.clear()
        self._extend(rows, at_end=True)
        self.resets += 1
        self.endResetModel()

    def _extend(self, rows: list[StoredEvent], *, at_end: bool) -> None:
        values: tuple[list[Any], ...] = ([e.id for e in rows], list(rows), [None] * len(rows))
        for column, new in zip(self._columns(), values, strict=True):
            if at_end:
                column.extend(new)
            else:
                column[:0] = new

    def _columns(self) -> list[list[Any]]:
        return [self.ids, self.records, self._texts]
