"""Column widths that follow the font in use: a larger system font widens the columns instead of
cutting their titles off (docs/layout.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle, QTableView

Col = TypeVar("Col", bound=int)  # a table's column enum


def title_width(table: QTableView, column: int) -> int:
    """What the column's title needs with the header's margins and a sort arrow."""
    header = table.horizontalHeader()
    title = str(table.model().headerData(column, Qt.Orientation.Horizontal) or "")
    style = header.style()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    arrow = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
    return header.fontMetrics().horizontalAdvance(title) + 2 * margin + arrow


def size_columns(table: QTableView, chars: Mapping[Col, int]) -> None:
    """Each column `chars[column]` characters ("x") of the table's font wide, or its title's
    width when that is more."""
    char = table.fontMetrics().horizontalAdvance("x")
    for column, count in chars.items():
        table.setColumnWidth(column, max(count * char, title_width(table, column)))
