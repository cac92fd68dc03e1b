"""The stream form's setup picker driven as an agent drives it: save the form under a name, pick a
setup with a click or Ctrl+digit, see what the form changed since, and names from outside shown
as typed. The app layer's side (storage, accounts, import) is tests/app/test_setups_app.py."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialogButtonBox, QLabel
from pytestqt.qtbot import QtBot

from console.domain.setups import StreamSetup
from console.domain.snippets import Language
from console.ui import StreamForm
from console.ui.setup_picker import SetupPicker
from tests.ui.conftest import GOOD_URL
from tests.ui.test_stream_form import tick, type_into

RECEIVER = "https://abc.trycloudflare.com/plivo/stream-status"
SALES = StreamSetup(
    "Sales bot", "wss://bot.example.com/sales", bidirectional=True, callbacks_to_console=True,
    extra_headers="team=sales",
)  # fmt: skip
QA = StreamSetup("QA recorder", "wss://qa.example.com/record", stream_timeout="3600")


def trigger(picker: SetupPicker, name: str) -> None:
    action = picker.menu.findChild(QAction, name)
    assert action is not None and action.isEnabled(), name
    action.trigger()


def name_it(qtbot: QtBot, picker: SetupPicker, name: str) -> None:
    """Type `name` into the open name dialog and press OK."""
    qtbot.waitUntil(lambda: picker.name_dialog is not None and picker.name_dialog.isVisible())
    dialog = picker.name_dialog
    assert dialog is not None
    dialog.name.selectAll()
    qtbot.keyClicks(dialog.name, name)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: picker.name_dialog is None)


def pick_with_mouse(qtbot: QtBot, form: StreamForm, name: str) -> None:
    """The list opened from the keyboard (Qt ignores a release within a double-click interval of
    a click that opened it: the agent's real second click comes later), then a click on it."""
    combo = form.setup_picker.combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_F4)
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    row = combo.findData(name)
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not view.isVisible())


def test_save_the_form_as_a_setup_keeps_callbacks_to_this_console_as_intent(
    qtbot: QtBot, form: StreamForm
) -> None:
    form.set_receiver_url(RECEIVER)
    type_into(qtbot, form.service_url, GOOD_URL)
    tick(qtbot, form.callbacks_to_console)
    assert form.status_callback_url.text() == RECEIVER
    with qtbot.waitSignal(form.setup_save_requested) as saved:
        trigger(form.setup_picker, "setup_save_new")
        name_it(qtbot, form.setup_picker, "  Sales   bot ")
    setup = saved.args[0]
    assert setup == StreamSetup("Sales bot", GOOD_URL, callbacks_to_console=True)
    assert setup.status_callback_url == ""  # never the tunnel's address of the day


def test_the_name_dialog_refuses_an_empty_or_taken_name(qtbot: QtBot, form: StreamForm) -> None:
    form.set_setups([SALES])
    type_into(qtbot, form.service_url, GOOD_URL)
    trigger(form.setup_picker, "setup_save_new")
    qtbot.waitUntil(lambda: form.setup_picker.name_dialog is not None)
    dialog = form.setup_picker.name_dialog
    assert dialog is not None
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and dialog.why.text() == "Enter a name."
    qtbot.keyClicks(dialog.name, "SALES BOT")
    assert not ok.isEnabled()
    assert dialog.why.text() == "This account already has a setup named SALES BOT."
    qtbot.keyClick(dialog.name, Qt.Key.Key_Backspace)
    assert ok.isEnabled() and dialog.why.text() == ""
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_saving_waits_for_a_form_without_errors(qtbot: QtBot, form: StreamForm) -> None:
    type_into(qtbot, form.service_url, "http://not-a-websocket")
    action = form.setup_picker.menu.findChild(QAction, "setup_save_new")
    assert action is not None and not action.isEnabled()
    assert action.toolTip() == "Fix the form's errors first."
    type_into(qtbot, form.service_url, GOOD_URL)
    assert action.isEnabled()


