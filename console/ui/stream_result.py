"""The result area under the stream form: the new stream's ids (copyable), or what went wrong in
plain words with the technical detail one click away.

A result belongs to one call (`ResultRecord`): the form keeps each call's last record and shows
only the selected call's, and a "Stream started" turns into what became of the stream."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QResizeEvent,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.domain.failure_words import explain
from console.domain.streams import StreamStarted
from console.ui.palette import Tone, set_text_tone
from console.ui.plain_text import make_plain, tooltip_text
from console.ui.stream_form_fields import HINT_COLOR, colored

HEADLINE_LINES = 2  # more would push the form's fields out of view at 1280x720
FAILED_PREFIX = "The stream failed: "  # how a FAILED record's headline gives Plivo's reason


def fit_lines(text: str, font: QFont, width: int, lines: int = HEADLINE_LINES) -> str:
    """`text` wrapped at `width` pixels as a word-wrapping label would, cut to `lines` lines with
    an ellipsis ending the last one; unchanged when it fits."""
    if width <= 0 or not text:
        return text
    flat = " ".join(text.split())
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout = QTextLayout(flat, font)
    layout.setTextOption(option)
    layout.beginLayout()
    starts: list[int] = []
    while len(starts) <= lines:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        starts.append(line.textStart())
    layout.endLayout()
    if len(starts) <= lines:
        return text
    last = starts[lines - 1]
    elided = QFontMetrics(font).elidedText(flat[last:], Qt.TextElideMode.ElideRight, width)
    return flat[:last] + elided


class ResultKind(Enum):
    STARTED = "started"
    ERROR = "error"
    ENDED = "ended"  # a started stream that ended without the agent stopping it
    FAILED = "failed"  # a started stream that Plivo reports failed


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """What the result area says for one call. `connection` marks an error that came from not
    reaching Plivo at all: it is dropped once Plivo answers again."""

    kind: ResultKind
    headline: str
    stream_id: str = ""
    api_id: str = ""
    detail: str = ""
    connection: bool = False

    @classmethod
    def started(cls, started: StreamStarted) -> ResultRecord:
        return cls(
            ResultKind.STARTED,
            "Stream started. Plivo will now connect to the stream URL.",
            started.stream_id,
            started.api_id or "",
            started.message or "",
        )


def in_plain_words(record: ResultRecord) -> tuple[str, str]:
    """The headline and technical detail to show for `record`: a failure's reason in plain words
    first, the text as received under "Show technical detail" (docs/failure-words.md)."""
    if record.kind is not ResultKind.FAILED or not record.headline.startswith(FAILED_PREFIX):
        return record.headline, record.detail
    words = explain(record.headline[len(FAILED_PREFIX) :])
    if not words.technical:
        return record.headline, record.detail
    detail = f"Reason as Plivo sent it: {words.technical}"
    return FAILED_PREFIX + words.plain, f"{detail}\n\n{record.detail}" if record.detail else detail


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
        self.headline.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.record: ResultRecord | None = None
        self._message = ""  # the headline in full; the label may show it cut to two lines
        self._detail_text = ""
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

        # Both ids on one row: the result sits under the action bar and must stay short.
        ids = QHBoxLayout()
        ids.setContentsMargins(0, 0, 0, 0)
        for item, stretch in ((self.stream_id, 3), (self.api_id, 2)):
            item.field.setMinimumWidth(60)
            ids.addWidget(item.title)
            ids.addWidget(item.field, stretch)
            ids.addWidget(item.copy)
        self.ids = QWidget(self)
        self.ids.setLayout(ids)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.detail_toggle, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        layout.addWidget(self.ids)
        layout.addWidget(self.detail)
        self.detail_toggle.toggled.connect(self._toggle_detail)
        self.clear()

    @property
    def message(self) -> str:
        """The whole headline, as the agent reads it in the tooltip when the label cuts it."""
        return self._message

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_headline()

    def _set_message(self, text: str, *, bold: bool) -> None:
        self._message = text
        font = self.headline.font()
        font.setBold(bold)
        self.headline.setFont(font)
        self._fit_headline()

    def _fit_headline(self) -> None:
        """At most two lines: a long reason stays whole in the tooltip and the technical detail,
        so the form's fields keep their room."""
        width = self.headline.contentsRect().width() if self.isVisible() else 0  # not laid out
        shown = fit_lines(self._message, self.headline.font(), width)
        cut = shown != self._message
        self.headline.setText(shown)
        self.headline.setToolTip(tooltip_text(self._message) if cut else "")
        text = self._detail_text
        if cut:
            text = f"{self._message}\n\n{text}" if text else self._message
        if self.detail.toPlainText() != text:
            self.detail.setPlainText(text)
        self.detail_toggle.setVisible(bool(text))

    def clear(self) -> None:
        self.record = None
        self._message = ""
        self._detail_text = ""
        self.headline.clear()
        self.headline.setToolTip("")
        self.stream_id.set_value("")
        self.api_id.set_value("")
        self.detail.clear()
        self.setVisible(False)

    def show_record(self, record: ResultRecord | None) -> None:
        """Show one call's last result (None: nothing to report for it)."""
        if record is None:
            self.clear()
            return
        self.record = record
        if record.kind is ResultKind.STARTED:
            set_text_tone(self.headline, Tone.SUCCESS)
        elif record.kind in (ResultKind.ERROR, ResultKind.FAILED):
            set_text_tone(self.headline, Tone.ERROR)
        else:
            set_text_tone(self.headline, None)  # no hint colour left from a note
        self.stream_id.set_value(record.stream_id)
        self.api_id.set_value(record.api_id)
        self.ids.setVisible(bool(record.stream_id))
        self.api_id.field.setVisible(bool(record.api_id))
        self.api_id.copy.setVisible(bool(record.api_id))
        self.api_id.title.setVisible(bool(record.api_id))
        headline, detail = in_plain_words(record)
        self._set_detail(detail)
        self.setVisible(True)
        self._set_message(headline, bold=True)

    def show_started(self, started: StreamStarted) -> None:
        self.show_record(ResultRecord.started(started))

    def show_error(self, message: str, detail: str = "") -> None:
        self.show_record(ResultRecord(ResultKind.ERROR, message, detail=detail))

    def show_note(self, message: str) -> None:
        """A neutral line (e.g. "Form reset"), keeping nothing else."""
        self.record = None
        colored(self.headline, HINT_COLOR)
        self.ids.setVisible(False)
        self._set_detail("")
        self.setVisible(True)
        self._set_message(message, bold=False)

    def _set_detail(self, detail: str) -> None:
        self._detail_text = detail
        self.detail.setPlainText(detail)
        self.detail_toggle.setVisible(bool(detail))
        self.detail_toggle.setChecked(False)
        self.detail.setVisible(False)

    def _toggle_detail(self, shown: bool) -> None:
        self.detail.setVisible(shown)
        self.detail_toggle.setText("Hide technical detail" if shown else "Show technical detail")
