"""Text from outside is shown as text, never as markup.

Qt guesses: a QLabel (Qt.AutoText), a tooltip and a QMessageBox render a string as HTML when it
*looks* like HTML. A caller name, Plivo's error text or an account name is chosen by someone else,
so `<img src=file:///etc/passwd>` or a big red `<span>` would show as an image or a fake alert.
Every widget here that can show such text goes through this module: labels are made PlainText,
tooltips are escaped when Qt would take them for rich text, and the few labels we deliberately
colour with HTML escape every piece of text they are given (`rich_label` marks them so the guard
test can tell them apart from a forgotten AutoText label).
"""

from __future__ import annotations

import html

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QStyle, QWidget

ESCAPED_RICH_TEXT = "escaped_rich_text"
"""Dynamic property on a RichText label whose every text piece is html-escaped by its owner."""


def _might_be_rich(text: str) -> bool:
    """Qt's own guess (QtGui's `Qt.mightBeRichText`), the one tooltips and AutoText labels use."""
    return bool(QtGui.Qt.mightBeRichText(text))


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel that shows `text` literally, whatever it contains."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def make_plain(*labels: QLabel) -> None:
    """Turn existing labels (built elsewhere, e.g. by a layout) to plain text."""
    for label in labels:
        label.setTextFormat(Qt.TextFormat.PlainText)


def set_plain(label: QLabel, text: str) -> None:
    """Show `text` literally in `label` (sets the format every time: cheap, and robust)."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)


def rich_label(parent: QWidget | None = None) -> QLabel:
    """A RichText label for markup we compose ourselves; its owner escapes every outside piece
    with `escape` before composing."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setProperty(ESCAPED_RICH_TEXT, True)
    return label


def escape(text: str) -> str:
    """Outside text made safe to put inside markup we compose."""
    return html.escape(text, quote=True)


def tooltip_text(text: str) -> str:
    """A tooltip that shows `text` literally. Qt renders a tooltip as HTML when it might be
    rich text; then the text is escaped, with its spaces and line breaks kept. Ordinary text is
    returned unchanged, so it looks like every other plain tooltip."""
    if not text or not _might_be_rich(text):
        return text
    lines = escape(text).replace("\n", "<br>")  # a trailing newline would otherwise vanish
    return f'<p style="white-space:pre-wrap">{lines}</p>'


def rendered_tooltip(tooltip: str) -> str:
    """What the agent reads when Qt shows `tooltip` (for tests and the guard)."""
    if not _might_be_rich(tooltip):
        return tooltip
    document = QTextDocument()
    document.setHtml(tooltip)
    # toRawText keeps no-break spaces (toPlainText turns them into spaces); blocks and <br>
    # come out as the Unicode paragraph and line separators.
    return document.toRawText().replace("\u2029", "\n").replace("\u2028", "\n")


def plain_message_box(parent: QWidget | None = None) -> QMessageBox:
    """A QMessageBox whose text and informative text are shown literally (its detailed text is
    always plain)."""
    box = QMessageBox(parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def set_placeholder(edit: QLineEdit, text: str) -> None:
    """A placeholder the field is wide enough to show whole (a cut-off hint reads as nonsense):
    the field's minimum width follows the text."""
    edit.setPlaceholderText(text)
    margins = edit.textMargins()
    frame = 4 * edit.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth) + 8
    needed = edit.fontMetrics().horizontalAdvance(text) + margins.left() + margins.right() + frame
    edit.setMinimumWidth(max(needed, 120))
