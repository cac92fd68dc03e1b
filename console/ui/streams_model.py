"""The selected call's streams as a Qt table. A handful of rows, updated by stream id so the
selected stream stays selected across refreshes; a just-started stream shows at once as a
pending row until Plivo's list confirms it. A failed stream says why, as far as the console
knows: Plivo's stream list carries no reason, status callbacks do (`set_failure_reason`)."""

from __future__ import annotations

from dataclasses import replace
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from console.domain.failure_words import FailureWords, explain
from console.domain.streams import Stream
from console.ui.palette import Tone, tone_color
from console.ui.plain_text import tooltip_text
from console.ui.table_model import FlatTableModel, Index

STREAM_ID_ROLE = Qt.ItemDataRole.UserRole + 1
ACTIVE_ROLE = Qt.ItemDataRole.UserRole + 2
PENDING_STATUS = "starting…"
STOPPING_STATUS = "stopping…"  # the agent asked; Plivo's answer not in yet
FAILED_STATUS = "failed"
ENDED_WITH_CALL = "ended with the call"  # shown for a stream still listed as running on a call
# that has ended: nothing runs on an ended call, whatever the last list said
UNKNOWN_REASON = "reason not known: turn on status callbacks to see why"
MAX_REASON_CHARS = 300
MAX_REASONS = 500


class StreamColumn(IntEnum):
    STREAM_ID = 0
    SERVICE_URL = 1
    TRACK = 2
    BIDIRECTIONAL = 3
    STATUS = 4
    STARTED = 5
    ENDED = 6
    BILLED = 7


HEADERS = [
    "Stream ID",
    "Service URL",
    "Track",
    "Bidirectional",
    "Status",
    "Started",
    "Ended",
    "Billed",
]


