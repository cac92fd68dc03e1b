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

from console.app.runtime.logs import LOG_FILE_NAME
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
        # Save asks Plivo first (the token goes through the HTTP path too); offline or refused,
        # the dialog offers Save anyway.
        anyway = dialog.findChild(QPushButton, "save_anyway")
        await wait_for(lambda: anyway.isVisible(), timeout=20, what="verdict")
        anyway.click()
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


@pytest.mark.asyncio
async def test_canary_token_used_against_the_api_leaves_no_trace(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The whole path: keyring -> token source -> HTTP Basic -> refreshes, a started stream, a
    refused request (401 after the token is changed) -> log, settings, activity database."""
    from PySide6.QtCore import QSettings

    from console.app.composition import ConsoleApp
    from console.domain.accounts import Profile
    from console.domain.secret import Secret
    from console.domain.stream_request import StreamRequest
    from console.simulator import Simulator, SimulatorConfig

    token = f"PLIVO-CANARY-{uuid.uuid4()}"
    basic = base64.b64encode(f"{AUTH_ID}:{token}".encode()).decode()
    sim = Simulator(SimulatorConfig(auth_id=AUTH_ID, auth_token=token, calls=3, seed=1,
                                    churn=False, media=False, access_log=True))  # fmt: skip
    await sim.start("127.0.0.1", 0)
    from console.app.runtime.logs import configure_logging

    log_dir = tmp_path / "logs"
    configure_logging(log_dir, level=logging.DEBUG)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store = KeyringCredentialStore(service=f"stream-console-canary-{uuid.uuid4().hex[:6]}")
    console = ConsoleApp(settings, keyring_store=store, data_dir=tmp_path / "data",
                         log_dir=log_dir, refresh_interval_s=0.2)  # fmt: skip
    profile = console.profiles.save(Profile("", "Canary", AUTH_ID, api_base_url=sim.base_url))
    console.profiles.set_current(profile.profile_id)
    await store.set(profile.profile_id, Secret(token))
    runner = asyncio.ensure_future(console.run())
    try:
        await wait_for(lambda: console.region.calls.model.rowCount() == 3, what="calls")
        call = sim.live_call_uuids()[0]
        await console.streams.start(call, StreamRequest("wss://canary.example.com/s"))
        assert len(sim.streams_of(call)) == 1
        await store.set(profile.profile_id, Secret(token + "-changed"))
        await console.activate(profile.profile_id)  # a fresh client reads the new token
        await wait_for(lambda: "auth" in console.window.banners.active_keys(), what="401")
    finally:
        console.window.close()
        await runner
        await console.shutdown()
        await sim.stop()
        await store.delete(profile.profile_id)
    for handler in logging.getLogger().handlers:
        handler.flush()
    out, err = capfd.readouterr()
    assert token not in out + err and basic not in out + err
    assert (log_dir / LOG_FILE_NAME).stat().st_size > 0
    assert (tmp_path / "data" / "stream-console.sqlite3").exists()
    needles = [token.encode(), basic.encode()]
    assert _hits(tmp_path, needles) == []
    assert _hits(Path.home(), needles) == []
