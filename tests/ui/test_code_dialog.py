"""Copy as code from the form: every language, the call's uuid, the clipboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from console.domain.snippets import Language, render_snippet
from console.domain.stream_request import StreamRequest
from console.ui import StreamForm
from console.ui.code_dialog import CodeDialog
from tests.ui.conftest import CALL, GOOD_URL


def test_copy_as_code_is_only_offered_for_a_valid_request(qtbot: QtBot, form: StreamForm) -> None:
    assert not form.copy_button.isEnabled()
    assert "no errors" in form.copy_button.toolTip()
    form.service_url.setText(GOOD_URL)
    assert form.copy_button.isEnabled()


def test_dialog_shows_all_languages_and_copies(qtbot: QtBot, form: StreamForm) -> None:
    form.service_url.setText(GOOD_URL)
    form.stream_timeout.setText("600")
    qtbot.mouseClick(form.copy_button, Qt.MouseButton.LeftButton)
    dialog = form.findChild(CodeDialog, "code_dialog")
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.tabs.count() == 9
    labels = [dialog.tabs.tabText(i) for i in range(9)]
    assert labels == [
        "curl",
        "Python",
        "Node.js",
        "Ruby",
        "PHP",
        "Java",
        ".NET (C#)",
        "Go",
        "Plivo XML",
    ]
    request = StreamRequest(GOOD_URL, stream_timeout=600)
    for language in Language:
        assert dialog.code(language) == render_snippet(language, request, call_uuid=CALL)
    page = dialog.pages[Language.PYTHON]
    dialog.tabs.setCurrentWidget(page)
    qtbot.mouseClick(page.copy, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == dialog.code(Language.PYTHON)
    assert CALL in copied and "stream_timeout=600" in copied
    assert page.copy.text() == "Copied"
    dialog.close()


def test_curl_uses_the_configured_api_address(qtbot: QtBot, form: StreamForm) -> None:
    form.set_target_is_simulator(True)
    form.set_api_base_url("http://127.0.0.1:40123")
    form.service_url.setText("ws://127.0.0.1:9000/audio")
    dialog = form.open_code_dialog()
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert "http://127.0.0.1:40123/v1/Account/$PLIVO_AUTH_ID/Call/" in dialog.code(Language.CURL)
