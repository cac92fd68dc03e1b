"""The stream form driven as an agent drives it: typing, clicking, keyboard. Each test asserts
what the agent sees: inline messages, Start enabled or not and its tooltip, the counter."""

from __future__ import annotations

import gc
import html
import re
import sys

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QPalette, QStandardItemModel
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from console.domain.stream_params import AudioTrack, CallbackMethod, ContentType
from console.domain.stream_request import StreamRequest
from console.domain.streams import StreamStarted
from console.ui import StreamForm
from console.ui.stream_form_fields import ERROR_COLOR, FIELDS
from tests.ui.conftest import CALL, GOOD_URL

PARAMETERS = [
    "service_url",
    "bidirectional",
    "audio_track",
    "stream_timeout",
    "status_callback_url",
    "status_callback_method",
    "content_type",
    "extra_headers",
]


def message(form: StreamForm, field: str) -> str:
    label = form.findChild(QLabel, f"{field}_message")
    assert label is not None
    # The label shows rich text (one colour per line); compare what the agent reads.
    if not label.isVisible():
        return ""
    return html.unescape(re.sub(r"<br>", "\n", re.sub(r"<(?!br>)[^>]+>", "", label.text())))


def reveal(qtbot: QtBot, widget: QWidget) -> None:
    """A field folded into "More options" is opened first, with a click, as an agent would."""
    if widget.isVisible():
        return
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, StreamForm):
        parent = parent.parentWidget()
    assert parent is not None and not parent.more_options_open()
    qtbot.mouseClick(parent.more_toggle, Qt.MouseButton.LeftButton)
    assert widget.isVisible()


def type_into(qtbot: QtBot, widget: QLineEdit, text: str) -> None:
    reveal(qtbot, widget)
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    qtbot.keyClicks(widget, text)


