"""Guards the PySide6 pin: 6.12.0 drops a reference to True on every `dataChanged.emit` and two to
None on every begin/endInsertRows, so a busy calls table crashes the process within minutes
("deallocating None"). Whatever version is installed must keep reference counts balanced."""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt


class _Model(QAbstractTableModel):
    rows = 10

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        return None


def test_model_signals_keep_reference_counts_balanced() -> None:
    model = _Model()
    before = (sys.getrefcount(True), sys.getrefcount(None))
    for _ in range(200):
        model.dataChanged.emit(model.index(0, 0), model.index(0, 2), [Qt.ItemDataRole.DisplayRole])
        model.beginInsertRows(QModelIndex(), 0, 0)
        model.rows += 1
        model.endInsertRows()
    after = (sys.getrefcount(True), sys.getrefcount(None))
    assert after[0] - before[0] > -50, "True lost references: PySide6 refcount bug"
    assert after[1] - before[1] > -50, "None lost references: PySide6 refcount bug"
