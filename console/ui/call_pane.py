"""The selected call: who is talking to whom, the stream form aimed at it, and its streams."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedLayout,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.calls import LiveCall
from console.domain.numbers import display_number
from console.domain.streams import Stream, StreamStarted
from console.ui.accessible import follow_at_selection
from console.ui.call_timeline import CallTimeline
from console.ui.empty_state import EmptyState
from console.ui.palette import Tone, set_text_tone
from console.ui.plain_text import make_plain
from console.ui.streams_model import (
    STOPPING_STATUS,
    STREAM_ID_ROLE,
    StreamColumn,
    StreamsTableModel,
)
from console.ui.table_widths import size_columns

if TYPE_CHECKING:
    from console.ui.monitor_toggle import MonitorToggle
    from console.ui.stream_form import StreamForm

WIDTH_CHARS = 76  # the pane's width, in average characters of its font
STREAM_COLUMN_CHARS = {
    StreamColumn.STREAM_ID: 15, StreamColumn.SERVICE_URL: 26, StreamColumn.TRACK: 9,
    StreamColumn.BIDIRECTIONAL: 13, StreamColumn.STATUS: 21, StreamColumn.STARTED: 10,
    StreamColumn.ENDED: 10,
}  # fmt: skip


class CallPane(QWidget):
    """The app talks to the pane through the methods below and hears it through its signals; the
    form, the streams model and the timeline inside stay the pane's own.

    The stream form is built with its first use (`form`), not with the pane: until a call is
    picked the pane says "No call selected", and the form's imports and widgets (~45 ms) need
    not hold the first screen back. Whoever drives the form attaches to it in `form_built`."""

    start_requested = Signal(object)  # StreamRequest, from the stream form
    check_requested = Signal(object)  # CheckRequest, from the stream form's Check service
    stop_requested = Signal(str, str)  # call uuid, stream id
    stop_all_requested = Signal(str)  # call uuid
    refresh_streams_requested = Signal(str)
    form_built = Signal(object)  # the StreamForm, once, when it is first used

    def __init__(self, form: StreamForm | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("call_region")
        self.call: LiveCall | None = None
        self.ended = False
        self._form: StreamForm | None = None
        self._target: tuple[bool, str | None, str] = (False, None, "")
        header = self._build_header()
        self._build_streams_table()
        self._build_stream_actions()
        self._build_splitter(self._build_streams_box())
        self._build_fit_timer()
        self._build_stack(header)
        if form is not None:
            self._install_form(form)
        self.show_call(None)

    @property
    def form(self) -> StreamForm:
        """The stream form, built (and announced in `form_built`) when first asked for."""
        if self._form is None:
            from console.ui.stream_form import StreamForm

            self._install_form(StreamForm())
        assert self._form is not None
        return self._form

    @property
    def has_form(self) -> bool:
        """Whether the form has been built yet (asking for `form` builds it)."""
        return self._form is not None

    @property
    def form_scroll(self) -> QWidget:
        """The form's scrolling fields (its action bar does not scroll)."""
        return self.form.fields_scroll

    def _install_form(self, form: StreamForm) -> None:
        self._form = form
        form.start_requested.connect(self.start_requested)
        form.check_requested.connect(self.check_requested)
        form.call_label.setVisible(False)  # the pane's header already names the call
        self._aim_form(form)
        # A widget joins the end of the window's Tab chain: the streams join again after the
        # form, so Tab goes from the call's header into the form, then to the streams.
        self.splitter.insertWidget(0, form)
        self.streams_box.setParent(None)
        self.splitter.addWidget(self.streams_box)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        for watched in (form.fields, form.result):
            watched.installEventFilter(self)
        if self.minimumWidth() and self.width_wanted() > self.minimumWidth():
            self.setMinimumWidth(self.width_wanted())  # a large font: the fields decide
        self._fit_timer.start()
        self.form_built.emit(form)

    def _build_header(self) -> QHBoxLayout:
        self.title = QLabel()
        self.title.setObjectName("call_title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel()
        self.meta.setObjectName("call_meta")
        make_plain(self.title, self.meta)  # caller names and numbers come from outside
        for label in (self.title, self.meta):
            # A long caller name or UUID is cut, never widens the pane (which would squeeze the
            # calls list and shift the pane sideways between calls).
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_uuid = QToolButton()
        self.copy_uuid.setObjectName("copy_call_uuid")
        self.copy_uuid.setText("Copy UUID")
        self.copy_uuid.setToolTip("Copy this call's UUID")
        self.copy_uuid.clicked.connect(self._copy_uuid)
        header = QHBoxLayout()
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.title)
        texts.addWidget(self.meta)
        header.addLayout(texts, 1)
        header.addWidget(self.copy_uuid, 0, Qt.AlignmentFlag.AlignTop)
        return header

    def _build_streams_table(self) -> None:
        self.streams = StreamsTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("streams_table")
        self.table.setAccessibleName("Streams of this call")
        self.table.setModel(self.streams)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; the arrows move in it
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Extra width goes to the service URL (and the status before it stays readable).
        self.table.horizontalHeader().setStretchLastSection(False)
        self._size_stream_columns()
        # Status (and why a stream failed) right after the id, where a narrow pane still shows it.
        self.table.horizontalHeader().moveSection(StreamColumn.STATUS, 1)
        self.table.viewport().installEventFilter(self)  # resized: the URL takes the rest
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        follow_at_selection(self.table)  # a screen reader's row pick is the stream Stop acts on
        for signal in (self.streams.rowsInserted, self.streams.rowsRemoved,
                       self.streams.dataChanged):  # fmt: skip
            signal.connect(self._update_buttons)
            signal.connect(self._sync_result)

    def _size_stream_columns(self) -> None:
        """Widths in characters of the font in use: a larger system font widens them."""
        size_columns(self.table, STREAM_COLUMN_CHARS)

    def _fit_url_column(self) -> None:
        """Extra width goes to the service URL, which never gets less than its own width."""
        char = self.table.fontMetrics().horizontalAdvance("x")
        url = StreamColumn.SERVICE_URL
        others = sum(self.table.columnWidth(c) for c in StreamColumn if c is not url)
        width = max(STREAM_COLUMN_CHARS[url] * char, self.table.viewport().width() - others)
        if self.table.columnWidth(url) != width:
            self.table.setColumnWidth(url, width)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._size_stream_columns()
            self._fit_url_column()

    def _build_stream_actions(self) -> None:
        self.streams_label = QLabel("Streams on this call")
        self.streams_label.setObjectName("streams_label")
        self.streams_status = QLabel()
        self.streams_status.setObjectName("streams_status")
        make_plain(self.streams_label, self.streams_status)  # Plivo's error text
        self.stop_button = QPushButton("&Stop stream")
        self.stop_button.setObjectName("stop_stream")
        self.stop_button.setToolTip("Stop the selected stream (Del)")
        self.stop_button.clicked.connect(self._stop_selected)
        self.stop_all_button = QPushButton("Stop a&ll…")
        self.stop_all_button.setObjectName("stop_all_streams")
        self.stop_all_button.setToolTip("Stop every active stream on this call (asks first)")
        self.stop_all_button.clicked.connect(self._stop_all)
        self.refresh_button = QToolButton()
        self.refresh_button.setObjectName("refresh_streams")
        self.refresh_button.setText("Refresh")
        self.refresh_button.setToolTip("Ask Plivo for this call's streams now")
        self.refresh_button.clicked.connect(self._refresh_streams)
        delete = QAction(self.table)
        delete.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(self._stop_selected)
        self.table.addAction(delete)
        start = QAction(self)
        start.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        start.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        start.triggered.connect(self._submit)
        self.addAction(start)

    def _submit(self) -> None:
        if self._form is not None:  # no form yet: no call was ever shown, nothing to start
            self._form.submit()

    def _build_streams_box(self) -> QWidget:
        streams_box = QWidget()
        box = QVBoxLayout(streams_box)
        box.setContentsMargins(0, 4, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.streams_label)
        top.addWidget(self.streams_status, 1)
        top.addWidget(self.refresh_button)
        # The call's timeline shares the table's place (no height taken from the form).
        self.timeline = CallTimeline()
        self.timeline_button = QToolButton()
        self.timeline_button.setObjectName("show_call_timeline")
        self.timeline_button.setText("Timeline")
        self.timeline_button.setCheckable(True)
        self.timeline_button.setToolTip("Show this call's starts, stops and status callbacks")
        self.streams_stack = QStackedWidget()
        self.streams_stack.addWidget(self.table)
        self.streams_stack.addWidget(self.timeline)
        self.timeline_button.toggled.connect(
            lambda on: self.streams_stack.setCurrentWidget(self.timeline if on else self.table)
        )
        top.addWidget(self.timeline_button)
        box.addLayout(top)
        box.addWidget(self.streams_stack, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.stop_all_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        return streams_box

    def _build_splitter(self, streams_box: QWidget) -> None:
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("call_splitter")
        self.splitter.addWidget(streams_box)  # the form goes above it once built
        self.splitter.setChildrenCollapsible(False)
        # At least two streams in view (the header and a scroll bar besides).
        self.table.setMinimumHeight(
            self.table.horizontalHeader().sizeHint().height()
            + 2 * self.table.verticalHeader().defaultSectionSize()
            + self.table.horizontalScrollBar().sizeHint().height()
            + 4
        )
        self.timeline.setMinimumSize(40, self.table.minimumHeight())
        self.streams_box = streams_box

    def _build_fit_timer(self) -> None:
        # The form gets the height that shows all its fields (Start never scrolls away; the
        # action bar is outside the scrolling part anyway), the streams table the rest. Refitted
        # when the pane is resized or the form's content changes (More options, messages).
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_form)
        self.splitter.installEventFilter(self)

    def _build_stack(self, header: QHBoxLayout) -> None:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(header)
        layout.addWidget(self.splitter, 1)
        self.empty = EmptyState(
            "No call selected", "Pick a live call on the left to start or stop its audio streams."
        )
        self.stack = QStackedLayout(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(content)
        self.content = content

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport():
            if event.type() == QEvent.Type.Resize:
                self._fit_url_column()
            return False
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Show, QEvent.Type.Hide) or (
            watched is self.splitter and event.type() == QEvent.Type.Resize
        ):
            self._fit_timer.start()
        return False

    def fit_form(self) -> None:
        """Give the form what it needs to show every field without scrolling, leaving the
        streams table at least its minimum; the table takes any height left over."""
        total = self.splitter.height() - self.splitter.handleWidth()
        if total <= 0 or not self.content.isVisible() or self._form is None:
            return
        floor = self.streams_box.minimumSizeHint().height()
        want = self.form.fields_height_hint()
        form_height = max(min(want, total - floor), self.form.minimumSizeHint().height())
        if self.splitter.sizes()[0] != form_height:
            self.splitter.setSizes([form_height, max(total - form_height, 0)])

    def width_wanted(self) -> int:
        """The pane's fixed width for the font in use: the form's fields without a horizontal
        scroll bar, and room for the streams table's first columns."""
        text = self.fontMetrics().horizontalAdvance("x" * WIDTH_CHARS)
        if self._form is None:  # checked again when it is built (at the default font, text wins)
            return text
        return max(text, self._form.fields.minimumSizeHint().width() + 40)

    def focus_part(self, part: str) -> bool:
        """Keyboard focus to "form" (its first field), "stream_url" (the stream URL, its text
        selected to type over) or "streams" (the table); False when there is nothing to focus
        there (no call selected)."""
        if self.call is None:
            return False
        if part == "stream_url":
            self.form.service_url.setFocus()
            self.form.service_url.selectAll()
            return True
        if part == "form":
            target = self.form.service_url if self.form.service_url.isEnabled() else self.form
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        if part == "streams":
            self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
            if not self.table.currentIndex().isValid() and self.streams.rowCount():
                self.select_stream(self.streams.stream(0).stream_id)
            return True
        return False

    # --- state from the app ------------------------------------------------------------------
    def show_call(self, call: LiveCall | None, *, ended: bool = False) -> None:
        changed = (call.call_uuid if call else None) != (self.call.call_uuid if self.call else None)
        self.call = call
        self.ended = ended
        if call is None:
            self.stack.setCurrentWidget(self.empty)
            if self._form is not None:
                self._form.set_call(None)
            self.streams.clear()
            self.streams.set_call_ended(False)
            return
        self.stack.setCurrentWidget(self.content)
        frm = display_number(call.from_number) or "unknown"
        to = display_number(call.to_number) or "unknown"
        self.title.setText(f"{frm}  →  {to}")
        facts = [call.direction or "", f"caller: {call.caller_name}" if call.caller_name else ""]
        facts.append("ended" if ended else (call.call_status or ""))
        facts.append(call.call_uuid)
        self.meta.setText("  ·  ".join(f for f in facts if f))
        self.form.set_call(None if ended else call.call_uuid, f"{frm} → {to}")
        if changed:
            self.streams.clear()
            self.timeline.set_lines([])
            self.streams_status.setText("")
        self.streams.set_call_ended(ended)
        self._update_buttons()

    def reveal_result(self) -> None:
        """The start result sits under the action bar, outside the scrolling fields: always in
        view. Kept so callers need not know the layout."""
        self._fit_timer.start()

    def set_streams_status(self, text: str, *, error: bool = False) -> None:
        self.streams_status.setText(text)
        set_text_tone(self.streams_status, Tone.ERROR if error else None)

    def selected_stream_id(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        value = index.siblingAtColumn(0).data(STREAM_ID_ROLE)
        return str(value) if value else None

    def select_stream(self, stream_id: str) -> None:
        row = self.streams.row_of(stream_id)
        if row is not None:
            self.table.selectionModel().setCurrentIndex(
                self.streams.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )

    def set_timeline(self, lines: list[str]) -> None:
        self.timeline.set_lines(lines)

    def add_monitor_toggle(self) -> MonitorToggle:
        """The form's "Monitor in this console" switch, for the monitor controller to drive."""
        from console.ui.monitor_toggle import MonitorToggle

        return MonitorToggle(self.form)

    # --- the stream form's side ---------------------------------------------------------------
    def set_stream_target(
        self, *, simulator: bool, api_base_url: str | None = None, local_api: str = ""
    ) -> None:
        """Who the form's requests go to: the simulator (or an API on this computer, at
        `local_api`) or Plivo, and the account's API URL; kept for the form if not built yet."""
        self._target = (simulator, api_base_url, local_api)
        if self._form is not None:
            self._aim_form(self._form)

    def _aim_form(self, form: StreamForm) -> None:
        simulator, api_base_url, local_api = self._target
        form.set_target_is_simulator(simulator, local_api=local_api)
        if api_base_url is not None:
            form.set_api_base_url(api_base_url)

    def set_start_busy(self, busy: bool) -> None:
        self.form.set_busy(busy)

    def show_started(self, started: StreamStarted, call_uuid: str) -> None:
        self.form.show_started(started, call_uuid)

    def show_start_error(
        self, message: str, detail: str, call_uuid: str, *, connection: bool = False
    ) -> None:
        """Why a start on `call_uuid` failed, in the form's result area."""
        self.form.show_error(message, detail, call_uuid, connection=connection)

    def clear_connection_errors(self) -> None:
        self.form.clear_connection_errors()

    def stream_ended(self, call_uuid: str, stream_id: str, status: str, reason: str = "") -> None:
        self.form.stream_ended(call_uuid, stream_id, status, reason)

    def reported_stream_id(self, call_uuid: str) -> str | None:
        return self.form.reported_stream_id(call_uuid)

    def recent_service_urls(self) -> list[str]:
        return self.form.recent_service_urls()

    def set_recent_service_urls(self, urls: list[str]) -> None:
        self.form.set_recent_service_urls(urls)

    def set_default_service_url(self, url: str) -> None:
        self.form.set_default_service_url(url)

    def set_receiver_url(self, url: str | None) -> None:
        """Where "Send status callbacks to this console" points (None: nowhere yet)."""
        self.form.set_receiver_url(url)

    # --- the streams table's side -------------------------------------------------------------
    def set_streams(self, streams: list[Stream]) -> None:
        self.streams.set_streams(streams)

    def add_pending_stream(self, stream: Stream) -> None:
        self.streams.add_pending(stream)

    def mark_streams_stopped(self, stream_ids: list[str]) -> None:
        self.streams.mark_stopped(stream_ids)

    def unmark_streams_stopped(self, stream_ids: list[str]) -> None:
        """The stop failed: show the streams as they were, and Stop available again."""
        self.streams.unmark_stopped(stream_ids)
        self._update_buttons()

    def stream_ids(self) -> list[str]:
        return [stream.stream_id for stream in self.streams.streams()]

    def stream_url(self, stream_id: str) -> str:
        """The stream's service URL as the table knows it ("" when it is not in the table)."""
        row = self.streams.row_of(stream_id)
        return (self.streams.stream(row).service_url or "") if row is not None else ""

    def active_stream_count(self) -> int:
        return self.streams.active_count()

    def active_stream_ids(self) -> list[str]:
        """The streams the table shows as running (or starting), in table order."""
        return [
            self.streams.stream(row).stream_id
            for row in range(self.streams.rowCount())
            if self.streams.is_active(row)
        ]

    def failure_reason(self, stream_id: str) -> str:
        return self.streams.failure_reason(stream_id)

    def set_failure_reason(self, stream_id: str, reason: str) -> None:
        self.streams.set_failure_reason(stream_id, reason)

    def set_live_status(self, stream_id: str, status: str, degraded: str = "") -> bool:
        """A status callback's news for a stream in the table; False when it is not there."""
        return self.streams.set_live_status(stream_id, status, degraded)

    # --- intents ------------------------------------------------------------------------------
    def _stop_selected(self) -> None:
        stream_id = self.selected_stream_id()
        row = self.streams.row_of(stream_id) if stream_id else None
        if self.call and stream_id and row is not None and self.streams.is_active(row):
            self.stop_requested.emit(self.call.call_uuid, stream_id)

    def _refresh_streams(self) -> None:
        if self.call is not None:
            self.refresh_streams_requested.emit(self.call.call_uuid)

    def _stop_all(self) -> None:
        if self.call is not None:
            self.stop_all_requested.emit(self.call.call_uuid)

    def _sync_result(self) -> None:
        """A "Stream started" whose stream the list now shows ended or failed says so."""
        if self.call is None or self.streams.call_ended:
            return  # an ended call's form shows no result (and its label says why)
        call_uuid = self.call.call_uuid
        stream_id = self.form.reported_stream_id(call_uuid)
        row = self.streams.row_of(stream_id) if stream_id else None
        if stream_id is None or row is None or self.streams.is_active(row):
            return
        status = (self.streams.stream(row).status or "").lower()
        if status == STOPPING_STATUS:
            return  # the stop's own answer says "stopped" (or that it failed)
        self.form.stream_ended(call_uuid, stream_id, status, self.streams.failure_reason(stream_id))

    def _copy_uuid(self) -> None:
        if self.call is not None:
            QGuiApplication.clipboard().setText(self.call.call_uuid)

    def _update_buttons(self) -> None:
        stream_id = self.selected_stream_id()
        row = self.streams.row_of(stream_id) if stream_id else None
        active_selected = row is not None and self.streams.is_active(row)
        self.stop_button.setEnabled(active_selected)
        self.stop_button.setToolTip(
            "Stop the selected stream (Del)" if active_selected
            else "Select an active stream in the table to stop it"
        )  # fmt: skip
        active = self.streams.active_count()
        self.stop_all_button.setEnabled(active > 0)
        self.stop_all_button.setToolTip(
            "Stop every active stream on this call (asks first)" if active
            else "No active streams on this call"
        )  # fmt: skip
        count = self.streams.rowCount()
        self.streams_label.setText(
            "Streams on this call (the call has ended: its streams ended with it)"
            if self.streams.call_ended
            else f"Streams on this call ({active} active of {count})" if count
            else "Streams on this call (none yet)"
        )  # fmt: skip
        if self.streams.call_ended:
            for button in (self.stop_button, self.stop_all_button):
                button.setToolTip("The call has ended: no stream of it is running")
