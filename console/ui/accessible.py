"""What Qt leaves out for screen readers on Linux (AT-SPI), filled in where a widget is built.

`clear_button`: a line edit's clear button is nameless in the accessibility tree; it gets the
field's name ("Clear Search calls").

`follow_at_selection`: a screen reader selects a table row through AT-SPI's Table or Selection
interface (`addRowSelection`); Qt applies that to the selection model only, leaving the current
index where it was. The calls list and the streams table act on the current row (a mouse press or
an arrow key moves both), so without this an AT user's pick would select a row the console
ignores. It acts only while an assistive technology is connected (`QAccessible.isActive()`), so
the ordinary selection changes of a typing filter cost one early return. Tested by a real AT-SPI
client: docs/accessibility.md.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, QItemSelectionModel
from PySide6.QtGui import QAccessible, QAction
from PySide6.QtWidgets import QAbstractItemView, QLineEdit

_CLEAR_ACTION = "_q_qlineeditclearaction"  # Qt's name for the clear button's action


def clear_button(edit: QLineEdit) -> None:
    """Turn on `edit`'s clear button, named after the field (set its accessible name first)."""
    edit.setClearButtonEnabled(True)
    action = edit.findChild(QAction, _CLEAR_ACTION)
    if action is not None:  # the button shows its action's text as its name and tooltip
        action.setText(f"Clear {edit.accessibleName() or edit.placeholderText()}".strip())


def follow_at_selection(view: QAbstractItemView, picked: Callable[[], None] | None = None) -> None:
    """Make the one selected row `view`'s current row when an AT selected it, then call
    `picked` (also when the row was current already: focus marks a row without selecting it)."""
    selection = view.selectionModel()

    def on_selection(selected: QItemSelection, _deselected: QItemSelection) -> None:
        if not QAccessible.isActive() or selected.isEmpty():
            return
        rows = selection.selectedRows()
        if len(rows) != 1:
            return
        current = view.currentIndex()
        if rows[0].row() != current.row():
            flag = QItemSelectionModel.SelectionFlag.NoUpdate
            selection.setCurrentIndex(rows[0].siblingAtColumn(max(current.column(), 0)), flag)
        if picked is not None:
            picked()

    selection.selectionChanged.connect(on_selection)
