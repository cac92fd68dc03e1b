"""The stream form's widgets and layout, without behaviour (`console.ui.stream_form` adds it).

Field widgets carry the API parameter names as objectNames; each has a label (with buddy), an
accessible name and description, a tooltip with the documented meaning, and an inline message
row underneath. Tab order follows the visual order.

The fields scroll in their own area; the action bar (Start, Copy as code, Restore defaults) and
the start result sit below it and never scroll away. Rarely changed fields (timeout, callback
method, audio format, extra headers) live in a "More options" section that, closed, shows a
one-line summary of what differs from Plivo's defaults.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.stream_params import DEFAULT_STREAM_TIMEOUT_S
from console.ui.extra_headers_editor import ExtraHeadersEditor
from console.ui.plain_text import make_plain, set_placeholder
from console.ui.setup_picker import SetupPicker
from console.ui.steady_inputs import SteadyComboBox
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
MORE_OPTIONS = ("stream_timeout", "status_callback_method", "content_type", "extra_headers")


def _combo(name: str, labels: dict[str, str]) -> QComboBox:
    combo = SteadyComboBox()
    combo.setObjectName(name)
    # Narrow panes: the box may be narrower than its longest label (the popup shows it whole).
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(14)
    for value, text in labels.items():
        combo.addItem(text, value)
    return combo


class StreamFormView(QWidget):
    """Builds every widget of the form; holds no state beyond the widgets themselves."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stream_form")
        self.setStyleSheet(STYLE)
        self._build_labels()
        self._build_inputs()
        self._build_actions()
        self._build_more_toggle()
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

    def _build_labels(self) -> None:
        self.call_label = QLabel(self)
        self.call_label.setObjectName("call_label")
        self.call_label.setWordWrap(True)
        self.target_label = QLabel(self)
        self.target_label.setObjectName("target_label")
        # Always shown and wrapped: the fields then always size by their height for the width
        # (see `fields_height_hint`), however many other messages are showing.
        self.target_label.setWordWrap(True)
        self.target_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        colored(self.target_label, HINT_COLOR)
        self.setup_picker = SetupPicker()

    def _build_inputs(self) -> None:
        self.service_url = QLineEdit()
        self.service_url.setPlaceholderText("wss://stream.example.com/audio")
        self._recent = QStringListModel(self)
        completer = QCompleter(self._recent, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.service_url.setCompleter(completer)
        self.bidirectional = QCheckBox("Let the service also send audio back into the call")
        self.bidirectional.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.audio_track = _combo("audio_track", AUDIO_TRACK_LABELS)
        self.audio_track_reason = QLabel(BIDIRECTIONAL_REASON)
        self.audio_track_reason.setObjectName("audio_track_reason")
        self.audio_track_reason.setWordWrap(True)
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
        self.callbacks_to_console.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed
        )
        self.status_callback_method = _combo("status_callback_method", METHOD_LABELS)
        self.content_type = _combo("content_type", CONTENT_TYPE_LABELS)
        self.extra_headers_editor = ExtraHeadersEditor()
        self.extra_headers = self.extra_headers_editor.line_edit

    def _build_actions(self) -> None:
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
        self.check_button = QPushButton("Check service…")
        self.check_button.setObjectName("check_service")
        self.check_button.setAccessibleName("Check service")
        self.start_hint = QLabel()
        self.start_hint.setObjectName("start_hint")
        make_plain(self.call_label, self.target_label, self.audio_track_reason)
        make_plain(self.stream_timeout_duration, self.start_hint)
        self.start_hint.setWordWrap(True)
        self.start_hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        colored(self.start_hint, HINT_COLOR)

    def _build_more_toggle(self) -> None:
        self.result = StreamResultView()
        self.more_toggle = QToolButton()
        self.more_toggle.setObjectName("more_options")
        self.more_toggle.setText("More options")
        self.more_toggle.setCheckable(True)
        self.more_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.more_toggle.setAutoRaise(True)
        self.more_toggle.setAccessibleName("More options")
        self.more_toggle.setToolTip("Stream timeout, callback method, audio format, extra headers")
        self.more_summary = QLabel()
        make_plain(self.more_summary)
        self.more_summary.setObjectName("more_options_summary")
        self.more_summary.setWordWrap(True)
        self.more_summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        colored(self.more_summary, HINT_COLOR)

    # --- construction -----------------------------------------------------------------------

    def _build_layout(self) -> None:
        form = self._build_field_rows()
        self._build_fields_scroll(form)
        self._build_action_bar()
        layout = self._outer = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.fields_scroll, 1)
        layout.addWidget(self.action_bar)
        layout.addWidget(self.result)
        self.more_toggle.toggled.connect(self.set_more_options_open)
        self.set_more_options_open(False)

    def _build_field_rows(self) -> QFormLayout:
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setVerticalSpacing(8)
        extras: dict[str, list[QWidget]] = {
            "audio_track": [self.audio_track_reason],
            "status_callback_url": [self.callbacks_to_console],
        }
        self._more_rows: list[int] = []
        order = [n for n in FIELDS if n not in MORE_OPTIONS] + list(MORE_OPTIONS)
        for name in order:
            spec = FIELDS[name]
            if name == MORE_OPTIONS[0]:
                more = QHBoxLayout()
                more.setSpacing(8)
                more.addWidget(self.more_toggle, 0, Qt.AlignmentFlag.AlignTop)
                more.addWidget(self.more_summary, 1)
                form.addRow(more)
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
            elif name == "service_url":
                row = QHBoxLayout()
                row.addWidget(self.service_url, 1)
                row.addWidget(self.check_button)
                cell.addLayout(row)
            else:
                cell.addWidget(self.inputs[name])
            cell.addWidget(self.messages[name])  # right under its field, before any extras
            for widget in extras.get(name, []):
                cell.addWidget(widget)
            if name in MORE_OPTIONS:
                self._more_rows.append(form.rowCount())
            form.addRow(label, cell)
        self.field_layout = form
        return form

    def _build_fields_scroll(self, form: QFormLayout) -> None:
        self.fields = QWidget()
        self.fields.setObjectName("stream_form_fields")
        fields = QVBoxLayout(self.fields)
        fields.setContentsMargins(0, 0, 4, 0)
        fields.addWidget(self.call_label)
        # Where requests go and the setup picker share a line: the form fits a laptop's height.
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.target_label, 1)
        top.addWidget(self.setup_picker, 1, Qt.AlignmentFlag.AlignTop)
        fields.addLayout(top)
        fields.addWidget(self.setup_picker.differs)
        fields.addLayout(form)
        fields.addStretch(1)
        self.fields_scroll = QScrollArea()
        self.fields_scroll.setObjectName("stream_form_scroll")
        self.fields_scroll.setWidgetResizable(True)
        self.fields_scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Every message wraps and every field may narrow, so the fields always fit the width.
        self.fields_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.fields_scroll.setWidget(self.fields)
        # The scroll area then sizes the fields by their height for the actual width, not by a
        # minimum computed for wrapped messages at their narrowest (a gap above Start, or a
        # scroll bar where everything fits). Needs a wrapped label always shown (target_label).
        self.fields.setMinimumHeight(1)

    def _build_action_bar(self) -> None:
        self.action_bar = QWidget()
        self.action_bar.setObjectName("stream_form_actions")
        buttons = QHBoxLayout(self.action_bar)
        buttons.setContentsMargins(0, 4, 0, 0)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.start_hint, 1)
        buttons.addWidget(self.undo_reset_button)
        buttons.addWidget(self.restore_button)

    def set_more_options_open(self, shown: bool) -> None:
        """Show or fold the rarely changed fields; folded, the summary line says what differs."""
        if self.more_toggle.isChecked() != shown:
            self.more_toggle.setChecked(shown)  # re-enters through `toggled`
            return
        self.more_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        for row in self._more_rows:
            self.field_layout.setRowVisible(row, shown)
        if shown:  # showing a row shows every widget in it: empty message rows stay hidden
            for name in MORE_OPTIONS:
                message = self.messages[name]
                message.setVisible(bool(message.text()))
        self.more_summary.setVisible(not shown)

    def more_options_open(self) -> bool:
        return self.more_toggle.isChecked()

    def fields_height_hint(self) -> int:
        """The height that shows every visible field and the action bar without scrolling."""
        margins = self._outer.contentsMargins()
        spacing = self._outer.spacing()
        # Measured as if the scroll bar were shown: the scroll area decides at its current
        # viewport width, so this height also lets a shown bar go away.
        bar = self.fields_scroll.verticalScrollBar().sizeHint().width()
        width = self.fields_scroll.width() - 2 * self.fields_scroll.frameWidth() - bar
        fields = self.fields.sizeHint().height()
        if self.fields.hasHeightForWidth() and width > 0:  # wrapped messages: lines at this width
            fields = self.fields.heightForWidth(width)
        height = fields + margins.top() + margins.bottom()
        height += self.action_bar.sizeHint().height() + spacing
        if self.result.isVisibleTo(self):
            height += self.result.sizeHint().height() + spacing
        return height

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
            self.setup_picker.combo,
            self.setup_picker.menu_button,
            self.service_url,
            self.check_button,
            self.bidirectional,
            self.audio_track,
            self.status_callback_url,
            self.callbacks_to_console,
            self.more_toggle,
            self.stream_timeout,
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
