"""The live event pane: Plivo's stream status callbacks, newest first, with filters and details.

Events arrive in bursts (a call centre stopping 500 streams at once), so `add_events` only queues
them; a timer applies the queue at most `MAX_UPDATES_PER_S` times a second, one insert per batch.
While paused, nothing moves: new events are only counted ("12 new") and the newest page is read
again on resume. Filters are applied by the event log, off the GUI loop; the pane emits intents
(export, send a test callback) and the app decides what they mean.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedLayout,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.events import (
    TEST_EVENT,
    EventFilter,
    EventReader,
    StoredEvent,
    StreamEventName,
)
from console.ui.accessible import clear_button
from console.ui.events_details import EventDetails
from console.ui.events_filter import matches
from console.ui.events_model import Column, EventsTableModel
from console.ui.events_style import Kind, colour_for
from console.ui.table_widths import size_columns

MAX_UPDATES_PER_S = 20
# A flood (this many rows or more in one update, 2,000 a second) scrolls rows past faster than
# anyone reads them: the table is then updated half as often. Each update repaints every visible
# cell, the GUI thread's largest cost under load.
FLOOD_ROWS = 100
FLOOD_UPDATES_PER_S = 10
TYPING_PAUSE_MS = 250
PENDING_MAX = 10_000  # queued live events beyond this are dropped: a reload brings them back
ALL_EVENTS = ""
REJECTED = "__rejected__"
ROWS_ALWAYS_SHOWN = 5
EVENT_COLUMN_CHARS = {Column.TIME: 14, Column.EVENT: 21, Column.CALL: 21, Column.STREAM: 21}


class EventsPane(QWidget):
    test_callback_requested = Signal()
    export_requested = Signal(str, str)  # scope ("selection" | "all"), format ("jsonl" | "csv")
    selection_changed = Signal()

    def __init__(self, reader: EventReader | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EventsTableModel(reader, parent=self)
        self._selected_call: str | None = None
        self._pending: list[StoredEvent] = []
        self._overflowed = False  # the queue overflowed: reload instead of inserting
        self._new_while_paused = 0
        self._paused_top = -1  # the newest id seen while paused, so repeats are not counted
        self._message = ""
        self.filter_row = QHBoxLayout()
        self.status_row = QHBoxLayout()

        self._build_filters()
        self._build_actions()
        self._build_table()
        self.details = EventDetails()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("events_splitter")
        split.addWidget(self._table_stack_widget())
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(self.filter_row)
        layout.addWidget(split, 1)
        layout.addLayout(self.status_row)

        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(1000 // MAX_UPDATES_PER_S)
        self._flush_timer.timeout.connect(self._flush)
        self._typing_timer = QTimer(self)
        self._typing_timer.setSingleShot(True)
        self._typing_timer.setInterval(TYPING_PAUSE_MS)
        self._typing_timer.timeout.connect(self.apply_filter)
        self.model.loading_changed.connect(self._on_loading)
        self.model.failed.connect(self.show_message)
        for signal in (self.model.modelReset, self.model.rowsInserted, self.model.rowsRemoved):
            signal.connect(self._update_status)
        self._update_status()

    # --- building -----------------------------------------------------------------------------
    def _build_filters(self) -> None:
        self.view_kind = QComboBox()
        self.view_kind.setObjectName("events_kind_filter")
        self.view_kind.setAccessibleName("Event type")
        self.view_kind.addItem("All events", ALL_EVENTS)
        for name in StreamEventName:
            self.view_kind.addItem(name.value, name.value)
        self.view_kind.addItem("Test callbacks", TEST_EVENT)
        self.view_kind.addItem("Rejected requests", REJECTED)
        self.view_kind.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.stream_filter = QLineEdit()
        self.stream_filter.setObjectName("events_stream_filter")
        self.stream_filter.setPlaceholderText("Stream ID")
        self.stream_filter.setAccessibleName("Stream ID filter")
        clear_button(self.stream_filter)
        self.text_filter = QLineEdit()
        self.text_filter.setObjectName("events_text_filter")
        self.text_filter.setPlaceholderText("Search any parameter")
        self.text_filter.setAccessibleName("Search events")
        clear_button(self.text_filter)
        for edit in (self.stream_filter, self.text_filter):
            edit.textChanged.connect(lambda _t: self._typing_timer.start())
            edit.returnPressed.connect(self.apply_filter)
        self.follow_call = QCheckBox("Follow selected call")
        self.follow_call.setObjectName("events_follow_call")
        self.follow_call.setToolTip("Show only the events of the call selected in the calls list")
        self.follow_call.toggled.connect(lambda _on: self.apply_filter())
        row = self.filter_row
        row.addWidget(self.view_kind)
        row.addWidget(self.stream_filter, 1)
        row.addWidget(self.text_filter, 2)
        row.addWidget(self.follow_call)

    def _build_actions(self) -> None:
        self.pause = QPushButton("Pause")
        self.pause.setObjectName("events_pause")
        self.pause.setCheckable(True)
        self.pause.setToolTip("Stop the list moving while you read; new events are counted")
        self.pause.toggled.connect(self._on_pause)
        self.new_count = QLabel("")
        self.new_count.setObjectName("events_new_count")
        self.new_count.setTextFormat(Qt.TextFormat.PlainText)
        self.export = QToolButton()
        self.export.setObjectName("events_export")
        self.export.setText("Export")
        self.export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export)
        for label, scope, fmt in (
            ("Selected events as JSON Lines…", "selection", "jsonl"),
            ("Selected events as CSV…", "selection", "csv"),
            ("All matching events as JSON Lines…", "all", "jsonl"),
            ("All matching events as CSV…", "all", "csv"),
        ):
            action = menu.addAction(label)
            action.setObjectName(f"export_{scope}_{fmt}")
            action.triggered.connect(
                lambda _c=False, s=scope, f=fmt: self.export_requested.emit(s, f)
            )
        self.export.setMenu(menu)
        self.export_menu = menu
        self.send_test = QPushButton("Send test callback")
        self.send_test.setObjectName("events_send_test")
        self.send_test.setToolTip(
            "Sign a sample StartStream event with this account's token and post it to the "
            "receiver's public URL, to check the tunnel, the URL and the signature"
        )
        self.send_test.clicked.connect(self.test_callback_requested)
        self.status = QLabel("")
        self.status.setObjectName("events_status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.test_result = QLabel("")
        self.test_result.setObjectName("events_test_result")
        self.test_result.setTextFormat(Qt.TextFormat.PlainText)
        self.test_result.setWordWrap(True)
        row = self.status_row
        row.addWidget(self.pause)
        row.addWidget(self.new_count)
        row.addWidget(self.status, 1)
        row.addWidget(self.test_result, 2)
        row.addWidget(self.send_test)
        row.addWidget(self.export)

    def _build_table(self) -> None:
        table = QTableView()
        table.setObjectName("events_view")
        table.setAccessibleName("Stream events")
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setTabKeyNavigation(False)  # Tab leaves the table; the arrows move in it
        table.setAlternatingRowColors(True)
        rows = table.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.horizontalHeader().setHighlightSections(False)
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        self._size_table()
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        table.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())

    def _size_table(self) -> None:
        """Rows, columns and the table's least height from the font in use: five events in view
        however short the window (the calls list gives way first)."""
        table = self.table
        rows = table.verticalHeader()
        rows.setDefaultSectionSize(table.fontMetrics().height() + 6)
        size_columns(table, EVENT_COLUMN_CHARS)
        table.setMinimumHeight(
            table.horizontalHeader().sizeHint().height()
            + ROWS_ALWAYS_SHOWN * rows.defaultSectionSize()
            + table.horizontalScrollBar().sizeHint().height() + 2 * table.frameWidth() + 2
        )  # fmt: skip

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # a larger system font
            self._size_table()

    def _table_stack_widget(self) -> QWidget:
        holder = QWidget()
        self.empty = QLabel("")
        self.empty.setObjectName("events_empty")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedLayout(holder)
        self.stack.setContentsMargins(0, 0, 0, 0)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        return holder

    # --- what the app tells the pane ----------------------------------------------------------
    def set_reader(self, reader: EventReader | None) -> None:
        """The event log to read (None: no receiver this session)."""
        self.model.set_reader(reader)
        self.apply_filter()

    def set_selected_call(self, call_uuid: str | None) -> None:
        """The call selected in the calls list; followed when "Follow selected call" is on."""
        if call_uuid == self._selected_call:
            return
        self._selected_call = call_uuid
        if self.follow_call.isChecked():
            self.apply_filter()

    def add_events(self, events: list[StoredEvent]) -> None:
        """New events just committed to the log (any thread's batch, already on the GUI loop)."""
        if not events:
            return
        if len(self._pending) + len(events) > PENDING_MAX:
            self._pending.clear()
            self._overflowed = True
        else:
            self._pending.extend(events)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def show_message(self, text: str) -> None:
        self._message = text
        self._update_status()

    def show_test_result(self, ok: bool, text: str) -> None:
        kind = Kind.START if ok else Kind.DROPPED
        self.test_result.setStyleSheet(f"color: {colour_for(kind).name()};")
        self.test_result.setText(text)

    def clear_test_result(self) -> None:
        """The last test's verdict belonged to the account it was sent for."""
        self.test_result.setStyleSheet("")
        self.test_result.setText("")
        self.send_test.setEnabled(True)

    def set_test_busy(self, busy: bool) -> None:
        self.send_test.setEnabled(not busy)
        if busy:
            self.test_result.setStyleSheet("")
            self.test_result.setText("Sending a test callback…")

    # --- what the app asks --------------------------------------------------------------------
    def current_filter(self) -> EventFilter:
        kind = str(self.view_kind.currentData())
        call = (self._selected_call or "") if self.follow_call.isChecked() else ""
        return EventFilter(
            events=frozenset({kind}) if kind not in (ALL_EVENTS, REJECTED) else frozenset(),
            call_uuid=call,
            stream_id=self.stream_filter.text().strip(),
            text=self.text_filter.text().strip(),
            rejected=kind == REJECTED,
        )

    def selected_events(self) -> list[StoredEvent]:
        """The selected rows' events, newest first."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.event_at(r) for r in rows]

    @property
    def paused(self) -> bool:
        return self.pause.isChecked()

    @property
    def new_while_paused(self) -> int:
        return self._new_while_paused

    # --- filtering ----------------------------------------------------------------------------
    def apply_filter(self) -> None:
        self._typing_timer.stop()
        self._message = ""
        self._pending.clear()
        self._overflowed = False
        self._reset_paused_count()
        self.model.reload(self.current_filter())
        self.details.follow_filter(self.model.filter)
        self._update_status()

    # --- live ---------------------------------------------------------------------------------
    def _flush(self) -> None:
        if self.model.loading:
            self._flush_timer.start()  # the page being read may already hold these events
            return
        pending, self._pending = self._pending, []
        if self.paused:
            self._count_paused(pending)
            return
        if self._overflowed:
            self._overflowed = False
            self.model.reload(self.model.filter)
            return
        if self.model.prepend(pending):
            self.table.scrollToTop()
        per_s = FLOOD_UPDATES_PER_S if len(pending) >= FLOOD_ROWS else MAX_UPDATES_PER_S
        self._flush_timer.setInterval(1000 // per_s)

    def _count_paused(self, events: list[StoredEvent]) -> None:
        flt = self.model.filter
        top = max(self._paused_top, self.model.newest_id or -1)
        fresh = [e for e in events if e.id > top and matches(flt, e)]
        if events:
            self._paused_top = max(top, max(e.id for e in events))
        if self._overflowed:
            self._overflowed = False
            self.new_count.setText("many new")
            self._new_while_paused = max(self._new_while_paused, PENDING_MAX)
            return
        self._new_while_paused += len(fresh)
        if self._new_while_paused:
            self.new_count.setText(f"{self._new_while_paused:,} new")
            self.pause.setText(f"Resume ({self._new_while_paused:,} new)")

    def _on_pause(self, paused: bool) -> None:
        if paused:
            self.pause.setText("Resume")
            return
        caught_up = self._new_while_paused > 0
        self._reset_paused_count()
        if caught_up:
            self.model.reload(self.model.filter)
        self.table.scrollToTop()

    def _reset_paused_count(self) -> None:
        self._new_while_paused = 0
        self._paused_top = -1
        self.new_count.setText("")
        self.pause.setText("Resume" if self.paused else "Pause")

    # --- status -------------------------------------------------------------------------------
    def _on_loading(self, loading: bool) -> None:
        self._update_status()
        if not loading and self._pending and not self._flush_timer.isActive():
            self._flush_timer.start()

    def _update_status(self, *_args: object) -> None:
        shown = self.model.rowCount()
        if not self.model.has_reader:
            empty = (
                "Stream events (StartStream, StopStream, DroppedStream, DegradedStream) appear "
                "here once the console's callback receiver is running."
            )
        elif self.model.loading and shown == 0:
            empty = "Reading the event log…"
        elif self.current_filter() != EventFilter():
            empty = "No events match these filters."
        else:
            empty = "No stream events yet. They appear here as Plivo posts them."
        self.empty.setText(empty)
        self.stack.setCurrentWidget(self.table if shown else self.empty)
        if self._message:
            self.status.setText(self._message)
        elif self.model.loading:
            self.status.setText("Reading…")
        elif self.model.canFetchMore():
            self.status.setText(f"Newest {shown:,} shown; scroll down for older events")
        else:
            self.status.setText(f"{shown:,} event{'s' if shown != 1 else ''}")

    # --- rows ---------------------------------------------------------------------------------
    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.row()
        self.details.show_event(
            self.model.event_at(row) if 0 <= row < self.model.rowCount() else None
        )

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        event = self.model.event_at(index.row())
        menu = QMenu(self)
        menu.setObjectName("events_context_menu")
        clipboard = QGuiApplication.clipboard()
        if event.call_uuid:
            menu.addAction("Copy call UUID", lambda: clipboard.setText(event.call_uuid))
        if event.stream_id:
            menu.addAction("Copy stream ID", lambda: clipboard.setText(event.stream_id))
            menu.addAction("Show only this stream", lambda: self._only_stream(event.stream_id))
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _only_stream(self, stream_id: str) -> None:
        self.stream_filter.setText(stream_id)
        self.apply_filter()
