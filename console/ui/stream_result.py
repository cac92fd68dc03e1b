"""The result area under the stream form: the new stream's ids (copyable), or what went wrong in
plain words with the technical detail one click away."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.streams import StreamStarted
from console.ui.palette import Tone, set_text_tone
from console.ui.plain_text import make_plain
from console.ui.stream_form_fields import HINT_COLOR, colored


class _CopyableId(QWidget):
    """A read-only, selectable id with a Copy button."""

    def __init__(self, name: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = QLineEdit(self)
        self.field.setObjectName(name)
        self.field.setReadOnly(True)
        self.field.setAccessibleName(label)
        self.field.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy = QPushButton("Copy", self)
        self.copy.setObjectName(f"{name}_copy")
        self.copy.setAccessibleName(f"Copy {label}")
        self.copy.clicked.connect(self._copy)
        self.title = QLabel(label, self)
        make_plain(self.title)
        self.title.setBuddy(self.field)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.field.text())
        self.copy.setText("Copied")

    def set_value(self, value: str) -> None:
        self.field.setText(value)
        self.field.setCursorPosition(0)
        self.copy.setText("Copy")
        self.copy.setEnabled(bool(value))


class StreamResultView(QFrame):
    """Hidden until there is something to report."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stream_result")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.headline = QLabel(self)
        self.headline.setObjectName("result_message")
        make_plain(self.headline)  # Plivo's error text
        self.headline.setWordWrap(True)
        self.stream_id = _CopyableId("result_stream_id", "Stream ID", self)
        self.api_id = _CopyableId("result_api_id", "API ID", self)
        self.detail_toggle = QPushButton("Show technical detail", self)
        self.detail_toggle.setObjectName("result_detail_toggle")
        self.detail_toggle.setCheckable(True)
        self.detail = QPlainTextEdit(self)
        self.detail.setObjectName("result_detail")
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Technical detail")
        self.detail.setMaximumHeight(110)
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        ids = QGridLayout()
        ids.setContentsMargins(0, 0, 0, 0)
        for row, item in enumerate((self.stream_id, self.api_id)):
            ids.addWidget(item.title, row, 0)
            ids.addWidget(item.field, row, 1)
            ids.addWidget(item.copy, row, 2)
        self.ids = QWidget(self)
        self.ids.setLayout(ids)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.ids)
        toggle_row = QHBoxLayout()
        toggle_row.addWidget(self.detail_toggle)
        toggle_row.addStretch(1)
        layout.addLayout(toggle_row)
        layout.addWidget(self.detail)
        self.detail_toggle.toggled.connect(self._toggle_detail)
        self.clear()

    def clear(self) -> None:
        self.headline.clear()
        self.stream_id.set_value("")
        self.api_id.set_value("")
        self.detail.clear()
        self.setVisible(False)

    def show_started(self, started: StreamStarted) -> None:
        self.headline.setText("Stream started. Plivo will now connect to the stream URL.")
        self.headline.setStyleSheet("font-weight: bold;")
        set_text_tone(self.headline, Tone.SUCCESS)
        self.stream_id.set_value(started.stream_id)
        self.api_id.set_value(started.api_id or "")
        self.ids.setVisible(True)
        self._set_detail(started.message or "")
        self.setVisible(True)

    def show_error(self, message: str, detail: str = "") -> None:
        self.headline.setText(message)
        self.headline.setStyleSheet("font-weight: bold;")
        set_text_tone(self.headline, Tone.ERROR)
        self.ids.setVisible(False)
        self._set_detail(detail)
        self.setVisible(True)

    def show_note(self, message: str) -> None:
        """A neutral line (e.g. "Form reset"), keeping nothing else."""
        self.headline.setText(message)
        self.headline.setStyleSheet("")
        colored(self.headline, HINT_COLOR)
        self.ids.setVisible(False)
        self._set_detail("")
        self.setVisible(True)

    def _set_detail(self, detail: str) -> None:
        self.detail.setPlainText(detail)
        self.detail_toggle.setVisible(bool(detail))
        self.detail_toggle.setChecked(False)
        self.detail.setVisible(False)

    def _toggle_detail(self, shown: bool) -> None:
        self.detail.setVisible(shown)
        self.detail_toggle.setText("Hide technical detail" if shown else "Show technical detail")
