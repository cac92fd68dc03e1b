"""Adding, editing and removing accounts through the dialog, with the real OS keyring; Save asks
the simulator on loopback (as it would ask Plivo) whether it accepts the credentials first."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from console.app.composition import ConsoleApp
from console.credentials import KeyringCredentialStore
from console.domain.accounts import Profile
from console.domain.secret import Secret
from console.simulator import Simulator, SimulatorConfig
from console.ui.account_dialog import AccountDialog
from tests.app.conftest import make_console, wait_for
from tests.typing_helpers import type_text

AUTH_ID = "MAXXXXXXXXXXXXXXXXX1"
SIM_TOKEN = "accounts-test-token-1"


def _fill(
    dialog: AccountDialog, name: str, auth_id: str, token: str, base_url: str | None = None
) -> None:
    fields = [("display_name", name), ("auth_id", auth_id), ("auth_token", token)]
    if base_url is not None:
        fields.append(("api_base_url", base_url))
    for field, text in fields:
        edit = dialog.findChild(QLineEdit, field)
        assert edit is not None
        edit.clear()
        type_text(edit, text)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(
        SimulatorConfig(auth_id=AUTH_ID, auth_token=SIM_TOKEN, calls=3, seed=3, churn=False,
                        media=False, queued_calls=0)
    )  # fmt: skip
    await simulator.start("127.0.0.1", 0)
    yield simulator
    await simulator.stop()


@pytest.fixture
def service() -> str:
    return f"stream-console-test-{uuid.uuid4().hex[:8]}"


@pytest.mark.asyncio
async def test_add_edit_remove_with_real_keyring(
    settings_path: Path, log_dir: Path, service: str, sim: Simulator
) -> None:
    assert os.environ.get("STREAM_CONSOLE_TEST_KEYRING") == "1", "run through make test"
    store = KeyringCredentialStore(service=service)
    console = make_console(settings_path, log_dir, store)
    runner = asyncio.ensure_future(console.run())
    await wait_for(console.window.isVisible)
    try:
        dialog = console.accounts.open_dialog(new=True)
        save = dialog.findChild(QPushButton, "save_account")
        assert save is not None and not save.isEnabled()

        _fill(dialog, "Support EU", "MA123", "tok")
        error = dialog.findChild(QLabel, "auth_id_error")
        assert error is not None and error.isVisible()
        assert "20 characters" in error.text()
        assert not save.isEnabled()

        token = SIM_TOKEN
        _fill(dialog, "Support EU", AUTH_ID, token, sim.base_url)
        assert not error.isVisible() and save.isEnabled()
        save.click()
        await wait_for(lambda: console.profiles.list(), what="profile saved")
        await wait_for(lambda: not dialog.isVisible(), what="dialog closed after Plivo said yes")
        profile = console.profiles.list()[0]
        assert (profile.display_name, profile.auth_id) == ("Support EU", AUTH_ID)
        assert keyring.get_password(service, profile.profile_id) == token
        assert token not in settings_path.read_text(encoding="utf-8")
        assert dialog.findChild(QLineEdit, "auth_token").text() == ""
        await wait_for(lambda: console.window.account_status.text() == "Account: Support EU")
        assert "accepted" in console.window.statusBar().currentMessage()

        # Edit the name only: the stored token stays (and is what Save checks).
        dialog = console.accounts.open_dialog()
        name = dialog.findChild(QLineEdit, "display_name")
        name.clear()
        QTest.keyClicks(name, "Support EMEA")
        QTest.keyClick(name, Qt.Key.Key_Return)
        await wait_for(lambda: console.profiles.list()[0].display_name == "Support EMEA")
        assert keyring.get_password(service, profile.profile_id) == token

        dialog = console.accounts.open_dialog()
        remove = dialog.findChild(QPushButton, "remove_account")
        remove.click()  # asks first: cancelled, nothing happens
        await wait_for(lambda: _question(console) is not None, what="the question")
        question = _question(console)
        assert "Remove the account Support EMEA" in question.text()
        question.reject()
        await wait_for(lambda: _question(console) is None, what="question answered")
        assert console.profiles.list() and keyring.get_password(service, profile.profile_id)
        remove.click()
        await wait_for(lambda: _question(console) is not None, what="the question again")
        _question(console).findChild(QPushButton, "confirm_ok").click()
        await wait_for(lambda: not console.profiles.list(), what="profile removed")
        assert keyring.get_password(service, profile.profile_id) is None
        # the removed account's fields are gone: Save cannot re-create it
        assert dialog.findChild(QLineEdit, "display_name").text() == ""
        assert dialog.findChild(QLineEdit, "auth_id").text() == ""
    finally:
        console.window.close()
        await runner
        await console.shutdown()


def _question(console: ConsoleApp) -> QMessageBox | None:
    asker = console.accounts.asker
    box = asker.current if asker is not None else None
    return box if box is not None and box.isVisible() else None


@pytest.mark.asyncio
async def test_no_keyring_offers_session_only_and_writes_nothing(
    settings_path: Path, log_dir: Path, sim: Simulator
) -> None:
    store = KeyringCredentialStore(keyring.backends.fail.Keyring())
    console = make_console(settings_path, log_dir, store)
    runner = asyncio.ensure_future(console.run())
    await wait_for(console.window.isVisible)
    try:
        dialog = console.accounts.open_dialog(new=True)
        token = SIM_TOKEN
        _fill(dialog, "Night shift", AUTH_ID, token, sim.base_url)
        QTest.keyClick(dialog.findChild(QLineEdit, "auth_token"), Qt.Key.Key_Return)
        message = dialog.findChild(QLabel, "account_message")
        session = dialog.findChild(QPushButton, "use_for_session")
        await wait_for(lambda: session.isVisible(), what="session offer")
        assert "No safe system keyring" in message.text()
        assert "apt install gnome-keyring" in message.text()
        assert console.profiles.list() == []  # nothing half-saved

        session.click()
        await wait_for(lambda: console.profiles.list(), what="session profile")
        profile = console.profiles.list()[0]
        assert "this session only" in message.text()
        secret = await console.credentials.get(profile.profile_id)
        assert secret is not None and secret.reveal() == token
        assert token not in settings_path.read_text(encoding="utf-8")
    finally:
        console.window.close()
        await runner
        await console.shutdown()


def test_token_is_hidden_unless_shown(qtbot: object) -> None:
    dialog = AccountDialog()
    token = dialog.findChild(QLineEdit, "auth_token")
    assert token is not None and token.echoMode() == QLineEdit.EchoMode.Password
    show = dialog.show_token
    show.setChecked(True)
    assert token.echoMode() == QLineEdit.EchoMode.Normal
    show.setChecked(False)
    assert token.echoMode() == QLineEdit.EchoMode.Password
    dialog.deleteLater()


def test_enter_in_the_token_field_saves_whatever_had_focus_at_show(qtbot: object) -> None:
    """The dialog opened with the accounts list focused (as from a banner): Qt used to make the
    button after the focus (Add) the default, and Enter in the token field cleared the form."""
    dialog = AccountDialog()
    profile = Profile("p1", "Support EU", AUTH_ID)
    dialog.set_profiles([profile], select="p1")
    dialog.profiles_list.setFocus()
    dialog.show()
    asked: list[tuple[Profile, object]] = []
    dialog.save_requested.connect(lambda draft, token: asked.append((draft, token)))
    dialog.auth_token.setFocus()
    QTest.keyClicks(dialog.auth_token, "new-token")
    QTest.keyClick(dialog.auth_token, Qt.Key.Key_Return)
    assert asked == [(profile, "new-token")]
    assert dialog.save_button.isDefault()
    dialog.close()
    dialog.deleteLater()


@pytest.mark.asyncio
async def test_save_asks_plivo_first_and_stays_responsive(
    settings_path: Path, log_dir: Path, sim: Simulator
) -> None:
    console = make_console(settings_path, log_dir)
    runner = asyncio.ensure_future(console.run())
    await wait_for(console.window.isVisible)
    try:
        dialog = console.accounts.open_dialog(new=True)
        _fill(dialog, "Support EU", AUTH_ID, "not-the-token", sim.base_url)
        sim.faults.update({"latency_s": 1.0})
        QTest.keyClick(dialog.auth_token, Qt.Key.Key_Return)
        await wait_for(lambda: "Asking Plivo" in dialog.message.text(), what="checking note")
        # Responsive while Plivo is asked: the Show toggle works at once, Save waits.
        assert not dialog.save_button.isEnabled() and dialog.auth_token.isReadOnly()
        QTest.mouseClick(dialog.show_token, Qt.MouseButton.LeftButton)
        assert dialog.auth_token.echoMode() == QLineEdit.EchoMode.Normal
        assert "Asking Plivo" in dialog.message.text()  # the answer has not come yet
        await wait_for(lambda: "did not accept" in dialog.message.text(), what="verdict")
        sim.faults.reset()
        # a refused token is never saved: no Save anyway (that is for "could not ask")
        assert dialog.isVisible() and not dialog.save_anyway_button.isVisible()
        assert console.profiles.list() == []  # nothing saved on a refusal
        assert dialog.auth_token.hasFocus() or not dialog.isActiveWindow()

        dialog.auth_token.clear()
        QTest.keyClicks(dialog.auth_token, SIM_TOKEN)
        QTest.keyClick(dialog.auth_token, Qt.Key.Key_Enter)
        await wait_for(lambda: not dialog.isVisible(), what="dialog closed once Plivo accepts")
        saved = console.profiles.list()
        assert [p.display_name for p in saved] == ["Support EU"]
        secret = await console.credentials.get(saved[0].profile_id)
        assert secret is not None and secret.reveal() == SIM_TOKEN
        assert "Plivo accepted" in console.window.statusBar().currentMessage()
    finally:
        console.window.close()
        await runner
        await console.shutdown()


@pytest.mark.asyncio
async def test_save_anyway_when_plivo_cannot_be_asked(settings_path: Path, log_dir: Path) -> None:
    console = make_console(settings_path, log_dir)
    runner = asyncio.ensure_future(console.run())
    await wait_for(console.window.isVisible)
    try:
        dialog = console.accounts.open_dialog(new=True)
        _fill(dialog, "Offline", AUTH_ID, "offline-token", "http://127.0.0.1:9")  # nobody there
        dialog.save_button.click()
        await wait_for(lambda: dialog.save_anyway_button.isVisible(), timeout=15, what="offer")
        assert "could not be asked" in dialog.message.text()
        assert console.profiles.list() == []
        dialog.save_anyway_button.click()
        await wait_for(lambda: console.profiles.list(), what="saved anyway")
        profile = console.profiles.list()[0]
        secret = await console.credentials.get(profile.profile_id)
        assert secret is not None and secret.reveal() == "offline-token"
        assert not dialog.save_anyway_button.isVisible()
    finally:
        console.window.close()
        await runner
        await console.shutdown()


@pytest.mark.asyncio
async def test_opened_from_the_401_banner_it_says_why_and_takes_the_token(
    settings_path: Path, log_dir: Path, sim: Simulator
) -> None:
    console = make_console(settings_path, log_dir)
    profile = console.profiles.save(Profile("", "Support EU", AUTH_ID, sim.base_url))
    console.profiles.set_current(profile.profile_id)
    await console.credentials.set(profile.profile_id, Secret("an-old-token"))
    runner = asyncio.ensure_future(console.run())
    try:
        banners = console.window.banners
        await wait_for(lambda: "auth" in banners.active_keys(), what="auth banner")
        banner = banners.banner("auth")
        assert banner is not None
        [reenter] = [b for b in banner.findChildren(QPushButton) if b.text() == "Re-enter token…"]
        reenter.click()
        dialog = console.accounts.dialog
        assert dialog is not None and dialog.isVisible()
        assert dialog.reason.isVisible()
        assert "refused the Auth Token saved for “Support EU”" in dialog.reason.text()
        assert dialog.display_name.text() == "Support EU"
        assert dialog.focusWidget() is dialog.auth_token
        type_text(dialog.auth_token, SIM_TOKEN)
        QTest.keyClick(dialog.auth_token, Qt.Key.Key_Return)
        await wait_for(lambda: not dialog.isVisible(), what="dialog closed")
        await wait_for(lambda: console.region.calls.model.rowCount() == 3, timeout=10)
        assert "auth" not in banners.active_keys()
    finally:
        console.window.close()
        await runner
        await console.shutdown()


def test_a_second_account_with_the_same_auth_id_and_api_is_warned_about(qtbot: QtBot) -> None:
    dialog = AccountDialog()
    qtbot.addWidget(dialog)
    first = Profile(profile_id="p1", display_name="Support", auth_id=AUTH_ID)
    dialog.set_profiles([first])
    dialog.start_new()
    type_text(dialog.display_name, "Support copy")
    type_text(dialog.auth_id, AUTH_ID)
    type_text(dialog.auth_token, "some-token")
    warning = dialog.duplicate_warning
    assert not warning.isHidden()
    assert warning.text().startswith("The account Support has the same Auth ID and API base URL")
    assert dialog.save_button.isEnabled()  # a warning, not a refusal
    dialog.api_base_url.setText("http://127.0.0.1:8899")  # another API: another account
    assert warning.isHidden()
    dialog.profiles_list.setCurrentRow(0)  # the account itself is no twin of itself
    assert warning.isHidden()
