"""The calls list: search, direction filter, the table, its context menu and empty states.

Rows never move under the agent by themselves: calls that arrive while the agent is working the
list wait behind a "3 new calls" bar (the app decides when to hold them), and rows removed above
the selected call are compensated by scrolling, so the selected row keeps its place on screen.
When the list cannot be refreshed, a line above it says as of when it shows the calls."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStackedLayout,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.domain.calls import LiveCall
from console.ui.accessible import clear_button, follow_at_selection
from console.ui.calls_columns import Column
from console.ui.calls_filter import CallFilter
from console.ui.calls_model import (
    NUMERIC_COLUMNS,
    UUID_ROLE,
    ApplyResult,
    CallsTableModel,
    faded_text_colour,
)
from console.ui.empty_state import EmptyState
from console.ui.plain_text import make_plain
from console.ui.steady_inputs import SteadyComboBox
from console.ui.table_widths import size_columns

# Widths in characters ("x") of the list's font; the caller's name gets the rest.
COLUMN_CHARS = {
    Column.FROM: 16, Column.TO: 16, Column.DIRECTION: 9, Column.STATUS: 11,
    Column.STARTED: 10, Column.DURATION: 7, Column.STREAMS: 7,
}  # fmt: skip
CALLER_MIN_CHARS = 13


_HAS_DISPLAY = QStyleOptionViewItem.ViewItemFeature.HasDisplay
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class CallCells(QStyledItemDelegate):
    """Draws each cell as Qt's own delegate does (the style draws it: text, numbers right-
    aligned, an ended call's text as disabled text), but reads it with one call into Python
    (`CallsTableModel.cell`): Qt's own asks for seven roles through `multiData`, a dozen
    crossings into Python per cell, ~2 ms of a ~10 ms repaint."""

    def __init__(self, model: CallsTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        column = index.column()
        text, ended = self._model.cell(index.row(), column)
        option.index = index  # type: ignore[assignment]  # a persistent index is never passed
        option.text = text
        option.features |= _HAS_DISPLAY
        if column in NUMERIC_COLUMNS:
            option.displayAlignment = _RIGHT
        if ended:
            palette = QPalette(option.palette)
            palette.setColor(QPalette.ColorRole.Text, faded_text_colour())
            option.palette = palette
        option.styleObject = None  # type: ignore[assignment]  # as Qt's own: no animations


class CallsTable(QTableView):
    """Enter opens the stream form on the current call. Rows removed above the current row are
    compensated by scrolling, so the current row stays where the agent saw it."""

    activated_call = Signal()
    selected_in_place = Signal()  # the current row became selected without moving

    def size_columns(self) -> None:
        """Row height and column widths from the font in use (a larger system font widens them);
        the caller's name takes the width left over, never less than CALLER_MIN_CHARS."""
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        size_columns(self, COLUMN_CHARS)
        self.fit_caller()

    def fit_caller(self) -> None:
        char = self.fontMetrics().horizontalAdvance("x")
        others = sum(self.columnWidth(c) for c in Column if c is not Column.CALLER)
        width = max(CALLER_MIN_CHARS * char, self.viewport().width() - others)
        if self.columnWidth(Column.CALLER) != width:
            self.setColumnWidth(Column.CALLER, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_caller()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.size_columns()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        current = self.currentIndex()
        if enter and current.isValid():
            self.activated_call.emit()
            return
        if event.key() == Qt.Key.Key_Down and current.isValid():
            selection = self.selectionModel()
            if not selection.isSelected(current):
                # The first ↓ after the list got focus picks the row the focus marks (the first
                # call) instead of skipping past it.
                flags = QItemSelectionModel.SelectionFlag
                selection.setCurrentIndex(current, flags.ClearAndSelect | flags.Rows)
                self.selected_in_place.emit()
                return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on the row the focus already marks (the top row at launch) selects it without
        changing the current row, so no `currentRowChanged` says so: say it here, or the row
        turns blue while the pane still shows no call."""
        super().mousePressEvent(event)
        current = self.currentIndex()
        if current.isValid() and self.selectionModel().isSelected(current):
            self.selected_in_place.emit()

    def rowsInserted(
        self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int
    ) -> None:
        super().rowsInserted(parent, start, end)
        current = self.currentIndex()
        selection = self.selectionModel()
        if current.isValid() and current.row() != 0 and not selection.isSelected(current):
            # Nothing picked yet: the focus mark stays on the top row, so the first ↓ picks
            # the first call, however many calls arrived above the marked one.
            top = self.model().index(0, current.column())
            selection.setCurrentIndex(top, QItemSelectionModel.SelectionFlag.NoUpdate)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is not None:
            # A refresh with many changes, a sort or a filter arrives as one layout change.
            model.layoutAboutToBeChanged.connect(self._remember_anchor)
            model.layoutChanged.connect(self._keep_anchor)

    def _remember_anchor(self) -> None:
        current = self.currentIndex()
        top = self.visualRect(current).top() if current.isValid() else 0
        self._anchor = (QPersistentModelIndex(current), top)

    def _keep_anchor(self) -> None:
        """The current row stays where the agent saw it, as when rows above it are removed."""
        anchor, top = getattr(self, "_anchor", (QPersistentModelIndex(), 0))
        self._anchor = (QPersistentModelIndex(), 0)
        # The scroll range now, not in the next paint: a range that shrank (a search hiding
        # most rows) would move the rows under that paint and cost a second one.
        self.updateGeometries()
        if not anchor.isValid():
            return
        moved = self.visualRect(self.model().index(anchor.row(), anchor.column())).top() - top
        self._scroll_rows(moved // max(1, self.verticalHeader().defaultSectionSize()))
        self.rowsInserted(QModelIndex(), 0, 0)  # the focus mark's rule for new rows

    def rowsAboutToBeRemoved(
        self, parent: QModelIndex | QPersistentModelIndex, start: int, end: int
    ) -> None:
        current = self.currentIndex()
        if not parent.isValid() and current.isValid() and end < current.row():
            self._scroll_rows(-(end - start + 1))
        super().rowsAboutToBeRemoved(parent, start, end)

    def _scroll_rows(self, rows: int) -> None:
        bar = self.verticalScrollBar()
        per_pixel = self.verticalScrollMode() == QAbstractItemView.ScrollMode.ScrollPerPixel
        bar.setValue(
            bar.value() + rows * (self.verticalHeader().defaultSectionSize() if per_pixel else 1)
        )


class CallsView(QWidget):
    call_selected = Signal(object)  # call uuid or None
    open_form_requested = Signal(str)
    stop_all_requested = Signal(str)
    show_held_requested = Signal()  # the agent asks for the calls held behind the bar

    def __init__(self, model: CallsTableModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calls_view")
        self.model = model if model is not None else CallsTableModel(parent=self)
        self._held: list[LiveCall] = []  # arrived while the agent worked; behind the bar

        header = self._build_filters()
        self._build_table()
        self._connect_table()
        self._build_notes()
        self._lay_out(header)
        self._start_counting()
        self._update_counts()

    def _build_filters(self) -> QHBoxLayout:
        self.search = QLineEdit()
        self.search.setObjectName("call_search")
        self.search.setPlaceholderText("Search number, caller name or call UUID  (Ctrl+F)")
        self.search.setAccessibleName("Search calls")
        clear_button(self.search)
        self.search.textChanged.connect(self._on_search)
        self.direction = SteadyComboBox()
        self.direction.setObjectName("direction_filter")
        self.direction.setAccessibleName("Direction filter")
        for label, value in (
            ("All directions", ""),
            ("Inbound", "inbound"),
            ("Outbound", "outbound"),
        ):
            self.direction.addItem(label, value)
        self.direction.currentIndexChanged.connect(self._on_direction)
        self.count = QLabel()
        make_plain(self.count)
        self.count.setObjectName("calls_count")
        header = QHBoxLayout()
        header.addWidget(self.search, 1)
        header.addWidget(self.direction)
        header.addWidget(self.count)
        return header

    def _build_table(self) -> None:
        self.table = CallsTable()
        self.table.setObjectName("calls_table")
        self.table.setAccessibleName("Live calls")
        self.table.setModel(self.model)  # it sorts and filters itself: no proxy in between
        self.table.setItemDelegate(CallCells(self.model, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.STARTED, Qt.SortOrder.DescendingOrder)
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        # Uniform fixed-height rows: the header need not track 10,000 section sizes on inserts.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setWordWrap(False)
        hh = self.table.horizontalHeader()
        hh.setHighlightSections(False)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(False)
        self.table.size_columns()

    def _connect_table(self) -> None:
        self.table.setTabKeyNavigation(False)  # Tab leaves the list; the arrows move in it
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.activated_call.connect(self._open_current)
        self.table.doubleClicked.connect(lambda _i: self._open_current())
        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(self._on_current_changed)
        self._recheck_timer = QTimer(self)
        self._recheck_timer.setSingleShot(True)
        self._recheck_timer.setInterval(0)
        self._recheck_timer.timeout.connect(self.recheck_selection)
        self.table.selected_in_place.connect(self.recheck_selection)
        follow_at_selection(self.table, self.recheck_selection)  # a screen reader's pick

    def _build_notes(self) -> None:
        self.empty = EmptyState(
            "No live calls right now", "Calls appear here a few seconds after they start."
        )
        self.empty.setObjectName("calls_empty")
        self.stale = QLabel()
        make_plain(self.stale)
        self.stale.setObjectName("calls_stale")
        self.stale.setWordWrap(True)
        self.stale.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.stale.setStyleSheet(
            "QLabel { background: #fff4ce; color: #5c4400; border: 1px solid #e0c36c;"
            " border-radius: 3px; padding: 3px 6px; }"
        )
        self.stale.setVisible(False)
        make_plain(self.stale)
        self.held_bar = QWidget()
        self.held_bar.setObjectName("new_calls_bar")
        self.held_label = QLabel()
        make_plain(self.held_label)
        self.held_label.setObjectName("new_calls_label")
        make_plain(self.held_label)
        self.show_held = QPushButton("Show &new calls")
        self.show_held.setObjectName("show_new_calls")
        self.show_held.setToolTip("Add the calls that arrived to the list (Alt+N)")
        self.show_held.clicked.connect(self.show_held_requested)
        held = QHBoxLayout(self.held_bar)
        held.setContentsMargins(6, 2, 2, 2)
        held.addWidget(self.held_label, 1)
        held.addWidget(self.show_held)
        self.held_bar.setStyleSheet(
            "#new_calls_bar { background: palette(highlight); border-radius: 3px; }"
            " #new_calls_label { color: palette(highlighted-text); font-weight: bold; }"
        )
        self.held_bar.setVisible(False)

    def _lay_out(self, header: QHBoxLayout) -> None:
        self.stack = QStackedLayout()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addWidget(self.stale)
        layout.addWidget(self.held_bar)
        layout.addLayout(self.stack, 1)

    def _start_counting(self) -> None:
        # Row signals arrive once per inserted call: coalesce them into one count update.
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(0)
        self._counts_timer.timeout.connect(self._update_counts)
        for signal in (
            self.model.rowsInserted,
            self.model.rowsRemoved,
            self.model.layoutChanged,
            self.model.modelReset,
            self.model.dataChanged,  # a call that ended is no longer counted as live
        ):
            signal.connect(self._schedule_counts)
        self._selected: str | None = None
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick_durations)
        self._ticker.start()
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        find.triggered.connect(self.focus_search)
        self.addAction(find)

    # --- state ----------------------------------------------------------------------------------
    def selected_call(self) -> str | None:
        return self._selected

    def select_call(self, call_uuid: str) -> bool:
        index = self.model.index_of(call_uuid)
        if not index.isValid():
            return False  # no such call, or the filter hides it
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.recheck_selection()  # the row may have been current (focus-marked) already
        self.table.scrollTo(index)
        return True

    # --- the calls shown (for the app: the model stays behind these) ---------------------------
    def clear_calls(self) -> None:
        self.model.clear()

    def has_calls(self) -> bool:
        return self.model.unfiltered_count() > 0

    def shown_call_ids(self) -> Collection[str]:
        """The uuids with a row now (ended calls fading out included)."""
        return self.model.row_index().keys()

    def show_calls(self, calls: Iterable[LiveCall], *, keep: Iterable[str] = ()) -> ApplyResult:
        """Show `calls` in one go (see CallsTableModel.apply)."""
        return self.model.apply(calls, keep=keep)

    async def show_calls_in_slices(
        self, calls: Iterable[LiveCall], *, keep: Iterable[str] = ()
    ) -> ApplyResult:
        """Show `calls`, handing the event loop back between slices (CallsTableModel)."""
        return await self.model.apply_in_slices(calls, keep=keep)

    def call_record(self, call_uuid: str) -> LiveCall | None:
        """The call as its row was last built (an ended call's last known state)."""
        row = self.model.row_of(call_uuid)
        return self.model.records[row] if row is not None else None

    def call_numbers(self, call_uuid: str) -> tuple[str, str] | None:
        """(from, to) as the list holds them, None once the call has no row."""
        row = self.model.row_of(call_uuid)
        return (self.model.froms[row], self.model.tos[row]) if row is not None else None

    def stream_count(self, call_uuid: str) -> int | None:
        row = self.model.row_of(call_uuid)
        return self.model.streams[row] if row is not None else None

    def set_stream_count(self, call_uuid: str, count: int) -> None:
        self.model.set_stream_count(call_uuid, count)

    def scroll_to_top(self) -> None:
        self.table.scrollToTop()

    def is_stale(self) -> bool:
        """True while the list says it is not being refreshed."""
        return self.stale.isVisibleTo(self)

    def set_stale(self, text: str | None) -> None:
        """Say the list is not being refreshed (None: it is again)."""
        self.stale.setText(text or "")
        self.stale.setVisible(bool(text))
        self.model.set_estimated(bool(text))  # durations go on ticking, marked as estimates

    def set_held(self, calls: Sequence[LiveCall]) -> None:
        """The calls waiting behind the bar (none hides it)."""
        self._held = list(calls)
        self._update_held()

    def _update_held(self) -> None:
        """While a search or the direction filter is on, the bar says how many of the new calls
        the list would show: "4 new calls arrived" under "1 of 13" must not promise four."""
        count = len(self._held)
        noun = "new call" if count == 1 else "new calls"
        text = f"{count} {noun} arrived"
        shown = self.model.filter  # the same rule as the list's rows
        if count and shown.active:
            hits = sum(shown.accepts_call(c) for c in self._held)
            what = "the search" if not shown.direction else "the filters"
            text += f", {hits or 'none'} {'matches' if hits == 1 else 'match'} {what}"
        self.held_label.setText(text)
        self.held_bar.setVisible(count > 0)

    def held_count_text(self) -> str:
        return self.held_label.text() if self.held_bar.isVisibleTo(self) else ""

    def agent_is_working(self) -> bool:
        """True while new rows would move something under the agent: a call is selected or
        the pointer is over the list."""
        return self._selected is not None or self.table.viewport().underMouse()

    def focus_list(self) -> None:
        """Keyboard focus to the table, so the arrow keys move through the calls at once."""
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def set_empty_text(self, title: str, message: str) -> None:
        self.empty.set_text(title, message)
        self._update_counts()

    # --- slots ----------------------------------------------------------------------------------
    def _on_search(self, _text: str) -> None:
        self._filter_changed()

    def _on_direction(self, _index: int) -> None:
        self._filter_changed()

    def _filter_changed(self) -> None:
        direction = str(self.direction.currentData() or "")
        self.model.set_filter(CallFilter.of(self.search.text(), direction))
        self._update_counts()
        self._update_held()

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and not self.table.selectionModel().isSelected(current):
            # Qt marks a current row on focus-in (never selected) and on a mouse press before
            # it selects the row: look again once the press is done.
            self._recheck_timer.start()
            return
        self.recheck_selection()

    def recheck_selection(self) -> None:
        """The selected current row is the agent's pick. (Not `selectionChanged`: a filter
        keystroke emits it a hundred times, each one a costly call into Python.)"""
        current = self.table.currentIndex()
        if current.isValid() and not self.table.selectionModel().isSelected(current):
            return  # a row marked by focus, not picked by the agent
        uuid_ = current.data(UUID_ROLE) if current.isValid() else None
        if uuid_ != self._selected:
            self._selected = uuid_
            self.call_selected.emit(uuid_)

    def _open_current(self) -> None:
        if self._selected:
            self.open_form_requested.emit(self._selected)

    def _schedule_counts(self) -> None:
        self._counts_timer.start()

    def _update_counts(self) -> None:
        total, shown = self.model.unfiltered_count(), self.model.rowCount()
        if total == 0:
            self.count.setText("")
            self.stack.setCurrentWidget(self.empty)
            return
        self.stack.setCurrentWidget(self.table)
        ended = self.model.ended_count()
        live = total - ended
        noun = "live call" if live == 1 else "live calls"
        counted = f"{live} {noun}" + (f", {ended} ended" if ended else "")
        self.count.setText(counted if shown == total else f"{shown} of {total} shown")
        if shown == 0:
            self.count.setText(f"No match among {total}")

    def _tick_durations(self) -> None:
        """Repaint only the duration cells in view, never the whole table."""
        if not self.table.isVisible() or self.model.rowCount() == 0:
            return
        x = self.table.columnViewportPosition(Column.DURATION)
        if x < 0:
            return
        width = self.table.columnWidth(Column.DURATION)
        viewport = self.table.viewport()
        viewport.update(QRect(x, 0, width, viewport.height()))

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        uuid_ = str(index.data(UUID_ROLE))
        row = self.model.row_of(uuid_)
        if row is None:
            return
        menu = QMenu(self)
        menu.setObjectName("calls_context_menu")
        clipboard = QGuiApplication.clipboard()
        menu.addAction("Copy call UUID", lambda: clipboard.setText(uuid_))
        menu.addAction("Copy from number", lambda: clipboard.setText(self.model.froms[row]))
        menu.addAction("Copy to number", lambda: clipboard.setText(self.model.tos[row]))
        menu.addSeparator()
        start = menu.addAction("Start stream…", lambda: self.open_form_requested.emit(uuid_))
        stop_all = menu.addAction("Stop all streams…", lambda: self.stop_all_requested.emit(uuid_))
        ended = self.model.is_ended(row)
        start.setEnabled(not ended)
        # Only with streams known to be active: stopping nothing is not an action.
        stop_all.setEnabled(not ended and self.model.streams[row] > 0)
        menu.popup(self.table.viewport().mapToGlobal(pos))
