"""Stream setups in the composed console on a real account against the simulator on loopback:
each account keeps its own setups and its own last form (the demo's media sink never shows up in
another account), a start names its setup in the activity history, setups survive a restart and
go with their account, and export, import and delete ask and answer as an agent sees it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QLineEdit, QMessageBox, QPushButton

from console.app.composition import ConsoleApp
from console.app.services.demo import DEMO_PROFILE_ID
from console.credentials import MemoryCredentialStore
from console.domain.accounts import Profile
from console.domain.secret import Secret
from console.domain.setups import StreamSetup, export_text
from console.simulator import Simulator
from console.ui.stream_form import StreamForm
from tests.app.conftest import wait_for
from tests.app.operator_rig import AUTH_ID, TOKEN, Rig, close_rig, make_rig

EU_URL = "wss://eu.example.com/bot"


def menu_action(form: StreamForm, name: str) -> QAction:
    action = form.setup_picker.menu.findChild(QAction, name)
    assert action is not None and action.isEnabled(), name
    return action


async def save_as(form: StreamForm, name: str) -> None:
    menu_action(form, "setup_save_new").trigger()
    picker = form.setup_picker
    await wait_for(lambda: picker.name_dialog is not None, what="name dialog")
    dialog = picker.name_dialog
    assert dialog is not None
    QTest.keyClicks(dialog.name, name)
    QTest.keyClick(dialog.name, Qt.Key.Key_Return)
    await wait_for(lambda: name in picker.names(), what=f"setup {name} saved")


async def switch_account(rig: Rig, profile_id: str) -> None:
    """Pick the account in the toolbar's switcher: opened from the keyboard, clicked. Once the
    call's streams have loaded: a list request still in flight when the account changes leaves
    its connection open (a matter of the account switch itself, not of setups)."""
    await wait_for(lambda: not rig.console.tasks.running("streams"), what="streams loaded")
    combo = rig.console.window.profile_combo
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_F4)
    view = combo.view()
    await wait_for(view.isVisible, what="account list open")
    rect = view.visualRect(view.model().index(combo.findData(profile_id), 0))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    console = rig.console
    await wait_for(
        lambda: console.binding is not None and console.binding.profile.profile_id == profile_id,
        timeout=15, what=f"account {profile_id} in use",
    )  # fmt: skip
    await wait_for(lambda: rig.view.model.rowCount() > 0, timeout=15, what="calls listed")


async def type_url(rig: Rig, url: str) -> None:
    await rig.select(rig.sim.live_call_uuids()[0])
    form = rig.pane.form
    form.service_url.setFocus()
    form.service_url.selectAll()
    QTest.keyClick(form.service_url, Qt.Key.Key_Delete)
    QTest.keyClicks(form.service_url, url)


async def second_account(rig: Rig, name: str) -> Profile:
    profile = rig.console.profiles.save(
        Profile(profile_id="", display_name=name, auth_id=AUTH_ID, api_base_url=rig.sim.base_url)
    )
    await rig.console.credentials.set(profile.profile_id, Secret(TOKEN))
    rig.console.accounts.profiles_changed.emit(profile.profile_id)
    return profile


async def answer(current: object, button: str) -> None:
    """Click `button` (an objectName) in the message box that `current()` returns once open."""
    await wait_for(lambda: callable(current) and isinstance(current(), QMessageBox), what="box")
    assert callable(current)
    box = current()
    assert isinstance(box, QMessageBox)
    found = box.findChild(QAbstractButton, button)
    assert found is not None, button
    found.click()


async def choose_file(rig: Rig, path: Path) -> None:
    def visible() -> QFileDialog | None:
        return next(
            (d for d in rig.console.window.findChildren(QFileDialog) if d.isVisible()), None
        )

    await wait_for(lambda: visible() is not None, what="file dialog")
    dialog = visible()
    assert dialog is not None
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    assert name is not None
    name.setText(str(path))
    dialog.accept()


@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_each_account_keeps_its_own_form_and_the_demo_sink_stays_in_the_demo(
    rig: Rig,
) -> None:
    form = rig.pane.form
    us = await second_account(rig, "Support US")
    await type_url(rig, EU_URL)
    await save_as(form, "EU bot")

    await switch_account(rig, DEMO_PROFILE_ID)
    sink = rig.console.demo_backend.media_sink_url
    assert sink and form.service_url.text() == sink
    assert form.setup_picker.names() == [] and form.setup_label() == ""
    await switch_account(rig, us.profile_id)
    assert form.service_url.text() == ""  # neither the demo's sink nor the EU account's bot
    assert form.setup_picker.names() == []
    assert form.setup_picker.combo.currentText() == "No setups yet"
    await type_url(rig, "wss://us.example.com/bot")

    await switch_account(rig, rig.profile.profile_id)
    assert form.service_url.text() == EU_URL
    assert form.setup_picker.combo.currentText() == "EU bot" and form.setup_label() == "EU bot"
    await switch_account(rig, us.profile_id)
    assert form.service_url.text() == "wss://us.example.com/bot"
    await switch_account(rig, DEMO_PROFILE_ID)
    assert form.service_url.text() == sink


@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_a_start_names_its_setup_and_the_default_setup_greets_the_next_session(
    sim: Simulator, tmp_path: Path
) -> None:
    rig = await make_rig(tmp_path, sim)
    try:
        await start_from_a_changed_setup(rig, tmp_path)
    finally:
        await close_rig(rig)
    # The next session on this account starts with its default setup.
    store = MemoryCredentialStore()
    await store.set(rig.profile.profile_id, Secret(TOKEN))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    again = ConsoleApp(settings, keyring_store=store, data_dir=tmp_path / "data2")
    runner = asyncio.ensure_future(again.run())
    try:
        await wait_for(lambda: again.binding is not None, timeout=15, what="account in use")
        await wait_for(lambda: again.calls.refreshes > 0, timeout=15, what="calls listed")
        await again.services_ready.wait()  # the session settled before the account goes
        form = again.pane.form
        assert form.service_url.text() == EU_URL and form.extra_headers.text() == "team=eu"
        assert form.setup_label() == "EU bot"
        # Removing the account removes its setups.
        await again.accounts.remove(rig.profile.profile_id)
        await wait_for(lambda: again.binding is None, what="account gone")
        assert again.settings.value(f"stream_setups/{rig.profile.profile_id}/file") is None
    finally:
        again.window.close()
        await runner
        await again.shutdown()


async def start_from_a_changed_setup(rig: Rig, tmp_path: Path) -> None:
    form = rig.pane.form
    await type_url(rig, EU_URL)
    form.extra_headers.setText("team=eu")
    await save_as(form, "EU bot")
    menu_action(form, "setup_default").trigger()
    assert form.setup_picker.combo.currentText() == "EU bot  (default)"
    form.extra_headers.setText("team=eu,ticket=7")
    call = rig.sim.live_call_uuids()[0]
    QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: len(rig.sim.streams_of(call)) == 1, what="stream at the simulator")
    log = rig.console.activity_log
    assert log is not None
    await wait_for(lambda: not rig.console.tasks.running(f"start-{call}"), what="start recorded")
    entry = (await log.recent())[0]
    assert entry.detail.endswith("Setup: EU bot (changed: Extra headers).")
    # Saved in the settings file, for this account only.
    on_disk = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    key = f"stream_setups/{rig.profile.profile_id}"
    assert json.loads(str(on_disk.value(f"{key}/file")))["setups"][0]["name"] == "EU bot"
    assert on_disk.value(f"{key}/default") == "EU bot"


@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_export_delete_import_round_trip_asks_about_names_and_refuses_bad_files(
    rig: Rig, tmp_path: Path
) -> None:
    form = rig.pane.form
    setups = rig.console.setups
    await type_url(rig, EU_URL)
    await save_as(form, "EU bot")
    await type_url(rig, "wss://qa.example.com/record")
    await save_as(form, "QA recorder")

    exported = tmp_path / "team-setups.json"
    menu_action(form, "setup_export").trigger()
    await choose_file(rig, exported)
    await wait_for(exported.exists, what="file written")
    body = json.loads(exported.read_text(encoding="utf-8"))
    assert body["format"] == "stream-console-setups" and body["version"] == 1
    assert [s["name"] for s in body["setups"]] == ["EU bot", "QA recorder"]

    menu_action(form, "setup_delete").trigger()  # the chosen one: QA recorder
    await answer(lambda: setups.dialogs.current, "confirm_ok")
    await wait_for(lambda: form.setup_picker.names() == ["EU bot"], what="deleted")
    assert form.service_url.text() == "wss://qa.example.com/record"  # the form keeps it

    menu_action(form, "setup_import").trigger()
    await choose_file(rig, exported)
    await answer(lambda: setups.questions.current, "clash_keep_both")
    await wait_for(lambda: len(form.setup_picker.names()) == 3, what="imported")
    assert form.setup_picker.names() == ["EU bot", "EU bot (2)", "QA recorder"]

    bad = tmp_path / "bad.json"
    good = StreamSetup("Fine", "wss://fine.example.com/")
    wrong = StreamSetup("Both ways", "wss://x.example.com/", bidirectional=True, audio_track="both")
    body = json.loads(export_text([good, wrong]))
    body["setups"].append({"name": "Typo", "bidirectional": "yes"})
    bad.write_text(json.dumps(body), encoding="utf-8")
    menu_action(form, "setup_import").trigger()
    await choose_file(rig, bad)
    await wait_for(lambda: isinstance(setups.questions.current, QMessageBox), what="refusal")
    box = setups.questions.current
    assert isinstance(box, QMessageBox)
    assert box.text() == "Nothing was imported: the file has 2 problems."
    lines = box.informativeText().splitlines()
    assert lines[0].startswith("• Setup 2 (Both ways): ") and "inbound" in lines[0]
    assert lines[1] == "• Setup 3 (Typo): bidirectional must be true or false"
    close = next(b for b in box.findChildren(QPushButton) if b.text() == "Close")
    close.click()
    await wait_for(lambda: setups.questions.current is None, what="refusal closed")
    assert form.setup_picker.names() == ["EU bot", "EU bot (2)", "QA recorder"]


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_rename_keeps_the_default_and_duplicate_picks_the_copy(rig: Rig) -> None:
    form = rig.pane.form
    picker = form.setup_picker
    await type_url(rig, EU_URL)
    await save_as(form, "EU bot")
    menu_action(form, "setup_default").trigger()
    menu_action(form, "setup_rename").trigger()
    await wait_for(lambda: picker.name_dialog is not None, what="name dialog")
    dialog = picker.name_dialog
    assert dialog is not None and dialog.name.text() == "EU bot"  # the old name, selected
    QTest.keyClicks(dialog.name, "EU main")
    QTest.keyClick(dialog.name, Qt.Key.Key_Return)
    await wait_for(lambda: picker.names() == ["EU main"], what="renamed")
    assert picker.combo.currentText() == "EU main  (default)"
    menu_action(form, "setup_duplicate").trigger()
    assert picker.names() == ["EU main", "EU main (2)"]
    assert picker.combo.currentText() == "EU main (2)" and form.setup_label() == "EU main (2)"
    stored = rig.console.settings.value(f"stream_setups/{rig.profile.profile_id}/default")
    assert stored == "EU main"


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_import_replace_keeps_the_name_and_skip_leaves_the_list_alone(
    rig: Rig, tmp_path: Path
) -> None:
    form = rig.pane.form
    setups = rig.console.setups
    status = rig.console.window.statusBar()
    await type_url(rig, EU_URL)
    await save_as(form, "EU bot")
    shared = tmp_path / "lead.json"
    incoming = [
        StreamSetup("eu BOT", "wss://eu2.example.com/bot"),
        StreamSetup("New one", "wss://new.example.com/"),
    ]
    shared.write_text(export_text(incoming), encoding="utf-8")

    menu_action(form, "setup_import").trigger()
    await choose_file(rig, shared)
    await answer(lambda: setups.questions.current, "clash_replace")
    await wait_for(lambda: len(form.setup_picker.names()) == 2, what="imported")
    assert form.setup_picker.names() == ["EU bot", "New one"]  # the account's name stays
    assert form.setup_picker.setups()[0].service_url == "wss://eu2.example.com/bot"
    assert status.currentMessage() == "Imported 2 setups."

    menu_action(form, "setup_import").trigger()
    await choose_file(rig, shared)
    await answer(lambda: setups.questions.current, "clash_skip")
    await wait_for(lambda: status.currentMessage().startswith("Nothing imported"), what="skip")
    assert form.setup_picker.names() == ["EU bot", "New one"]
