"""The canary: a token used through the console never appears on disk, in logs or on the
terminal, neither as itself nor in its HTTP Basic (base64) form."""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit, QPushButton

from console.app.logs import LOG_FILE_NAME
from console.credentials import KeyringCredentialStore
from console.domain.redaction import REDACTOR
from tests.app.conftest import make_console, wait_for
from tests.typing_helpers import type_text

AUTH_ID = "MACANARYACCOUNT00001"


def _hits(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                blob = path.read_bytes()
            except OSError:
                continue
            found += [f"{path}: {n[:12]!r}" for n in needles if n in blob]
    return found


@pytest.mark.asyncio
async def test_canary_token_never_written_anywhere(
    settings_path: Path, log_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    token = f"PLIVO-CANARY-{uuid.uuid4()}"
    basic = base64.b64encode(f"{AUTH_ID}:{token}".encode()).decode()
    store = KeyringCredentialStore(service=f"stream-console-canary-{uuid.uuid4().hex[:6]}")
    console = make_console(settings_path, log_dir, store)
    runner = asyncio.ensure_future(console.run())
    await wait_for(console.window.isVisible)
    try:
        dialog = console.accounts.open_dialog(new=True)
        for name, text in (("display_name", "Canary"), ("auth_id", AUTH_ID), ("auth_token", token)):
            type_text(dialog.findChild(QLineEdit, name), text)
        dialog.findChild(QPushButton, "save_account").click()
        await wait_for(lambda: console.profiles.list(), what="saved")
        secret = await console.credentials.get(console.profiles.list()[0].profile_id)
        assert secret is not None and secret.reveal() == token
        REDACTOR.add_basic_auth(AUTH_ID, token)

        # Careless code paths: the token formatted into log records and errors by mistake.
        log = logging.getLogger("console.test")
        log.warning("token=%s secret=%r", token, secret)
        log.error("headers: Authorization: Basic %s", basic)
        try:
            raise RuntimeError(f"failed with {token}")
        except RuntimeError:
            log.exception("request failed")
        print(repr(secret), str(secret))
    finally:
        console.window.close()
        await runner
        await console.shutdown()
    for handler in logging.getLogger().handlers:
        handler.flush()

    out, err = capfd.readouterr()
    needles = [token.encode(), basic.encode()]
    assert token not in out + err and basic not in out + err
    assert "request failed" in (log_dir / LOG_FILE_NAME).read_text()
    assert _hits(tmp_path, needles) == []
    assert _hits(Path.home(), needles) == []