def test_pick_with_one_click_then_ctrl_digit_and_see_what_differs(
    qtbot: QtBot, form: StreamForm
) -> None:
    form.set_receiver_url(RECEIVER)
    form.set_setups([SALES, QA])
    picker = form.setup_picker
    pick_with_mouse(qtbot, form, "Sales bot")
    assert form.service_url.text() == SALES.service_url
    assert form.bidirectional.isChecked() and form.callbacks_to_console.isChecked()
    assert form.status_callback_url.text() == RECEIVER  # this console's address, filled in now
    assert form.extra_headers.text() == "team=sales"
    assert not picker.differs.isVisible() and form.setup_label() == "Sales bot"

    form.service_url.setFocus()
    qtbot.keyClick(form.service_url, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert picker.combo.currentText() == "QA recorder"
    assert form.service_url.text() == QA.service_url and not form.bidirectional.isChecked()
    assert not form.callbacks_to_console.isChecked() and form.stream_timeout.text() == "3600"

    type_into(qtbot, form.extra_headers, "ticket=1")
    assert picker.differs.isVisible()
    assert picker.differs.text() == "Differs from setup QA recorder: Extra headers."
    assert form.setup_label() == "QA recorder (changed: Extra headers)"
    update = picker.menu.findChild(QAction, "setup_update")
    assert update is not None and update.isEnabled()
    assert update.text() == "Save changes to QA recorder"
    with qtbot.waitSignal(form.setup_update_requested) as updated:
        update.trigger()
    assert updated.args[0] == StreamSetup(
        "QA recorder", QA.service_url, stream_timeout="3600", extra_headers="ticket=1"
    )


def test_keys_pick_the_setup_from_the_list_too(qtbot: QtBot, form: StreamForm) -> None:
    form.set_setups([SALES, QA])
    combo = form.setup_picker.combo
    qtbot.keyClick(form.service_url, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # "Set&up:"
    qtbot.waitUntil(combo.hasFocus)
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # "No setup" → the first setup
    assert form.service_url.text() == SALES.service_url
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert form.service_url.text() == QA.service_url
    assert combo.itemData(2, Qt.ItemDataRole.ToolTipRole) == "Ctrl+2"


def test_callbacks_to_this_console_wait_for_the_receiver(qtbot: QtBot, form: StreamForm) -> None:
    """A setup picked before the receiver has an address gets it once it has one."""
    form.set_setups([SALES])
    form.setup_picker.pick(1)
    assert not form.callbacks_to_console.isChecked()
    differs = form.setup_picker.differs
    assert differs.text() == "Differs from setup Sales bot: Callbacks to this console."
    form.set_receiver_url(RECEIVER)
    assert form.callbacks_to_console.isChecked()
    assert form.status_callback_url.text() == RECEIVER
    assert not differs.isVisible() and form.setup_label() == "Sales bot"
    # The receiver goes (another account without a public URL), then comes back elsewhere.
    form.set_receiver_url(None)
    assert not form.callbacks_to_console.isChecked() and differs.isVisible()
    form.set_receiver_url("https://other.example.com/cb")
    assert form.callbacks_to_console.isChecked()
    assert form.status_callback_url.text() == "https://other.example.com/cb"
    assert not differs.isVisible()


def test_outside_names_show_as_typed(qtbot: QtBot, form: StreamForm) -> None:
    hostile = StreamSetup("<b>Bold</b> & <img src=x>", GOOD_URL)
    form.set_setups([hostile])
    form.setup_picker.pick(1)
    type_into(qtbot, form.extra_headers, "a=1")
    differs = form.setup_picker.differs
    assert differs.textFormat() == Qt.TextFormat.PlainText
    assert differs.text().startswith("Differs from setup <b>Bold</b> & <img src=x>:")
    rename = form.setup_picker.menu.findChild(QAction, "setup_update")
    assert rename is not None and rename.text() == "Save changes to <b>Bold</b> && <img src=x>"


def test_copy_as_code_names_the_setup(qtbot: QtBot, form: StreamForm) -> None:
    form.set_setups([QA])
    form.setup_picker.pick(1)
    dialog = form.open_code_dialog()
    assert dialog is not None
    qtbot.addWidget(dialog)
    note = dialog.findChild(QLabel, "code_note")
    assert note is not None and note.text().startswith("From the stream setup QA recorder. ")
    assert dialog.code(Language.PYTHON).startswith("# Stream setup: QA recorder\n")
    assert dialog.code(Language.PHP).startswith("<?php\n// Stream setup: QA recorder\n")
    dialog.close()