def tick(qtbot: QtBot, box: QCheckBox) -> None:
    """Click the check box's indicator (the row is wider than its text)."""
    reveal(qtbot, box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def choose(qtbot: QtBot, combo: QComboBox, value: str) -> None:
    """Pick an item with the keyboard, as an agent does: focus, then arrow keys."""
    reveal(qtbot, combo)
    combo.setFocus()
    target = combo.findData(value)
    while combo.currentIndex() < target:
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    while combo.currentIndex() > target:
        qtbot.keyClick(combo, Qt.Key.Key_Up)


def test_builds_with_no_arguments_and_names_every_field(qtbot: QtBot) -> None:
    form = StreamForm()
    qtbot.addWidget(form)
    for name in PARAMETERS:
        widget = form.findChild(QWidget, name)
        assert widget is not None, name
        assert name in widget.toolTip()
        assert FIELDS[name].label in widget.accessibleName()
        assert widget.accessibleDescription().startswith(FIELDS[name].meaning)
        label = form.findChild(QLabel, f"{name}_label")
        assert label is not None and label.buddy() is widget
    assert isinstance(form.findChild(QPushButton, "start_stream"), QPushButton)


def test_without_a_call_the_form_is_disabled_with_a_hint(qtbot: QtBot) -> None:
    form = StreamForm()
    qtbot.addWidget(form)
    assert "Select a live call" in form.call_label.text()
    assert not form.service_url.isEnabled()
    assert not form.start_button.isEnabled()
    assert form.start_button.toolTip() == "Select a live call first."
    form.set_call(CALL, "Support line")
    assert CALL in form.call_label.text() and "Support line" in form.call_label.text()
    assert form.service_url.isEnabled()


def test_a_valid_url_enables_start_and_the_click_emits_the_request(
    qtbot: QtBot, form: StreamForm
) -> None:
    assert not form.start_button.isEnabled()
    assert "Enter the WebSocket address" in form.start_button.toolTip()
    # Nothing is marked red before the agent typed: the hint asks for a URL, not a fix.
    assert form.start_hint.text() == "Enter a stream URL (wss://…) to start."
    assert message(form, "service_url") == ""
    type_into(qtbot, form.service_url, "https://x")
    assert form.start_hint.text() == "Fix the error above to start."
    assert message(form, "service_url") != ""
    type_into(qtbot, form.service_url, GOOD_URL)
    assert form.start_button.isEnabled()
    assert form.start_hint.text() == ""
    assert message(form, "service_url") == ""
    with qtbot.waitSignal(form.start_requested, timeout=2000) as signal:
        qtbot.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    assert signal.args == [StreamRequest(GOOD_URL)]
    with qtbot.assertNotEmitted(form.start_requested, wait=50):
        qtbot.mouseClick(form.start_button, Qt.MouseButton.LeftButton)  # a double click


def test_https_url_is_refused_with_the_reason(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, "https://stream.example.com")
    assert "start it with wss://" in message(form, "service_url")
    assert not form.start_button.isEnabled()
    assert "Stream URL:" in form.start_button.toolTip()
    assert form.service_url.property("state") == "error"
    assert "start it with wss://" in form.service_url.accessibleDescription()


def test_ws_is_a_visible_warning_that_does_not_block(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, "ws://stream.example.com/audio")
    assert "Warning: ws:// is unencrypted" in message(form, "service_url")
    assert form.service_url.property("state") == "warning"
    assert form.start_button.isEnabled()


def test_loopback_blocks_plivo_but_not_the_simulator(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, "wss://localhost:8765/audio")
    assert "cannot connect to localhost" in message(form, "service_url")
    assert not form.start_button.isEnabled()
    form.set_target_is_simulator(True)
    assert message(form, "service_url") == ""
    assert form.start_button.isEnabled()
    assert "simulator" in form.target_label.text()


def test_bidirectional_switches_the_track_to_inbound_and_back(
    qtbot: QtBot, form: StreamForm
) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    choose(qtbot, form.audio_track, "both")
    assert form.audio_track.currentData() == "both"
    tick(qtbot, form.bidirectional)
    assert form.bidirectional.isChecked()
    assert form.audio_track.currentData() == "inbound"
    reason = form.findChild(QLabel, "audio_track_reason")
    assert reason is not None and reason.isVisible()
    assert "Switched to inbound" in reason.text() and "only the inbound track" in reason.text()
    model = form.audio_track.model()
    assert isinstance(model, QStandardItemModel)
    enabled = {form.audio_track.itemData(r): model.item(r).isEnabled() for r in range(3)}
    assert enabled == {"inbound": True, "outbound": False, "both": False}
    # The keyboard cannot reach the disabled tracks.
    form.audio_track.setFocus()
    qtbot.keyClick(form.audio_track, Qt.Key.Key_Down)
    assert form.audio_track.currentData() == "inbound"
    assert form.start_button.isEnabled()
    tick(qtbot, form.bidirectional)
    assert form.audio_track.currentData() == "both"
    assert not reason.isVisible()
    assert model.item(2).isEnabled()


def test_the_track_rule_wraps_in_a_narrow_form(qtbot: QtBot, form: StreamForm) -> None:
    """Beside the monitor dock the form is about 500 pixels wide: the rule wraps rather than
    widening the form past its view (cut off, or a horizontal scrollbar)."""
    type_into(qtbot, form.service_url, GOOD_URL)
    choose(qtbot, form.audio_track, "both")
    tick(qtbot, form.bidirectional)
    reason = form.findChild(QLabel, "audio_track_reason")
    assert reason is not None and reason.isVisible()
    form.resize(500, 900)
    viewport = form.fields_scroll.viewport()
    qtbot.waitUntil(lambda: viewport.width() <= 500)
    assert form.fields.minimumSizeHint().width() <= viewport.width()
    qtbot.waitUntil(lambda: reason.height() > reason.fontMetrics().lineSpacing() * 1.5)
    assert not form.fields_scroll.horizontalScrollBar().isVisible()


def test_bidirectional_with_a_forced_outbound_track_shows_the_rule(
    qtbot: QtBot, form: StreamForm
) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    tick(qtbot, form.bidirectional)
    form.audio_track.setCurrentIndex(form.audio_track.findData("outbound"))
    assert "only the inbound track" in message(form, "audio_track")
    assert not form.start_button.isEnabled()


def test_stream_timeout_values(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    duration = form.stream_timeout_duration
    assert duration.text() == "= 24 h"
    for text, shown in [
        ("0", "at least 1 second"),
        ("-1", "at least 1 second"),
        ("abc", "number of seconds"),
        ("1.5", "without decimals"),
        ("99999999999", "more than 68 years"),
    ]:
        type_into(qtbot, form.stream_timeout, text)
        assert shown in message(form, "stream_timeout"), text
        assert not form.start_button.isEnabled(), text
        assert duration.text() == ""
    type_into(qtbot, form.stream_timeout, "5400")
    assert message(form, "stream_timeout") == ""
    assert duration.text() == "= 1 h 30 min"
    assert form.current_request() == StreamRequest(GOOD_URL, stream_timeout=5400)


def test_status_callback_url_and_method(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    choose(qtbot, form.status_callback_method, "GET")
    assert "only matters once a status callback URL is set" in message(
        form, "status_callback_method"
    )
    assert form.start_button.isEnabled()  # a warning only
    type_into(qtbot, form.status_callback_url, "wss://cb.example.com")
    assert "ordinary web requests" in message(form, "status_callback_url")
    assert not form.start_button.isEnabled()
    type_into(qtbot, form.status_callback_url, "https://cb.example.com/status")
    assert message(form, "status_callback_url") == ""
    assert message(form, "status_callback_method") == ""
    assert form.current_request() == StreamRequest(
        GOOD_URL,
        status_callback_url="https://cb.example.com/status",
        status_callback_method=CallbackMethod.GET,
    )


def test_content_type_choice_is_sent(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    choose(qtbot, form.content_type, ContentType.MULAW_8K.value)
    assert form.current_request() == StreamRequest(GOOD_URL, content_type=ContentType.MULAW_8K)


def counter_color(form: StreamForm) -> str:
    return form.extra_headers_editor.counter.palette().color(QPalette.ColorRole.WindowText).name()


def test_extra_headers_counter_turns_red_past_512_bytes(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    counter = form.extra_headers_editor.counter
    assert counter.text() == "0 / 512 bytes"
    at_limit = "k=" + "v" * 510
    form.extra_headers.setText(at_limit)  # pasted, as agents do
    assert counter.text() == "512 / 512 bytes"
    assert counter_color(form) != ERROR_COLOR.name()
    assert form.start_button.isEnabled()
    qtbot.keyClicks(form.extra_headers, "v")
    assert counter.text() == "513 / 512 bytes"
    assert counter_color(form) == ERROR_COLOR.name()
    assert "513 bytes" in message(form, "extra_headers")
    assert not form.start_button.isEnabled()


def test_extra_headers_problems_are_highlighted_in_the_field(
    qtbot: QtBot, form: StreamForm
) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    type_into(qtbot, form.extra_headers, "k=v,,k2=v-2")
    assert form.extra_headers.highlighted_text() == [",,", "-"]
    shown = message(form, "extra_headers")
    assert "empty entry between two commas" in shown and "remove '-'" in shown
    type_into(qtbot, form.extra_headers, "a=1,b=2,a=3")
    assert "appears more than once" in message(form, "extra_headers")
    assert form.extra_headers.highlighted_text() == ["a"]
    type_into(qtbot, form.extra_headers, "ticket=123,agent=ann")
    assert form.extra_headers.highlighted_text() == []
    assert form.current_request() == StreamRequest(GOOD_URL, extra_headers="ticket=123,agent=ann")


def test_extra_headers_table_stays_in_sync(qtbot: QtBot, form: StreamForm) -> None:
    editor = form.extra_headers_editor
    type_into(qtbot, form.extra_headers, "k1=v1,k2=v2")
    assert not editor.table.isVisible()
    qtbot.mouseClick(editor.toggle, Qt.MouseButton.LeftButton)
    assert editor.table.isVisible()
    assert editor.rows() == [("k1", "v1"), ("k2", "v2")]
    item = editor.table.item(1, 1)
    assert item is not None
    item.setText("changed")
    assert form.extra_headers.text() == "k1=v1,k2=changed"
    qtbot.mouseClick(editor.add_row, Qt.MouseButton.LeftButton)
    new_key = editor.table.item(2, 0)
    new_value = editor.table.item(2, 1)
    assert new_key is not None and new_value is not None
    new_key.setText("k3")
    new_value.setText("v3")
    assert form.extra_headers.text() == "k1=v1,k2=changed,k3=v3"
    editor.table.selectRow(0)
    qtbot.mouseClick(editor.remove_row, Qt.MouseButton.LeftButton)
    assert form.extra_headers.text() == "k2=changed,k3=v3"
    assert editor.counter.text() == "16 / 512 bytes"


def test_callbacks_to_this_console_toggle(qtbot: QtBot, form: StreamForm) -> None:
    toggle = form.findChild(QCheckBox, "callbacks_to_console")
    assert toggle is not None
    assert not toggle.isEnabled()
    assert "receiver is running" in toggle.toolTip()
    type_into(qtbot, form.service_url, GOOD_URL)
    type_into(qtbot, form.status_callback_url, "https://mine.example.com/cb")
    form.set_receiver_url("https://a1b2.ngrok.app/plivo/stream-status")
    assert toggle.isEnabled()
    tick(qtbot, toggle)
    assert form.status_callback_url.text() == "https://a1b2.ngrok.app/plivo/stream-status"
    assert form.status_callback_url.isReadOnly()
    assert form.start_button.isEnabled()
    tick(qtbot, toggle)
    assert form.status_callback_url.text() == "https://mine.example.com/cb"
    assert not form.status_callback_url.isReadOnly()


def test_a_receiver_on_this_computer_is_refused_for_real_plivo(
    qtbot: QtBot, form: StreamForm
) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    form.set_receiver_url("http://127.0.0.1:8081/callbacks")
    tick(qtbot, form.callbacks_to_console)
    assert "cannot deliver status callbacks to 127.0.0.1" in message(form, "status_callback_url")
    assert not form.start_button.isEnabled()
    form.set_target_is_simulator(True)
    assert form.start_button.isEnabled()
    form.set_receiver_url(None)
    assert not form.callbacks_to_console.isChecked()
    assert not form.callbacks_to_console.isEnabled()


def test_recent_service_urls_autocomplete(qtbot: QtBot, form: StreamForm) -> None:
    form.set_recent_service_urls(
        ["wss://bot.example.com/agent", "wss://transcribe.example.org/live", ""]
    )
    assert form.recent_service_urls() == [
        "wss://bot.example.com/agent",
        "wss://transcribe.example.org/live",
    ]
    type_into(qtbot, form.service_url, "transcr")
    completer = form.service_url.completer()
    assert completer is not None
    popup = completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    assert completer.completionCount() == 1
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert form.service_url.text() == "wss://transcribe.example.org/live"


def test_enter_submits_from_any_field(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    for widget in (form.service_url, form.stream_timeout, form.content_type, form.bidirectional):
        widget.setFocus()
        with qtbot.waitSignal(form.start_requested, timeout=2000):
            qtbot.keyClick(widget, Qt.Key.Key_Return)
        form.set_busy(False)  # what the app layer does once Plivo has answered


def test_enter_does_nothing_while_an_error_stands(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, "https://nope.example.com")
    with qtbot.assertNotEmitted(form.start_requested, wait=50):
        qtbot.keyClick(form.service_url, Qt.Key.Key_Return)


def test_escape_resets_and_the_reset_can_be_undone(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    type_into(qtbot, form.stream_timeout, "60")
    tick(qtbot, form.bidirectional)
    qtbot.keyClick(form.stream_timeout, Qt.Key.Key_Escape)
    assert form.service_url.text() == ""
    assert form.stream_timeout.text() == ""
    assert not form.bidirectional.isChecked()
    assert form.audio_track.currentData() == "inbound"
    assert "reset" in form.result.message
    assert form.undo_reset_button.isVisible()
    qtbot.mouseClick(form.undo_reset_button, Qt.MouseButton.LeftButton)
    assert form.current_request() == StreamRequest(GOOD_URL, bidirectional=True, stream_timeout=60)
    assert not form.undo_reset_button.isVisible()


def test_a_reset_keeps_the_last_starts_failure_and_a_start_ends_the_undo(
    qtbot: QtBot, form: StreamForm
) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    with qtbot.waitSignal(form.start_requested):
        qtbot.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    form.show_error("Plivo could not connect to the stream URL", call_uuid=CALL)
    assert "could not connect" in form.result.message
    qtbot.mouseClick(form.restore_button, Qt.MouseButton.LeftButton)
    assert "could not connect" in form.result.message  # not "Form reset to Plivo's defaults."
    assert form.undo_reset_button.isVisible()
    type_into(qtbot, form.service_url, GOOD_URL)
    with qtbot.waitSignal(form.start_requested):
        qtbot.keyClick(form.service_url, Qt.Key.Key_Return)
    assert not form.undo_reset_button.isVisible()  # the start settled the form


def test_restore_defaults_button(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    choose(qtbot, form.content_type, ContentType.L16_16K.value)
    qtbot.mouseClick(form.restore_button, Qt.MouseButton.LeftButton)
    assert form.content_type.currentData() == ContentType.L16_8K.value
    assert form.service_url.text() == ""


def test_tab_order_follows_the_visual_order(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    form.set_receiver_url("https://a1b2.ngrok.app/cb")

    def walk(steps: int) -> list[str]:
        form.service_url.setFocus()
        seen = []
        for _ in range(steps):
            focused = QGuiApplication.focusObject()
            assert isinstance(focused, QWidget)
            seen.append(focused.objectName())
            qtbot.keyClick(focused, Qt.Key.Key_Tab)
        return seen

    common = [
        "service_url",
        "check_service",  # beside the URL
        "bidirectional",
        "audio_track",
        "status_callback_url",
        "callbacks_to_console",
        "more_options",
    ]
    assert walk(8) == [*common, "start_stream"]  # folded: straight on to Start
    qtbot.mouseClick(form.more_toggle, Qt.MouseButton.LeftButton)
    assert walk(13) == [
        *common,
        "stream_timeout",
        "status_callback_method",
        "content_type",
        "extra_headers",
        "extra_headers_table_toggle",
        "start_stream",
    ]


def test_start_is_disabled_while_a_request_is_in_flight(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, GOOD_URL)
    with qtbot.waitSignal(form.start_requested, timeout=2000):
        qtbot.keyClick(form.service_url, Qt.Key.Key_Return)
    # The form turned busy itself when it emitted: no duplicate start from a double click.
    assert not form.start_button.isEnabled()
    assert form.start_button.text() == "Starting…"
    assert "waiting for Plivo" in form.start_button.toolTip()
    with qtbot.assertNotEmitted(form.start_requested, wait=50):
        qtbot.keyClick(form.service_url, Qt.Key.Key_Return)
    form.show_started(StreamStarted("b5a9c1e2-stream", api_id="0d4f-api", message="ok"))
    assert form.start_button.isEnabled()
    assert form.start_button.text() == "Start stream"


def test_result_shows_copyable_ids(qtbot: QtBot, form: StreamForm) -> None:
    form.show_started(StreamStarted("b5a9c1e2-stream", api_id="0d4f-api", message="audio started"))
    stream_id = form.findChild(QLineEdit, "result_stream_id")
    api_id = form.findChild(QLineEdit, "result_api_id")
    assert stream_id is not None and api_id is not None
    assert stream_id.isVisible() and stream_id.text() == "b5a9c1e2-stream"
    assert stream_id.isReadOnly() and api_id.text() == "0d4f-api"
    assert "Stream started" in form.result.message
    copy = form.findChild(QPushButton, "result_stream_id_copy")
    assert copy is not None
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "b5a9c1e2-stream"
    assert copy.text() == "Copied"


def test_result_shows_plivo_error_in_plain_words_and_detail_on_demand(
    qtbot: QtBot, form: StreamForm
) -> None:
    form.set_busy(True)
    form.show_error(
        "Plivo refused the stream: an active stream already goes to this URL.",
        'HTTP 400 {"api_id": "x", "error": "An active stream already exists"}',
    )
    assert form.start_button.text() == "Start stream"
    assert "already goes to this URL" in form.result.message
    assert not form.result.ids.isVisible()
    assert not form.result.detail.isVisible()
    qtbot.mouseClick(form.result.detail_toggle, Qt.MouseButton.LeftButton)
    assert form.result.detail.isVisible()
    assert "HTTP 400" in form.result.detail.toPlainText()


def test_current_request_with_every_field(qtbot: QtBot, form: StreamForm) -> None:
    assert form.current_request() is None
    type_into(qtbot, form.service_url, GOOD_URL)
    tick(qtbot, form.bidirectional)
    type_into(qtbot, form.stream_timeout, "120")
    type_into(qtbot, form.status_callback_url, "https://cb.example.com/s")
    choose(qtbot, form.status_callback_method, "GET")
    choose(qtbot, form.content_type, ContentType.L16_16K.value)
    type_into(qtbot, form.extra_headers, "a=1")
    assert form.current_request() == StreamRequest(
        GOOD_URL,
        bidirectional=True,
        stream_timeout=120,
        status_callback_url="https://cb.example.com/s",
        status_callback_method=CallbackMethod.GET,
        content_type=ContentType.L16_16K,
        extra_headers="a=1",
    )
    assert AudioTrack.INBOUND.value == form.audio_track.currentData()


def test_typing_does_not_drain_references_to_none(qtbot: QtBot, form: StreamForm) -> None:
    """PySide6 6.12 returns None without a reference from calls that yield an invalid QVariant
    (e.g. QObject.property() of an unset property); each one drains None's refcount until the
    interpreter aborts at exit ("none_dealloc"). The form must not make such calls per key."""
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(20):
        type_into(qtbot, form.service_url, "wss://a.example/" + "x" * 10)
        type_into(qtbot, form.extra_headers, "k=v,,k2")
    gc.collect()
    # 20 * ~40 keystrokes * 8 fields would lose thousands; allow ordinary churn.
    assert sys.getrefcount(None) > before - 300


def test_a_long_headline_is_cut_to_two_lines_and_kept_whole_elsewhere(
    qtbot: QtBot, form: StreamForm
) -> None:
    reason = "<b>not bold</b> " + " ".join(f"word{i}" for i in range(80))
    form.resize(420, 600)
    form.show()
    qtbot.waitExposed(form)
    form.show_error(f"The stream failed: {reason}")
    result = form.result
    assert result.message == f"The stream failed: {reason}"
    qtbot.waitUntil(lambda: result.headline.text().endswith("…"))  # once laid out
    shown = result.headline.text()
    assert shown.startswith("The stream failed: <b>not bold</b>")
    assert len(shown) < len(result.message)
    height = result.headline.heightForWidth(result.headline.width())
    assert height <= 2 * result.headline.fontMetrics().lineSpacing() + 2
    # The whole text: in the tooltip (as text, not markup) and under "Show technical detail".
    assert "&lt;b&gt;" in result.headline.toolTip() and "word79" in result.headline.toolTip()
    assert result.detail_toggle.isVisible()
    qtbot.mouseClick(result.detail_toggle, Qt.MouseButton.LeftButton)
    assert result.message in result.detail.toPlainText()
    # Wide enough again: the headline is whole and nothing is duplicated.
    form.show_error("Plivo refused the stream.", "HTTP 400")
    assert result.headline.text() == "Plivo refused the stream."
    assert result.headline.toolTip() == "" and result.detail.toPlainText() == "HTTP 400"


def test_the_demos_default_url_does_not_follow_into_another_account(
    qtbot: QtBot, form: StreamForm
) -> None:
    sink = "ws://127.0.0.1:41000/_sim/media-sink"
    form.set_default_service_url(sink)  # the demo
    assert form.service_url.text() == sink
    form.set_default_service_url("")  # a real account: no default stream URL
    assert form.service_url.text() == ""
    form.set_default_service_url(sink)
    type_into(qtbot, form.service_url, "wss://bot.example.com/typed")  # the agent's own
    form.set_default_service_url("")
    assert form.service_url.text() == "wss://bot.example.com/typed"  # never thrown away
