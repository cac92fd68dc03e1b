"""The Team database dialog in a running console, as a team lead uses it: Test connection says in
plain words what happened (a dead port, a wrong password, a good database), Save keeps the
password in the real OS keyring (gnome-keyring via scripts/with-test-keyring.sh) and never in the
settings file or the log, and the status bar follows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from pathlib import Path

import keyring.errors
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest

from console.app.composition import ConsoleApp
from console.app.services.history import TeamHistory
from console.app.services.team import PASSWORD_KEY
from console.credentials import KeyringCredentialStore
from console.domain.team_db import REWRITES_WARNING
from console.ui.team_dialog import TeamDatabaseDialog
from tests.app.conftest import wait_for
from tests.net import free_port
from tests.pg.cluster import PgCluster
from tests.pg.logins import set_up_team

WRONG = "not-the-password-7c2e"


async def _verdict(dialog: TeamDatabaseDialog, url: str, password: str) -> str:
    dialog.url.setText(url)
    dialog.password.setText(password)
    await wait_for(dialog.test_button.isEnabled, what="test button usable")
    QTest.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    await wait_for(
        lambda: dialog.verdict.text() not in ("", "Testing…"), timeout=20, what="verdict"
    )
    return dialog.verdict.text()


@pytest.mark.timeout(120)
@pytest.mark.asyncio
async def test_dialog_tests_in_plain_words_and_keeps_the_password_in_the_keyring(
    tmp_path: Path,
    pg_cluster: PgCluster,
    pg_db: str,
    pg_url: str,
    pg_password: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if os.environ.get("STREAM_CONSOLE_TEST_KEYRING") != "1":
        pytest.fail("run through scripts/with-test-keyring.sh for a real keyring")
    caplog.set_level(logging.DEBUG)
    service = f"stream-console-test-{uuid.uuid4().hex[:8]}"
    keyring_store = KeyringCredentialStore(service=service)
    settings_file = tmp_path / "settings.ini"
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    console = ConsoleApp(settings, keyring_store=keyring_store, data_dir=tmp_path / "data")
    runner = asyncio.ensure_future(console.run())
    try:
        await wait_for(console.window.isVisible, what="window")
        indicator = console.window.team_status
        assert indicator.text() == "Team database: off"
        # Both settings dialogs of the callbacks sit together in the Account menu.
        receiver_action = console.window.findChild(QAction, "receiver_settings_action")
        assert receiver_action is not None
        receiver_action.trigger()
        assert console.receiver.dialog is not None and console.receiver.dialog.isVisible()
        console.receiver.dialog.close()
        action = console.window.findChild(QAction, "team_database_action")
        assert action is not None
        action.trigger()
        dialog = console.team.dialog
        assert dialog is not None and dialog.isVisible()
        assert dialog.off.isChecked()

        dead = f"postgresql://stream@127.0.0.1:{free_port()}/console"
        verdicts = [await _verdict(dialog, dead, pg_password)]
        assert verdicts[-1].startswith("Nothing answers at stream@127.0.0.1:")
        verdicts.append(await _verdict(dialog, pg_url, WRONG))
        assert "refused the user name or password" in verdicts[-1]
        verdicts.append(await _verdict(dialog, pg_url, pg_password))
        assert verdicts[-1].startswith("Connected: stream@127.0.0.1:")
        assert verdicts[-1].endswith(
            "no Stream Console tables yet; they are created when team mode is turned on. "
            + REWRITES_WARNING
        )  # the cluster's superuser: it would own, so could rewrite, the team's history
        assert pg_cluster.tables(pg_db) == set()  # trying the database did not change it
        assert not any(pg_password in v or WRONG in v for v in verdicts)

        QTest.mouseClick(dialog.on, Qt.MouseButton.LeftButton)
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: console.team.log is not None, timeout=20, what="team db open")
        await wait_for(
            lambda: indicator.text() == "Team database: connected", what="status bar connected"
        )
        history = console.streams.activity  # the history is the team's
        assert isinstance(history, TeamHistory) and history.team is console.team.activity
        assert console.events.reader is console.team.log  # and so is the event pane

        # The password is in the OS keyring, under the console's service...
        assert "SecretService" in type(keyring_store.backend).__name__ + str(
            type(keyring_store.backend).__module__
        )
        assert keyring_store.backend.get_password(service, PASSWORD_KEY) == pg_password
        # ...and nowhere in the settings file or the log.
        settings.sync()
        on_disk = settings_file.read_text(encoding="utf-8")
        assert pg_url in on_disk and pg_password not in on_disk and WRONG not in on_disk
        assert pg_password not in caplog.text and WRONG not in caplog.text

        # Reopened from the status bar: the password is not shown back, only that one is kept.
        dialog.close()
        QTest.mouseClick(indicator, Qt.MouseButton.LeftButton)
        assert dialog.isVisible()
        await wait_for(
            lambda: "saved in the keyring" in dialog.password.placeholderText(), what="kept"
        )
        assert dialog.password.text() == "" and dialog.on.isChecked()
        # Tried again with the kept password: the tables are there now, and empty.
        assert (await _verdict(dialog, pg_url, "")).endswith(
            "answered and holds 0 callbacks. " + REWRITES_WARNING
        )
        # An agent's login (docs/team-mode.md, Roles) may not: no warning.
        team = await set_up_team(pg_cluster, pg_db)
        agent_url, agent_password = team.url(team.agent), team.passwords[team.agent]
        as_agent = await _verdict(dialog, agent_url, agent_password)
        assert as_agent.endswith("answered and holds 0 callbacks.") and "rewrite" not in as_agent
        assert agent_password not in as_agent
        dialog.url.setText(pg_url)
        dialog.password.clear()  # Save keeps the stored password
        # Off: back to this computer's files.
        QTest.mouseClick(dialog.off, Qt.MouseButton.LeftButton)
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: indicator.text() == "Team database: off", what="off again")
        assert console.team.log is None and console.streams.activity is console.activity_log
        dialog.close()
    finally:
        console.window.close()
        await runner
        await console.shutdown()
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring_store.backend.delete_password(service, PASSWORD_KEY)
