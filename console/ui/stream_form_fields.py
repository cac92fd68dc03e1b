"""What the stream form says about each field: label, accessible name, documented meaning
(tooltip and accessible description), and the inline message row under a field.

The meanings paraphrase Plivo's documentation of the start-stream parameters (docs/stream-form.md
and the plivo-node doc comment), so an agent who has never read Plivo's docs learns them here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from console.domain.validation import Problem
from console.ui.palette import background_of, readable
from console.ui.plain_text import ESCAPED_RICH_TEXT

ERROR_COLOR = QColor("#b3261e")
WARNING_COLOR = QColor("#8a5a00")
HINT_COLOR = QColor("#5f6368")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    label: str
    meaning: str

    @property
    def accessible_name(self) -> str:
        return f"{self.label} ({self.name})"

    @property
    def tooltip(self) -> str:
        return f"<b>{self.name}</b><br>{self.meaning}"


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec(
            "service_url",
            "Stream URL",
            "Required. The WebSocket address (wss://) that Plivo connects to and streams the "
            "call's audio over.",
        ),
        FieldSpec(
            "bidirectional",
            "Bidirectional",
            "When on, your service can also send audio back into the call. Off by default.",
        ),
        FieldSpec(
            "audio_track",
            "Audio track",
            "Which audio Plivo streams: inbound (what the caller says, the default), outbound "
            "(what the caller hears) or both. Only inbound when the stream is bidirectional.",
        ),
        FieldSpec(
            "stream_timeout",
            "Stream timeout",
            "The longest time, in seconds, that audio is streamed once it starts. Then streaming "
            "stops; the call itself goes on. Default 86400 seconds (24 h).",
        ),
        FieldSpec(
            "status_callback_url",
            "Status callback URL",
            "Optional. A web address Plivo notifies when the stream connects, stops, reaches its "
            "timeout, or fails to connect or drops. Not called when the call hangs up.",
        ),
        FieldSpec(
            "status_callback_method",
            "Callback method",
            "How Plivo calls the status callback URL: POST (the default) or GET.",
        ),
        FieldSpec(
            "content_type",
            "Audio format",
            "The codec and sample rate of the streamed audio: 16-bit linear PCM at 8 kHz (the "
            "default) or 16 kHz, or mu-law at 8 kHz.",
        ),
        FieldSpec(
            "extra_headers",
            "Extra headers",
            "Optional key=value pairs separated by commas, passed to your WebSocket service with "
            "the stream. Letters and digits only; at most 512 bytes in total.",
        ),
    )
}

AUDIO_TRACK_LABELS = {
    "inbound": "inbound: what the caller says",
    "outbound": "outbound: what the caller hears",
    "both": "both",
}
CONTENT_TYPE_LABELS = {
    "audio/x-l16;rate=8000": "audio/x-l16;rate=8000  (PCM 8 kHz, default)",
    "audio/x-l16;rate=16000": "audio/x-l16;rate=16000  (PCM 16 kHz)",
    "audio/x-mulaw;rate=8000": "audio/x-mulaw;rate=8000  (mu-law 8 kHz)",
}
CONTENT_TYPE_SHORT = {
    "audio/x-l16;rate=16000": "PCM 16 kHz",
    "audio/x-mulaw;rate=8000": "mu-law 8 kHz",
}
METHOD_LABELS = {"POST": "POST (default)", "GET": "GET"}


def colored(label: QLabel, color: QColor) -> None:
    color = readable(color, background_of(label))  # 4.5:1 in light and dark palettes alike
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, color)
    label.setPalette(palette)


def message_label(name: str, parent: QWidget | None = None) -> QLabel:
    """The inline message row under a field: word-wrapped, hidden while there is nothing to say."""
    label = QLabel(parent)
    label.setObjectName(f"{name}_message")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setProperty(ESCAPED_RICH_TEXT, True)  # show_problems escapes every message
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    label.setVisible(False)
    return label


def show_problems(label: QLabel, problems: tuple[Problem, ...]) -> None:
    """Render a field's problems, errors first: each line in its own colour (errors red,
    warnings amber) and prefixed with its kind, so colour is never the only signal."""
    if not problems:
        label.clear()
        label.setVisible(False)
        return
    lines = []
    for problem in problems:
        color = readable(ERROR_COLOR if problem.is_error else WARNING_COLOR, background_of(label))
        kind = "Error" if problem.is_error else "Warning"
        lines.append(
            f'<span style="color:{color.name()}">{kind}: {html.escape(problem.message)}</span>'
        )
    label.setText("<br>".join(lines))
    label.setVisible(True)


def field_state(problems: tuple[Problem, ...]) -> str:
    if any(p.is_error for p in problems):
        return "error"
    return "warning" if problems else ""
