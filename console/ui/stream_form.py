"""The stream form: where a support agent sets up an audio stream on the selected call.

It renders the domain validator's report as the agent types (inline messages, Start disabled
with a tooltip that says why), and emits `start_requested(StreamRequest)`; it never talks to the
network. The app layer drives it through `set_call`, `set_target_is_simulator`, `set_busy`,
`show_started`, `show_error`, `stream_ended`, `clear_connection_errors`, `set_receiver_url`,
`set_default_service_url` and `set_recent_service_urls`; for stream setups (docs/stream-setups.md)
`set_setups`, `state` and `restore`, and the `setup_*` intent signals.

Results and the busy state belong to a call: an answer that arrives after the agent moved to
another call is kept for its own call and shown when the agent returns to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QKeyCombination, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QWidget,
)

from console.domain.accounts import DEFAULT_API_BASE_URL
from console.domain.durations import format_duration
from console.domain.extra_headers import split_entries
from console.domain.service_check import CheckRequest
from console.domain.setups import StreamSetup, differences, used_label
from console.domain.stream_params import (
    DEFAULT_AUDIO_TRACK,
    DEFAULT_CALLBACK_METHOD,
    DEFAULT_CONTENT_TYPE,
    DEFAULT_STREAM_TIMEOUT_S,
    AudioTrack,
    ContentType,
)
from console.domain.stream_request import StreamRequest
from console.domain.stream_rules import (
    StreamFormInput,
    Target,
    build_stream_request,
    parse_timeout,
)
from console.domain.streams import StreamStarted
from console.domain.validation import ValidationReport
from console.ui.plain_text import tooltip_text
from console.ui.setup_picker import QUICK_KEYS
from console.ui.stream_form_fields import (
    CONTENT_TYPE_SHORT,
    FIELDS,
    HINT_COLOR,
    colored,
    field_state,
    show_problems,
)
from console.ui.stream_form_view import BIDIRECTIONAL_REASON, MORE_OPTIONS, StreamFormView
from console.ui.stream_result import FAILED_PREFIX, ResultKind, ResultRecord

if TYPE_CHECKING:
    from console.ui.code_dialog import CodeDialog  # with its snippets: when first opened

STOPPED = "stopped"  # what the app layer passes once Plivo confirmed the agent's stop


# Check service from anywhere in the form (a field passes it on: none of them uses it).
CHECK_KEY = QKeyCombination(
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier, Qt.Key.Key_K
)


@dataclass(frozen=True, slots=True)
class FormState:
    """What an account's form showed when the agent left it: the values (the console's callback
    address kept as that intent, never the address) and the chosen setup's name."""

    values: StreamSetup
    chosen: str = ""


