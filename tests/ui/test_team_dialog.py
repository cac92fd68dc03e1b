"""The Team database dialog on its own, driven as an agent would: the address is checked as it
is typed (no password inside it, a postgresql:// address), Off/On, and what Save and Test emit."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from console.domain.team_db import describe_team_url, team_url_problem
from console.ui.team_dialog import TeamDatabaseDialog


def _dialog(qtbot: QtBot) -> TeamDatabaseDialog:
    dialog = TeamDatabaseDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_address_rules() -> None:
    assert team_url_problem("") is None
    assert team_url_problem("postgresql://agent@db.example.com:5432/console") is None
    assert team_url_problem("postgres://db/console") is None
    assert "Password field" in (team_url_problem("postgresql://agent:s3cret@db/console") or "")
    assert "postgresql://" in (team_url_problem("https://db.example.com") or "")
    assert "port" in (team_url_problem("postgresql://db:99999/x") or "")
    assert "spaces" in (team_url_problem("postgresql://db/con sole") or "")
    assert describe_team_url("postgresql://agent@db.example.com:5432/console") == (
        "agent@db.example.com:5432/console"
    )


def test_typing_an_address_with_a_password_blocks_save(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    saved: list[tuple[bool, str, str]] = []
    dialog.save_requested.connect(lambda *args: saved.append(args))
    QTest.mouseClick(dialog.on, Qt.MouseButton.LeftButton)
    assert not dialog.save_button.isEnabled()  # On without an address
    assert "address" in dialog.error.text()
    QTest.keyClicks(dialog.url, "postgresql://agent:hunter22@db.example.com/console")
    assert not dialog.save_button.isEnabled()
    assert not dialog.test_button.isEnabled()
    assert "Password field" in dialog.error.text()
    dialog.url.clear()
    QTest.keyClicks(dialog.url, "postgresql://agent@db.example.com/console")
    QTest.keyClicks(dialog.password, "hunter22")
    assert dialog.password.echoMode() == dialog.password.EchoMode.Password
    assert dialog.error.text() == ""
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert saved == [(True, "postgresql://agent@db.example.com/console", "hunter22")]


def test_test_button_emits_the_typed_settings_and_shows_the_verdict_as_text(
    qtbot: QtBot,
) -> None:
    dialog = _dialog(qtbot)
    tested: list[tuple[str, str]] = []
    dialog.test_requested.connect(lambda *args: tested.append(args))
    assert not dialog.test_button.isEnabled()  # nothing to test yet
    QTest.keyClicks(dialog.url, "postgresql://agent@127.0.0.1:1/console")
    QTest.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert tested == [("postgresql://agent@127.0.0.1:1/console", "")]
    assert dialog.verdict.text() == "Testing…" and not dialog.test_button.isEnabled()
    dialog.set_testing(False)
    dialog.show_verdict("<b>not bold</b>")
    assert dialog.verdict.textFormat() == Qt.TextFormat.PlainText
    assert dialog.verdict.text() == "<b>not bold</b>"


def test_settings_shown_and_off_needs_no_address(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    dialog.set_settings(True, "postgresql://agent@db/console")
    assert dialog.on.isChecked() and dialog.url.text() == "postgresql://agent@db/console"
    dialog.set_password_stored(True)
    assert "saved in the keyring" in dialog.password.placeholderText()
    QTest.mouseClick(dialog.off, Qt.MouseButton.LeftButton)
    dialog.url.clear()
    assert dialog.save_button.isEnabled()
