"""Adding, editing and removing accounts through the dialog, with the real OS keyring."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from console.credentials import KeyringCredentialStore
from console.ui.account_dialog import AccountDialog
from tests.app.conftest import make_console, wait_for
from tests.typing_helpers import type_text

AUTH_ID = "MAXXXXXXXXXXXXXXXXX1"


def _fill(dialog: AccountDialog, name: str, auth_id: str, token: str) -> None:
    for field, text in (("display_name", name), ("auth_id", auth_id), ("auth_token", token)):
        edit = dialog.findChild(QLineEdit, field)
        assert edit is not None
        edit.clear()
        type_text(edit, text)


@pytest.fixture
def service() -> str:
    return f"stream-console-test-{uuid.uuid4().hex[:8]}"


@pytest.mark.asyncio
async def test_add_edit_remove_with_real_keyring(
    settings_path: Path, log_dir: Path, service: str
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

        token = "tøken-€-" + uuid.uuid4().hex
        _fill(dialog, "Support EU", AUTH_ID, token)
        assert not error.isVisible() and save.isEnabled()
        save.click()
        await wait_for(lambda: console.profiles.list(), what="profile saved")
        profile = console.profiles.list()[0]
        assert (profile.display_name, profile.auth_id) == ("Support EU", AUTH_ID)
        assert keyring.get_password(service, profile.profile_id) == token
        assert token not in settings_path.read_text(encoding="utf-8")
        assert dialog.findChild(QLineEdit, "auth_token").text() == ""
        assert console.window.account_status.text() == "Account: Support EU"

        # Edit the name only: the stored token stays.
        name = dialog.findChild(QLineEdit, "display_name")
        name.clear()
        QTest.keyClicks(name, "Support EMEA")
        save.click()
        await wait_for(lambda: console.profiles.list()[0].display_name == "Support EMEA")
        assert keyring.get_password(service, profile.profile_id) == token

        dialog.findChild(QPushButton, "remove_account").click()
        await wait_for(lambda: not console.profiles.list(), what="profile removed")
        assert keyring.get_password(service, profile.profile_id) is None
    finally:
        console.window.close()
        await runner
        await console.shutdown()


@pytest.mark.asyncio
async def test_no_keyring_offers_session_only_and_writes_nothing(
    settings_path: Path, log_dir: Path
) -> None:
    store = KeyringCredentialStore(keyring.backends.fail.Keyring())
    console = make_console(settings_path, log_dir, store)
    runner = asyncio.ensure_future(console.run())
    await wait_for(console.window.isVisible)
    try:
        dialog = console.accounts.open_dialog(new=True)
        token = "PLIVO-CANARY-" + uuid.uuid4().hex
        _fill(dialog, "Night shift", AUTH_ID, token)
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