class StreamsTableModel(FlatTableModel):
    HEADERS = HEADERS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Stream] = []
        self._before_stop: dict[str, Stream] = {}  # rows as they were when "stopping…" was shown
        self._reasons: dict[str, str] = {}  # stream id -> why it failed (kept across calls)
        self._degraded: dict[str, str] = {}  # stream id -> "buffer 60% full" (DegradedStream)
        self._call_ended = False

    def set_call_ended(self, ended: bool) -> None:
        """The call has ended: no stream of it is active any more (until another call)."""
        if ended == self._call_ended:
            return
        self._call_ended = ended
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(StreamColumn) - 1)
            )

    @property
    def call_ended(self) -> bool:
        return self._call_ended

    def row_total(self) -> int:
        return len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        stream = self._rows[index.row()]
        failed = (stream.status or "").lower() == FAILED_STATUS
        if role == Qt.ItemDataRole.ToolTipRole and failed:
            return tooltip_text(f"This stream failed: {self.failure_words(stream).one_line}")
        if role == Qt.ItemDataRole.DisplayRole and failed and index.column() == StreamColumn.STATUS:
            return f"failed: {self.failure_words(stream).plain}"
        status_cell = role == Qt.ItemDataRole.DisplayRole and index.column() == StreamColumn.STATUS
        if status_cell and self._call_ended and self._running(stream):
            return ENDED_WITH_CALL
        if role == Qt.ItemDataRole.DisplayRole:
            text = _text(stream, StreamColumn(index.column()))
            note = self._degraded.get(stream.stream_id)
            if note and index.column() == StreamColumn.STATUS and self.is_active(index.row()):
                text = f"{text} · degraded: {note}" if text else f"degraded: {note}"
            return text
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip_text(_text(stream, StreamColumn(index.column())))
        if role == STREAM_ID_ROLE:
            return stream.stream_id
        if role == ACTIVE_ROLE:
            return self.is_active(index.row())
        if role == Qt.ItemDataRole.ForegroundRole and failed:
            base = QApplication.palette().color(QPalette.ColorRole.Base)
            return tone_color(Tone.ERROR, base)
        if role == Qt.ItemDataRole.ForegroundRole and not self.is_active(index.row()):
            return QApplication.palette().color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
            )
        return None

    def streams(self) -> list[Stream]:
        return list(self._rows)

    def stream(self, row: int) -> Stream:
        return self._rows[row]

    def row_of(self, stream_id: str) -> int | None:
        for row, stream in enumerate(self._rows):
            if stream.stream_id == stream_id:
                return row
        return None

    def is_active(self, row: int) -> bool:
        """Active as far as the agent can act on it: a just-started (pending) stream counts."""
        return not self._call_ended and self._running(self._rows[row])

    @staticmethod
    def _running(stream: Stream) -> bool:
        return stream.status == PENDING_STATUS or stream.is_active

    def failure_reason(self, stream_id: str) -> str:
        """Why the stream failed, as received; says how to find out when not known."""
        return self._reasons.get(stream_id, UNKNOWN_REASON)

    def failure_words(self, stream: Stream) -> FailureWords:
        """The reason in plain words, the text as received kept (docs/failure-words.md)."""
        return explain(self.failure_reason(stream.stream_id))

    def set_failure_reason(self, stream_id: str, text: str) -> None:
        """Record why `stream_id` failed (e.g. from a status callback's DroppedStream). `text`
        comes from outside: shown as plain text, on one line, cut to a sane length."""
        clean = " ".join(str(text).split())[:MAX_REASON_CHARS]
        if not clean or self._reasons.get(stream_id) == clean:
            return
        self._reasons.pop(stream_id, None)
        self._reasons[stream_id] = clean
        while len(self._reasons) > MAX_REASONS:
            del self._reasons[next(iter(self._reasons))]
        row = self.row_of(stream_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(StreamColumn) - 1))

    def set_live_status(self, stream_id: str, status: str, degraded: str = "") -> bool:
        """A status callback's news for a listed stream, shown before Plivo's list says it (the
        next refresh reconciles). `degraded`: the buffer note of a slow stream, kept while it is
        active. False when the stream is not in the table."""
        row = self.row_of(stream_id)
        if row is None:
            return False
        if degraded:
            self._degraded[stream_id] = " ".join(degraded.split())[:MAX_REASON_CHARS]
            while len(self._degraded) > MAX_REASONS:
                del self._degraded[next(iter(self._degraded))]
        current = self._rows[row]
        if status and current.status != status:
            self._rows[row] = replace(current, status=status)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(StreamColumn) - 1))
        return True

    def active_count(self) -> int:
        return sum(1 for row in range(len(self._rows)) if self.is_active(row))

    def set_streams(self, streams: list[Stream]) -> None:
        """Show Plivo's list: known rows updated in place, gone rows removed, new rows added
        (newest first). Pending rows whose stream Plivo now lists are replaced by it; other
        pending rows stay until `drop_pending`."""
        incoming = {s.stream_id: s for s in streams}
        for row in range(len(self._rows) - 1, -1, -1):
            current = self._rows[row]
            if current.stream_id in incoming:
                fresh = incoming.pop(current.stream_id)
                if fresh != current:
                    self._rows[row] = fresh
                    self.dataChanged.emit(
                        self.index(row, 0), self.index(row, len(StreamColumn) - 1)
                    )
            elif current.status != PENDING_STATUS:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        ordered = sorted(incoming.values(), key=lambda s: s.created_at or s.start_time or "")
        for stream in ordered:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._rows.insert(0, stream)
            self.endInsertRows()

    def add_pending(self, stream: Stream) -> None:
        """Show a stream the agent just started, before Plivo's list has it."""
        if self.row_of(stream.stream_id) is not None:
            return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, replace(stream, status=PENDING_STATUS))
        self.endInsertRows()

    def mark_stopped(self, stream_ids: list[str]) -> None:
        """Grey out streams the agent just stopped, until Plivo's list says the rest."""
        for row, stream in enumerate(self._rows):
            if stream.stream_id in stream_ids and self.is_active(row):
                self._before_stop[stream.stream_id] = stream
                self._rows[row] = replace(stream, status=STOPPING_STATUS, end_time="…")
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(StreamColumn) - 1))

    def unmark_stopped(self, stream_ids: list[str]) -> None:
        """A stop that failed: the streams are shown as they were before it (still running),
        not "stopping…" until Plivo's list comes back."""
        for row, stream in enumerate(self._rows):
            if stream.stream_id not in stream_ids:
                continue
            before = self._before_stop.pop(stream.stream_id, None)
            if before is not None and stream.status == STOPPING_STATUS:
                self._rows[row] = before
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(StreamColumn) - 1))

    def clear(self) -> None:
        if self._rows:
            self.beginRemoveRows(QModelIndex(), 0, len(self._rows) - 1)
            self._rows.clear()
            self.endRemoveRows()


def _text(stream: Stream, column: StreamColumn) -> str:
    if column is StreamColumn.STREAM_ID:
        return stream.stream_id
    if column is StreamColumn.SERVICE_URL:
        return stream.service_url or ""
    if column is StreamColumn.TRACK:
        return stream.audio_track or ""
    if column is StreamColumn.BIDIRECTIONAL:
        return "" if stream.bidirectional is None else ("yes" if stream.bidirectional else "no")
    if column is StreamColumn.STATUS:
        return stream.status or ""
    if column is StreamColumn.STARTED:
        return _clock(stream.start_time)
    if column is StreamColumn.ENDED:
        return _clock(stream.end_time)
    seconds = stream.bill_duration
    amount = stream.billed_amount
    parts = [f"{seconds} s" if seconds is not None else "", f"${amount}" if amount else ""]
    return "  ".join(p for p in parts if p)


def _clock(text: str | None) -> str:
    """Plivo's `2023-06-26 08:14:29+05:30` shown as `08:14:29`; anything else as given."""
    if not text:
        return ""
    if len(text) >= 19 and text[10] == " ":
        return text[11:19]
    return text
