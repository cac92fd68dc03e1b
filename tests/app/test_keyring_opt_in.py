"""A keyring backend outside the allowlist is used only when the user names it in
STREAM_CONSOLE_ALLOW_KEYRING_BACKEND, and then the account dialog says so every time a token is
saved (and the log holds a warning), so nobody mistakes it for the OS keyring."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit

from console.credentials import KeyringCredentialStore
from console.credentials.keyring_store import backend_name
from tests.app.conftest import make_console, wait_for
from tests.app.test_accounts import AUTH_ID, _fill


class DictBackend:
    """A keyring backend of the user's own (in memory here, so the test writes no file).
    Duck-typed: a KeyringBackend subclass would register itself with keyring's discovery."""

    priority = 1

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.data.pop((service, username), None)


@pytest.mark.asyncio
@pytest.mark.parametrize("allowed", [False, True])
async def test_an_opted_in_backend_is_used_with_a_visible_warning(
    settings_path: Path,
    log_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    allowed: bool,
) -> None:
    backend = DictBackend()
    if allowed:
        monkeypatch.setenv("STREAM_CONSOLE_ALLOW_KEYRING_BACKEND", backend_name(backend))
    else:
        monkeypatch.delenv("STREAM_CONSOLE_ALLOW_KEYRING_BACKEND", raising=False)
    console = make_console(settings_path, log_dir, KeyringCredentialStore(backend))
    runner = asyncio.ensure_future(console.run())
    await wait_for(console.window.isVisible)
    try:
        dialog = console.accounts.open_dialog(new=True)
        _fill(dialog, "Night shift", AUTH_ID, "opt-in-token-123456")
        with caplog.at_level(logging.WARNING, logger="console.credentials"):
            QTest.keyClick(dialog.findChild(QLineEdit, "auth_token"), Qt.Key.Key_Return)
            message = dialog.findChild(QLabel, "account_message")
            assert message is not None
            await wait_for(
                lambda: "keyring…" not in message.text() and message.text(), what="the outcome"
            )
        if allowed:
            assert "Token stored." in message.text()
            assert "not an OS keyring" in message.text()
            assert "STREAM_CONSOLE_ALLOW_KEYRING_BACKEND" in message.text()
            assert list(backend.data.values()) == ["opt-in-token-123456"]
            assert any("not an OS keyring" in r.getMessage() for r in caplog.records)
            assert [p.display_name for p in console.profiles.list()] == ["Night shift"]
        else:
            assert "No safe system keyring" in message.text()
            assert f"STREAM_CONSOLE_ALLOW_KEYRING_BACKEND={backend_name(backend)}" in (
                message.text()
            )
            assert backend.data == {} and console.profiles.list() == []
    finally:
        console.window.close()
        await runner
        await console.shutdown()
