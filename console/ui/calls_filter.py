"""Search and direction filter in front of the calls model.

A filter change is applied as one layout change (`invalidate`), not as Qt's incremental
filter diff: a keystroke that shows or hides rows scattered over 10,000 calls would otherwise emit
a begin/end pair per run of rows (over a thousand), each of them walked by the view, its headers
and the selection (~100 ms a keystroke). `filterAcceptsRow` reads the model's precomputed
lower-case search strings directly (no per-call model lookup), as it runs once per row. A repaint
asks each cell for seven roles: `multiData` answers them in one call into Python, where Qt's
default would make fourteen (each role's `data`, each through the source's `index`). Sorting is
forwarded to the source model, which sorts its columns in one pass, instead of Qt's
comparison-by-comparison callbacks into Python.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from console.ui.calls_model import CELL_ROLES, CallsTableModel

Index = QModelIndex | QPersistentModelIndex


class CallsFilterProxy(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._needles: list[str] = []
        self._direction = ""
        self._model = CallsTableModel()  # replaced by setSourceModel
        # Re-filter rows whose data changes; there is no proxy sort column, so no proxy sorting.
        self.setDynamicSortFilter(True)

    def setSourceModel(self, model: QAbstractItemModel) -> None:
        assert isinstance(model, CallsTableModel)
        self._model = model
        super().setSourceModel(model)

    def source(self) -> CallsTableModel:
        return self._model

    def set_search(self, text: str) -> None:
        """Every whitespace-separated word must appear in from, to, caller name or call UUID."""
        needles = text.lower().split()
        if needles == self._needles:
            return
        self._needles = needles
        self.invalidate()

    def set_direction(self, direction: str) -> None:
        """ "inbound", "outbound" or "" for both."""
        if direction == self._direction:
            return
        self._direction = direction
        self.invalidate()

    @property
    def search_text(self) -> str:
        return " ".join(self._needles)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self._model
        if self._direction and model.directions[source_row] != self._direction:
            return False
        needles = self._needles
        if not needles:
            return True
        key = model.search[source_row]
        if len(needles) == 1:
            return needles[0] in key
        return all(n in key for n in needles)

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        source = self.mapToSource(index)
        row, column, value = source.row(), source.column(), self._model.value
        span = [roleDataSpan] if isinstance(roleDataSpan, QModelRoleData) else roleDataSpan
        for role_data in span:  # type: ignore[union-attr]  # the span is a sequence
            role = role_data.role()
            if role in CELL_ROLES:
                role_data.setData(value(row, column, role))
            else:  # a role the model never answers (font, decoration, check state, ...)
                role_data.clearData()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._model.sort(column, order)
