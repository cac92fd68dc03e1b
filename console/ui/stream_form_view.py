"""The stream form's widgets and layout, without behaviour (`console.ui.stream_form` adds it).

Field widgets carry the API parameter names as objectNames; each has a label (with buddy), an
accessible name and description, a tooltip with the documented meaning, and an inline message
row underneath. Tab order follows the visual order.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.stream_params import DEFAULT_STREAM_TIMEOUT_S
from console.ui.extra_headers_editor import ExtraHeadersEditor
from console.ui.plain_text import make_plain, set_placeholder
from console.ui.stream_form_fields import (
    AUDIO_TRACK_LABELS,
    CONTENT_TYPE_LABELS,
    FIELDS,
    HINT_COLOR,
    METHOD_LABELS,
    colored,
    message_label,
)
from console.ui.stream_result import StreamResultView

STYLE = """
QLineEdit[state="error"] { border: 2px solid #b3261e; border-radius: 3px; padding: 1px; }
QLineEdit[state="warning"] { border: 2px solid #c28a00; border-radius: 3px; padding: 1px; }
QLineEdit[readOnly="true"] { background: palette(window); }
"""
BIDIRECTIONAL_REASON = "Bidirectional streams carry only the inbound track (Plivo's rule)."


def _combo(name: str, labels: dict[str, str]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for value, text in labels.items():
        combo.addItem(text, value)
    return combo


class StreamFormView(QWidget):
    """Builds every widget of the form; holds no state beyond the widgets themselves."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stream_form")
        self.setStyleSheet(STYLE)
        self.call_label = QLabel(self)
        self.call_label.setObjectName("call_label")
        self.call_label.setWordWrap(True)
        self.target_label = QLabel(self)
        self.target_label.setObjectName("target_label")
        colored(self.target_label, HINT_COLOR)

        self.service_url = QLineEdit()
        self.service_url.setPlaceholderText("wss://stream.example.com/audio")
        self._recent = QStringListModel(self)
        completer = QCompleter(self._recent, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.service_url.setCompleter(completer)
        self.bidirectional = QCheckBox("Let the service also send audio back into the call")
        self.audio_track = _combo("audio_track", AUDIO_TRACK_LABELS)
        self.audio_track_reason = QLabel(BIDIRECTIONAL_REASON)
        self.audio_track_reason.setObjectName("audio_track_reason")
        colored(self.audio_track_reason, HINT_COLOR)
        self.audio_track_reason.setVisible(False)
        self.stream_timeout = QLineEdit()
        set_placeholder(self.stream_timeout, f"{DEFAULT_STREAM_TIMEOUT_S} (Plivo's default)")
        self.stream_timeout_duration = QLabel()
        self.stream_timeout_duration.setObjectName("stream_timeout_duration")
        self.stream_timeout.setMaximumWidth(220)
        colored(self.stream_timeout_duration, HINT_COLOR)
        self.status_callback_url = QLineEdit()
        self.status_callback_url.setPlaceholderText("https://example.com/stream-status (optional)")
        self.callbacks_to_console = QCheckBox("Send status callbacks to this console")
        self.callbacks_to_console.setObjectName("callbacks_to_console")
        self.status_callback_method = _combo("status_callback_method", METHOD_LABELS)
        self.content_type = _combo("content_type", CONTENT_TYPE_LABELS)
        self.extra_headers_editor = ExtraHeadersEditor()
        self.extra_headers = self.extra_headers_editor.line_edit

        self.start_button = QPushButton("Start stream")
        self.start_button.setObjectName("start_stream")
        self.start_button.setDefault(True)
        self.copy_button = QPushButton("Copy as code…")
        self.copy_button.setObjectName("copy_as_code")
        self.restore_button = QPushButton("Restore defaults")
        self.restore_button.setObjectName("restore_defaults")
        self.restore_button.setToolTip("Put every field back to Plivo's defaults (Esc)")
        self.undo_reset_button = QPushButton("Undo reset")
        self.undo_reset_button.setObjectName("undo_reset")
        self.undo_reset_button.setVisible(False)
        self.start_hint = QLabel()
        self.start_hint.setObjectName("start_hint")
        make_plain(self.call_label, self.target_label, self.audio_track_reason)
        make_plain(self.stream_timeout_duration, self.start_hint)
        colored(self.start_hint, HINT_COLOR)
        self.result = StreamResultView()

        self.inputs: dict[str, QWidget] = {
            "service_url": self.service_url,
            "bidirectional": self.bidirectional,
            "audio_track": self.audio_track,
            "stream_timeout": self.stream_timeout,
            "status_callback_url": self.status_callback_url,
            "status_callback_method": self.status_callback_method,
            "content_type": self.content_type,
            "extra_headers": self.extra_headers,
        }
        self.messages = {name: message_label(name) for name in FIELDS}
        self._build_layout()
        self._describe_fields()
        self._set_tab_order()

    # --- construction -----------------------------------------------------------------------

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(10)
        extras: dict[str, list[QWidget]] = {
            "audio_track": [self.audio_track_reason],
            "status_callback_url": [self.callbacks_to_console],
        }
        for name, spec in FIELDS.items():
            label = QLabel(spec.label + ":")
            label.setObjectName(f"{name}_label")
            make_plain(label)
            label.setBuddy(self.inputs[name])
            label.setContentsMargins(0, 2, 0, 0)
            cell = QVBoxLayout()
            cell.setSpacing(3)
            if name == "stream_timeout":
                row = QHBoxLayout()
                row.addWidget(self.stream_timeout)
                row.addWidget(self.stream_timeout_duration, 1)
                cell.addLayout(row)
            elif name == "extra_headers":
                cell.addWidget(self.extra_headers_editor)
            else:
                cell.addWidget(self.inputs[name])
            cell.addWidget(self.messages[name])  # right under its field, before any extras
            for widget in extras.get(name, []):
                cell.addWidget(widget)
            form.addRow(label, cell)

        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.start_hint)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_reset_button)
        buttons.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.call_label)
        layout.addWidget(self.target_label)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addStretch(1)

    def _describe_fields(self) -> None:
        for name, spec in FIELDS.items():
            widget = self.inputs[name]
            widget.setObjectName(name)
            widget.setAccessibleName(spec.accessible_name)
            widget.setAccessibleDescription(spec.meaning)
            widget.setToolTip(spec.tooltip)
        self.callbacks_to_console.setAccessibleDescription(
            "Fills the status callback URL with this console's callback receiver address."
        )

    def _set_tab_order(self) -> None:
        editor = self.extra_headers_editor
        chain: list[QWidget] = [
            self.service_url,
            self.bidirectional,
            self.audio_track,
            self.stream_timeout,
            self.status_callback_url,
            self.callbacks_to_console,
            self.status_callback_method,
            self.content_type,
            self.extra_headers,
            editor.toggle,
            editor.table,
            editor.add_row,
            editor.remove_row,
            self.start_button,
            self.copy_button,
            self.undo_reset_button,
            self.restore_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
