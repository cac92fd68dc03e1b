"""Search and direction filter in front of the calls model.

Filtering runs per row in Python but touches only one precomputed lower-case string per row
(~5 ms for 10,000 rows). Sorting is forwarded to the source model, which sorts its columns in one
pass, instead of Qt's comparison-by-comparison callbacks into Python.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from console.ui.calls_model import CallsTableModel

Index = QModelIndex | QPersistentModelIndex


class CallsFilterProxy(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._needles: list[str] = []
        self._direction = ""
        # Re-filter rows whose data changes; there is no proxy sort column, so no proxy sorting.
        self.setDynamicSortFilter(True)

    def source(self) -> CallsTableModel:
        model = self.sourceModel()
        assert isinstance(model, CallsTableModel)
        return model

    def set_search(self, text: str) -> None:
        """Every whitespace-separated word must appear in from, to, caller name or call UUID."""
        needles = text.lower().split()
        if needles == self._needles:
            return
        self.beginFilterChange()
        self._needles = needles
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_direction(self, direction: str) -> None:
        """ "inbound", "outbound" or "" for both."""
        if direction == self._direction:
            return
        self.beginFilterChange()
        self._direction = direction
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @property
    def search_text(self) -> str:
        return " ".join(self._needles)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.source()
        if self._direction and model.directions[source_row] != self._direction:
            return False
        needles = self._needles
        if not needles:
            return True
        key = model.search[source_row]
        if len(needles) == 1:
            return needles[0] in key
        return all(n in key for n in needles)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source().sort(column, order)
