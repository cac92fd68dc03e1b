"""The extra_headers editor: a text field that takes `k1=v1,k2=v2` exactly as Plivo's docs write
it (agents paste it), a live "n / 512 bytes" counter, the invalid characters highlighted in the
field itself, and a key/value table as an alternative editor kept in sync with the text.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.extra_headers import byte_length, join_entries, split_entries
from console.domain.stream_params import EXTRA_HEADERS_MAX_BYTES
from console.ui.plain_text import make_plain
from console.ui.stream_form_fields import ERROR_COLOR, HINT_COLOR, colored

Span = tuple[int, int]


class HighlightLineEdit(QLineEdit):
    """A QLineEdit that marks character ranges (the invalid ones) with a red tint and underline.
    QLineEdit has no per-range formatting, so the marks are painted over the text, placed from
    the cursor rectangle and the font metrics."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._spans: tuple[Span, ...] = ()

    def set_highlights(self, spans: tuple[Span, ...]) -> None:
        if spans != self._spans:
            self._spans = spans
            self.update()

    def highlights(self) -> tuple[Span, ...]:
        return self._spans

    def highlighted_text(self) -> list[str]:
        """The characters currently marked, for tests and accessibility."""
        return [self.text()[start:end] for start, end in self._spans]

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._spans or not self.text():
            return
        text = self.text()
        metrics = self.fontMetrics()
        cursor = self.cursorPosition()
        origin = self.cursorRect().center().x() - metrics.horizontalAdvance(text[:cursor])
        rect = self.cursorRect()
        top, height = rect.top(), rect.height()
        painter = QPainter(self)
        fill = QColor(ERROR_COLOR)
        fill.setAlpha(60)
        for start, end in self._spans:
            left = origin + metrics.horizontalAdvance(text[:start])
            width = max(metrics.horizontalAdvance(text[start:end]), 4)
            painter.fillRect(left, top, width, height, fill)
            painter.fillRect(left, top + height - 2, width, 2, ERROR_COLOR)
        painter.end()


class ExtraHeadersEditor(QWidget):
    """Text field (objectName `extra_headers`), byte counter and the optional table."""

    textChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line_edit = HighlightLineEdit(self)
        self.line_edit.setObjectName("extra_headers")
        self.line_edit.setPlaceholderText("k1=v1,k2=v2")
        self.counter = QLabel(self)
        make_plain(self.counter)
        self.counter.setObjectName("extra_headers_counter")
        self.counter.setAccessibleName("Extra headers size")
        self.toggle = QPushButton("Edit as table", self)
        self.toggle.setObjectName("extra_headers_table_toggle")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip("Show a key/value table that edits the same headers")
        self.table = QTableWidget(0, 2, self)
        self.table.setObjectName("extra_headers_table")
        self.table.setAccessibleName("Extra headers as a key/value table")
        self.table.setHorizontalHeaderLabels(["Key", "Value"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)
        self.table.setMaximumHeight(150)
        self.add_row = QPushButton("Add header", self)
        self.add_row.setObjectName("extra_headers_add_row")
        self.remove_row = QPushButton("Remove selected", self)
        self.remove_row.setObjectName("extra_headers_remove_row")
        self.table_panel = QWidget(self)
        panel = QVBoxLayout(self.table_panel)
        panel.setContentsMargins(0, 0, 0, 0)
        panel.addWidget(self.table)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_row)
        buttons.addWidget(self.remove_row)
        buttons.addStretch(1)
        panel.addLayout(buttons)
        self.table_panel.setVisible(False)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.line_edit, 1)
        top.addWidget(self.counter)
        top.addWidget(self.toggle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table_panel)

        self.line_edit.textChanged.connect(self._text_edited)
        self.table.itemChanged.connect(self._table_edited)
        self.toggle.toggled.connect(self._show_table)
        self.add_row.clicked.connect(self._add_row)
        self.remove_row.clicked.connect(self._remove_rows)
        self._update_counter("")

    # --- public -----------------------------------------------------------------------------

    def text(self) -> str:
        return self.line_edit.text()

    def setText(self, text: str) -> None:
        self.line_edit.setText(text)

    def set_invalid_spans(self, spans: tuple[Span, ...]) -> None:
        self.line_edit.set_highlights(spans)

    def rows(self) -> list[tuple[str, str]]:
        rows = []
        for row in range(self.table.rowCount()):
            key, value = self.table.item(row, 0), self.table.item(row, 1)
            rows.append((key.text() if key else "", value.text() if value else ""))
        return rows

    # --- sync -------------------------------------------------------------------------------

    def _text_edited(self, text: str) -> None:
        self._update_counter(text)
        self._fill_table(split_entries(text))
        self.textChanged.emit(text)

    def _table_edited(self, _item: QTableWidgetItem) -> None:
        text = join_entries(self.rows())
        if text != self.line_edit.text():
            with QSignalBlocker(self.line_edit):
                self.line_edit.setText(text)
            self._update_counter(text)
            self.textChanged.emit(text)

    def _fill_table(self, rows: list[tuple[str, str]]) -> None:
        with QSignalBlocker(self.table):
            self.table.setRowCount(len(rows))
            for index, (key, value) in enumerate(rows):
                self.table.setItem(index, 0, QTableWidgetItem(key))
                self.table.setItem(index, 1, QTableWidgetItem(value))

    def _update_counter(self, text: str) -> None:
        count = byte_length(text)
        self.counter.setText(f"{count} / {EXTRA_HEADERS_MAX_BYTES} bytes")
        over = count > EXTRA_HEADERS_MAX_BYTES
        colored(self.counter, ERROR_COLOR if over else HINT_COLOR)
        self.counter.setProperty("over_limit", over)

    def _show_table(self, shown: bool) -> None:
        self.table_panel.setVisible(shown)
        self.toggle.setText("Hide table" if shown else "Edit as table")

    def _add_row(self) -> None:
        key = QTableWidgetItem("")
        with QSignalBlocker(self.table):
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, key)
            self.table.setItem(row, 1, QTableWidgetItem(""))
        self.table.setCurrentCell(row, 0)
        self.table.editItem(key)

    def _remove_rows(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        with QSignalBlocker(self.table):
            for row in rows:
                self.table.removeRow(row)
        self._table_edited(QTableWidgetItem())