class StreamForm(StreamFormView):
    """Build with no arguments; connect `start_requested` to the controller."""

    start_requested = Signal(object)
    check_requested = Signal(object)  # CheckRequest: the URL and format to check, no call needed
    setup_save_requested = Signal(object)  # StreamSetup: the form as shown, under a new name
    setup_update_requested = Signal(object)  # StreamSetup: the chosen setup, as the form shows it
    setup_rename_requested = Signal(str, str)
    setup_duplicate_requested = Signal(str)
    setup_delete_requested = Signal(str)
    setup_default_requested = Signal(str)
    setups_export_requested = Signal()
    setups_import_requested = Signal()
    setup_label_changed = Signal(str)  # how a start now names its setup (`used_label`)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._call_uuid: str | None = None
        self._target = Target.PLIVO
        self._busy = False
        self._busy_calls: set[str] = set()
        self._records: dict[str, ResultRecord] = {}
        self._default_service_url = ""
        self._receiver_url: str | None = None
        self._api_base_url = DEFAULT_API_BASE_URL
        self._track_before_bidirectional: str | None = None
        self._callback_before_toggle = ""
        self._undo: StreamFormInput | None = None
        self._report = ValidationReport()
        self._request: StreamRequest | None = None
        self._field_states: dict[str, str] = {}
        # An empty Stream URL is not an error to shout about before the agent has typed in it:
        # Start stays disabled and its hint says why; the inline message waits for an edit.
        self._url_untouched = True
        self._callbacks_wanted = False  # a setup asked for callbacks here before the receiver ran
        self._setup_label = ""

        self._connect()
        self._connect_setups()
        self.set_call(None)
        self.set_target_is_simulator(False)
        self.set_receiver_url(None)

    # --- wiring ------------------------------------------------------------------------------

    def _connect(self) -> None:
        self.service_url.textEdited.connect(self._url_edited)
        for line_edit in (self.service_url, self.stream_timeout, self.status_callback_url):
            line_edit.textChanged.connect(self._revalidate)
        self.extra_headers_editor.textChanged.connect(self._revalidate)
        for combo in (self.audio_track, self.status_callback_method, self.content_type):
            combo.currentIndexChanged.connect(self._revalidate)
        self.bidirectional.toggled.connect(self._bidirectional_toggled)
        self.callbacks_to_console.toggled.connect(self._callbacks_toggled)
        self.start_button.clicked.connect(self.submit)
        self.copy_button.clicked.connect(self.open_code_dialog)
        self.restore_button.clicked.connect(self.reset_to_defaults)
        self.undo_reset_button.clicked.connect(self.undo_reset)
        self.check_button.clicked.connect(self.request_check)

    def _connect_setups(self) -> None:
        picker = self.setup_picker
        picker.chosen.connect(self._setup_picked)
        picker.save_requested.connect(
            lambda name: self.setup_save_requested.emit(self.as_setup(name))
        )
        picker.update_requested.connect(
            lambda name: self.setup_update_requested.emit(self.as_setup(name))
        )
        picker.rename_requested.connect(self.setup_rename_requested)
        picker.duplicate_requested.connect(self.setup_duplicate_requested)
        picker.delete_requested.connect(self.setup_delete_requested)
        picker.default_requested.connect(self.setup_default_requested)
        picker.export_requested.connect(self.setups_export_requested)
        picker.import_requested.connect(self.setups_import_requested)
        for number in range(1, QUICK_KEYS + 1):
            quick = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
            quick.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            quick.activated.connect(lambda n=number: picker.pick(n))

    # --- the app layer's interface ------------------------------------------------------------

    def set_call(self, call_uuid: str | None, label: str = "") -> None:
        """The call a stream would start on; None disables the form with a hint. Switching
        calls shows the new call's own last result (or none) and its own busy state."""
        if call_uuid != self._call_uuid:
            self._call_uuid = call_uuid
            self._busy = call_uuid is not None and call_uuid in self._busy_calls
            self.start_button.setText("Starting…" if self._busy else "Start stream")
            self.result.show_record(self._records.get(call_uuid) if call_uuid else None)
        if call_uuid is None:
            self.call_label.setText("Select a live call in the list to start a stream on it.")
            colored(self.call_label, HINT_COLOR)
        else:
            shown = f"{label}  ({call_uuid})" if label else call_uuid
            self.call_label.setText(f"Stream on call: {shown}")
            colored(self.call_label, self.palette().color(self.foregroundRole()))
        for widget in (*self.inputs.values(), self.extra_headers_editor, self.restore_button):
            widget.setEnabled(call_uuid is not None)
        self._update_callbacks_toggle()
        self._update_actions()

    def set_target_is_simulator(self, is_simulator: bool, *, local_api: str = "") -> None:
        """`local_api`: the account's API runs on this computer at that `host:port` (not the
        demo's simulator), so it may stream to this computer too, and the hint says why."""
        self._target = Target.SIMULATOR if is_simulator else Target.PLIVO
        if is_simulator and local_api:
            text = (
                f"The account's API is on this computer ({local_api}): stream and callback "
                "addresses on this computer are allowed."
            )
        elif is_simulator:
            text = "Sending to the simulator: addresses on this computer are allowed."
        else:
            text = "Sending to Plivo: addresses must be reachable from the internet."
        self.target_label.setText(text)
        self._revalidate()

    def set_api_base_url(self, url: str) -> None:
        """Where curl snippets send the request (the simulator's address in demo mode)."""
        self._api_base_url = url

    def set_busy(self, busy: bool, call_uuid: str | None = None) -> None:
        """While a start request is in flight on a call (default: the shown one), Start is
        disabled for that call and says so."""
        call = call_uuid if call_uuid is not None else self._call_uuid
        if call is not None:
            if busy:
                self._busy_calls.add(call)
            else:
                self._busy_calls.discard(call)
        if call == self._call_uuid:
            self._busy = busy
            self.start_button.setText("Starting…" if busy else "Start stream")
            self._update_actions()

    def show_started(self, started: StreamStarted, call_uuid: str | None = None) -> None:
        self._set_record(call_uuid, ResultRecord.started(started))

    def show_error(
        self,
        message: str,
        detail: str = "",
        call_uuid: str | None = None,
        *,
        connection: bool = False,
    ) -> None:
        """Plivo's refusal or a failure to reach it; `connection` errors are dropped by
        `clear_connection_errors` once Plivo answers again."""
        record = ResultRecord(ResultKind.ERROR, message, detail=detail, connection=connection)
        self._set_record(call_uuid, record)

    def stream_ended(self, call_uuid: str, stream_id: str, status: str, reason: str = "") -> None:
        """The stream this call's "Stream started" reported is no longer active: say what
        became of it instead of staying green."""
        record = self._records.get(call_uuid)
        if record is None or record.stream_id != stream_id:
            return
        if record.kind not in (ResultKind.STARTED, ResultKind.FAILED):
            return  # already says it ended or was stopped
        if status == STOPPED:
            kind, headline = ResultKind.ENDED, "Stream stopped."
        elif status == "failed":
            kind, headline = ResultKind.FAILED, f"{FAILED_PREFIX}{reason}"
        else:
            kind, headline = ResultKind.ENDED, f"The stream has ended ({status or 'no status'})."
        ended = ResultRecord(kind, headline, record.stream_id, record.api_id, record.detail)
        if ended != record:
            self._set_record(call_uuid, ended, busy=None)

    def reported_stream_id(self, call_uuid: str) -> str | None:
        """The stream whose start (or failure) the result area reports for `call_uuid`."""
        record = self._records.get(call_uuid)
        live = (ResultKind.STARTED, ResultKind.FAILED)
        return record.stream_id if record and record.kind in live else None

    def clear_connection_errors(self) -> None:
        """Plivo answers again: "could not connect" results no longer describe anything."""
        stale = [call for call, record in self._records.items() if record.connection]
        for call in stale:
            del self._records[call]
        if self.result.record is not None and self.result.record.connection:
            self.result.clear()

    def _set_record(
        self, call_uuid: str | None, record: ResultRecord, busy: bool | None = False
    ) -> None:
        call = call_uuid if call_uuid is not None else self._call_uuid
        if busy is not None:
            self.set_busy(busy, call)
        if call is None:
            self.result.show_record(record)
            return
        self._records[call] = record
        if len(self._records) > 200:  # calls end; their results need not be kept forever
            del self._records[next(iter(self._records))]
        if call == self._call_uuid:
            self.result.show_record(record)

    def set_receiver_url(self, url: str | None) -> None:
        """The console's public callback address, once its receiver runs (None: not running).
        "Send status callbacks to this console" waits while there is none (another account's
        address, a receiver restarting) and takes the next address that comes."""
        self._receiver_url = url or None
        if self._callbacks_wanted and self._receiver_url is not None:
            self._callbacks_wanted = False
            self.callbacks_to_console.setChecked(True)
        elif self.callbacks_to_console.isChecked():
            if self._receiver_url is None:
                self.callbacks_to_console.setChecked(False)
                self._callbacks_wanted = True
                self._update_setup_state()
            else:
                self.status_callback_url.setText(self._receiver_url)
        self._update_callbacks_toggle()

    def set_recent_service_urls(self, urls: list[str]) -> None:
        self._recent.setStringList(list(dict.fromkeys(u for u in urls if u)))

    def recent_service_urls(self) -> list[str]:
        return list(self._recent.stringList())

    def set_default_service_url(self, url: str) -> None:
        """A stream URL that works out of the box (the demo's media sink): filled in when the
        field is empty, and kept by Restore defaults and Esc. The previous account's default,
        still shown untouched, goes: the demo's sink never leaks into another account."""
        previous, self._default_service_url = self._default_service_url, url
        shown = self.service_url.text()
        if not shown or (previous and shown == previous):
            self.service_url.setText(url)

    def defaults(self) -> StreamFormInput:
        return StreamFormInput(service_url=self._default_service_url)

    def reset_to_defaults(self) -> None:
        """Every field back to Plivo's defaults; the previous values can be restored once."""
        before = self.form_input()
        self.load(self.defaults())
        if before != self.defaults():
            self._undo = before
            self.undo_reset_button.setVisible(True)
            # The last start's outcome stays (Undo reset says what happened to the form).
            if not (self._call_uuid and self._call_uuid in self._records):
                self.result.show_note("Form reset to Plivo's defaults.")

    def undo_reset(self) -> None:
        if self._undo is not None:
            self.load(self._undo)
        self._undo = None
        self.undo_reset_button.setVisible(False)
        self.result.show_record(self._records.get(self._call_uuid) if self._call_uuid else None)

    def current_request(self) -> StreamRequest | None:
        """The request the form would send now, or None while an error stands."""
        return self._request

    def report(self) -> ValidationReport:
        return self._report

    # --- values ---------------------------------------------------------------------------

    def form_input(self) -> StreamFormInput:
        return StreamFormInput(
            service_url=self.service_url.text(),
            bidirectional=self.bidirectional.isChecked(),
            audio_track=str(self.audio_track.currentData()),
            stream_timeout=self.stream_timeout.text(),
            status_callback_url=self.status_callback_url.text(),
            status_callback_method=str(self.status_callback_method.currentData()),
            content_type=str(self.content_type.currentData()),
            extra_headers=self.extra_headers_editor.text(),
        )

    def _url_edited(self) -> None:
        self._url_untouched = False

    def load(self, raw: StreamFormInput) -> None:
        """Show `raw` in the widgets (e.g. to restore a previous request)."""
        self._url_untouched = True
        self._callbacks_wanted = False
        self.callbacks_to_console.setChecked(False)
        self.service_url.setText(raw.service_url)
        self._track_before_bidirectional = None
        self.bidirectional.setChecked(raw.bidirectional)
        self._select(self.audio_track, raw.audio_track)
        self.stream_timeout.setText(raw.stream_timeout)
        self.status_callback_url.setText(raw.status_callback_url)
        self._select(self.status_callback_method, raw.status_callback_method)
        self._select(self.content_type, raw.content_type)
        self.extra_headers_editor.setText(raw.extra_headers)
        self._revalidate()

    @staticmethod
    def _select(combo: QComboBox, value: str) -> None:
        index = combo.findData(value)
        combo.setCurrentIndex(max(index, 0))

    # --- behaviour --------------------------------------------------------------------------

    def submit(self) -> None:
        """Enter and the Start button: emit the request when nothing blocks it. The form turns
        busy before emitting, so a second click cannot send a duplicate; the app layer ends the
        busy state with `show_started`, `show_error` or `set_busy(False)`."""
        self._revalidate()
        if self.start_button.isEnabled() and self._request is not None:
            self._undo = None  # a start settles the form: no undoing a reset from before it
            self.undo_reset_button.setVisible(False)
            self.set_busy(True)
            self.start_requested.emit(self._request)

    def open_code_dialog(self) -> CodeDialog | None:
        if self._request is None:
            return None
        from console.ui.code_dialog import CodeDialog

        dialog = CodeDialog(
            self._request, call_uuid=self._call_uuid, api_base_url=self._api_base_url,
            setup=self._setup_label, parent=self,
        )  # fmt: skip
        dialog.open()
        return dialog

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.keyCombination() == CHECK_KEY:
            self.request_check()
            event.accept()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
            event.accept()
        elif event.key() == Qt.Key.Key_Escape and self._call_uuid is not None:
            self.reset_to_defaults()
            event.accept()
        else:
            super().keyPressEvent(event)

    def _bidirectional_toggled(self, on: bool) -> None:
        model = self.audio_track.model()
        assert isinstance(model, QStandardItemModel)
        for row in range(self.audio_track.count()):
            item = model.item(row)
            if self.audio_track.itemData(row) != AudioTrack.INBOUND.value:
                item.setEnabled(not on)
        current = str(self.audio_track.currentData())
        if on and current != AudioTrack.INBOUND.value:
            self._track_before_bidirectional = current
            self._select(self.audio_track, AudioTrack.INBOUND.value)
            self.audio_track_reason.setText(f"Switched to inbound. {BIDIRECTIONAL_REASON}")
        elif on:
            self.audio_track_reason.setText(BIDIRECTIONAL_REASON)
        elif self._track_before_bidirectional is not None:
            self._select(self.audio_track, self._track_before_bidirectional)
            self._track_before_bidirectional = None
        self.audio_track_reason.setVisible(on)
        self._revalidate()

    def _callbacks_toggled(self, on: bool) -> None:
        if on and self._receiver_url:
            self._callback_before_toggle = self.status_callback_url.text()
            self.status_callback_url.setText(self._receiver_url)
        elif not on:
            self.status_callback_url.setText(self._callback_before_toggle)
        self.status_callback_url.setReadOnly(on)
        style = self.status_callback_url.style()
        style.unpolish(self.status_callback_url)  # re-apply the read-only look
        style.polish(self.status_callback_url)
        self._update_setup_state()

    def _update_callbacks_toggle(self) -> None:
        available = self._receiver_url is not None and self._call_uuid is not None
        self.callbacks_to_console.setEnabled(available)
        self.callbacks_to_console.setToolTip(
            f"Plivo will post stream status to {self._receiver_url}"
            if self._receiver_url
            else "Available once the console's callback receiver is running."
        )

    def _revalidate(self) -> None:
        raw = self.form_input()
        self._report, self._request = build_stream_request(raw, target=self._target)
        for name, label in self.messages.items():
            problems = self._report.for_field(name)
            if (
                name == "service_url"
                and self._url_untouched
                and {p.code for p in problems} == {"service_url.required"}
            ):
                problems = ()
            show_problems(label, problems)
            widget = self.inputs[name]
            state = field_state(problems)
            # Compared against our own record: re-polishing only on a change is cheaper than
            # reading the dynamic property back on every key press.
            if self._field_states.get(name) != state:
                self._field_states[name] = state
                widget.setProperty("state", state)
                widget.style().unpolish(widget)
                widget.style().polish(widget)
            meaning = FIELDS[name].meaning
            extra = " ".join(p.message for p in problems)
            widget.setAccessibleDescription(f"{meaning} {extra}".strip())
        spans = tuple(
            span
            for p in self._report.for_field("extra_headers")
            if p.is_error and p.code != "extra_headers.too_long"
            for span in p.spans
        )
        self.extra_headers_editor.set_invalid_spans(spans)
        hidden_errors = any(
            p.is_error for name in MORE_OPTIONS for p in self._report.for_field(name)
        )
        if hidden_errors and not self.more_options_open():
            self.set_more_options_open(True)  # an error is never folded away out of sight
        self.more_summary.setText(self._more_summary(raw))
        seconds = parse_timeout(raw.stream_timeout)
        if not raw.stream_timeout.strip():
            self.stream_timeout_duration.setText(f"= {format_duration(DEFAULT_STREAM_TIMEOUT_S)}")
        else:
            self.stream_timeout_duration.setText(f"= {format_duration(seconds)}" if seconds else "")
        self._update_actions()
        self._update_setup_state()

    def _update_actions(self) -> None:
        reason, hint = "", ""
        if self._call_uuid is None:
            reason = hint = "Select a live call first."
        elif self._busy:
            reason = hint = "Starting… waiting for Plivo's answer."
        elif self._request is None:
            errors = self._report.errors
            shown = [
                p for p in errors if not (self._url_untouched and p.code == "service_url.required")
            ]
            if not shown:  # nothing is marked yet: the form only lacks its URL
                reason = "\n".join(p.message for p in errors)
                hint = "Enter a stream URL (wss://…) to start."
            else:
                lines = [f"{FIELDS[p.field].label}: {p.message}" for p in errors]
                reason = "Fix these first:\n" + "\n".join(lines)
                hint = (
                    "Fix the error above to start."
                    if len(shown) == 1
                    else f"Fix the {len(shown)} errors above to start."
                )
        self.start_hint.setText(hint)
        self.start_button.setEnabled(not reason)
        self.start_button.setToolTip(
            tooltip_text(reason or "Start the stream on the selected call (Enter)")
        )
        has_url = bool(self.service_url.text().strip()) and self.service_url.isEnabled()
        self.check_button.setEnabled(has_url)
        self.check_button.setToolTip(
            "Connect to this stream URL as Plivo would, without a call: each stage checked "
            "and timed (Ctrl+Shift+K)"
            if has_url
            else "Enter a stream URL to check it."
        )
        self.copy_button.setEnabled(self._request is not None)
        if self._request is None:
            self.copy_button.setToolTip("Available once the form has no errors.")
        else:
            self.copy_button.setToolTip("Show this request as curl, SDK code or Plivo XML")

    def check_request(self) -> CheckRequest | None:
        """What "Check service" would check: the URL and the form's format settings (None
        without a URL)."""
        raw = self.form_input()
        if not raw.service_url.strip():
            return None
        try:
            content_type, track = ContentType(raw.content_type), AudioTrack(raw.audio_track)
        except ValueError:  # the combo boxes hold documented values only
            content_type, track = DEFAULT_CONTENT_TYPE, DEFAULT_AUDIO_TRACK
        return CheckRequest(
            service_url=raw.service_url.strip(),
            content_type=content_type,
            audio_track=track,
            bidirectional=raw.bidirectional,
            extra_headers=raw.extra_headers.strip(),
            target=self._target,
        )

    def request_check(self) -> None:
        request = self.check_request()
        if request is not None and self.check_button.isEnabled():
            self.check_requested.emit(request)

    def _more_summary(self, raw: StreamFormInput) -> str:
        """One line for the folded section: only what differs from Plivo's defaults."""
        changed = []
        if raw.stream_timeout.strip():
            seconds = parse_timeout(raw.stream_timeout)
            shown = format_duration(seconds) if seconds else raw.stream_timeout.strip()
            changed.append(f"timeout {shown}")
        if raw.status_callback_method != DEFAULT_CALLBACK_METHOD.value:
            changed.append(f"callbacks by {raw.status_callback_method}")
        if raw.content_type != DEFAULT_CONTENT_TYPE.value:
            changed.append(CONTENT_TYPE_SHORT.get(raw.content_type, raw.content_type))
        headers = len(split_entries(raw.extra_headers))
        if headers:
            changed.append(f"{headers} extra header" + ("" if headers == 1 else "s"))
        if not changed:
            timeout = format_duration(DEFAULT_STREAM_TIMEOUT_S)
            return f"Plivo's defaults: {timeout} timeout, POST callbacks, PCM 8 kHz, no headers."
        return "Changed: " + " · ".join(changed)

    # --- stream setups ------------------------------------------------------------------------

    def set_setups(
        self, setups: list[StreamSetup], *, default: str = "", chosen: str | None = None
    ) -> None:
        """The account's setups for the picker (`chosen` None keeps the current choice)."""
        self.setup_picker.set_setups(setups, default=default, chosen=chosen)
        self._update_setup_state()

    def as_setup(self, name: str) -> StreamSetup:
        """The form as shown, as a setup named `name` (callbacks to this console as intent)."""
        return StreamSetup.from_form(
            name, self.form_input(), callbacks_to_console=self.callbacks_to_console.isChecked()
        )

    def apply_setup(self, setup: StreamSetup) -> None:
        """Show `setup`; "callbacks to this console" takes the console's address now, or as soon
        as the receiver has one."""
        self.load(setup.form_input())
        if setup.callbacks_to_console:
            if self._receiver_url is not None:
                self.callbacks_to_console.setChecked(True)
            else:
                self._callbacks_wanted = True
        self._update_setup_state()

    def state(self) -> FormState:
        """What this form shows, to give back with `restore` (an account's last form)."""
        return FormState(self.as_setup(""), self.setup_picker.chosen_name())

    def restore(self, state: FormState | None) -> None:
        """An account's last form, or (None) the defaults with no setup chosen."""
        self.setup_picker.choose(state.chosen if state is not None else "")
        blank = StreamSetup("", service_url=self.defaults().service_url)
        self.apply_setup(state.values if state is not None else blank)
        self._undo = None
        self.undo_reset_button.setVisible(False)

    def setup_label(self) -> str:
        """How a start from this form names its setup ("" when none is chosen)."""
        return self._setup_label

    def _setup_picked(self, name: str) -> None:
        setup = self.setup_picker.setup(name)
        if setup is not None:
            self.apply_setup(setup)
        else:
            self._update_setup_state()

    def _update_setup_state(self) -> None:
        chosen = self.setup_picker.chosen_setup()
        # Honest while the receiver has no address yet: the start would go without callbacks.
        on = self.callbacks_to_console.isChecked()
        changed = differences(chosen, self.form_input(), callbacks_to_console=on) if chosen else []
        self.setup_picker.show_differences(changed)
        errors = self._report.errors
        self.setup_picker.set_can_save(not errors, "Fix the form's errors first." if errors else "")
        label = used_label(chosen, changed)
        if label != self._setup_label:
            self._setup_label = label
            self.setup_label_changed.emit(label)
