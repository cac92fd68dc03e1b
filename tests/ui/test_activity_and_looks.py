"""The activity history as an agent reads it (names, parties, the time zone, counts), and the
looks: status colours and disabled buttons legible in a dark palette (WCAG AA, computed from the
colours the widgets actually use), placeholders shown whole, the window title said once."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from console.domain.accounts import Profile
from console.domain.activity import Action, ActivityEntry, Outcome
from console.domain.calls import LiveCall
from console.ui.account_dialog import AccountDialog
from console.ui.activity_dialog import COLUMNS, RESULT_COLUMN, ActivityDialog, counted, time_header
from console.ui.banners import BannerBar, Level
from console.ui.call_pane import CallPane
from console.ui.palette import (
    AA_TEXT,
    accessible_palette,
    background_of,
    contrast,
    dark_reference,
)
from console.ui.status_indicator import Health, StatusIndicator

AUTH_ID = "MAZZZZZZZZZZZZZZZZZ9"
CALL = "0a1b2c3d-0000-4000-8000-00000000abcd"


def _entry(n: int, **changes: object) -> ActivityEntry:
    fields: dict[str, object] = dict(
        at=1_700_000_000.0 + n, user="agent", account=AUTH_ID, action=Action.START_STREAM,
        call_uuid=CALL, outcome=Outcome.OK, service_url="wss://a.example.com/s",
        stream_id=f"stream-{n}", account_name="Support EU", from_number="+14155550100",
        to_number="+442071838750",
    )  # fmt: skip
    fields.update(changes)
    return ActivityEntry(**fields)  # type: ignore[arg-type]


def _cells(dialog: ActivityDialog, row: int) -> dict[str, str]:
    return {
        COLUMNS[c]: (item.text() if (item := dialog.table.item(row, c)) is not None else "")
        for c in range(dialog.table.columnCount())
    }


def test_history_names_the_account_the_parties_and_the_zone(qtbot: QtBot) -> None:
    dialog = ActivityDialog()
    qtbot.addWidget(dialog)
    dialog.set_entries([_entry(1), _entry(0, account_name="", outcome=Outcome.FAILED)])
    first, older = _cells(dialog, 0), _cells(dialog, 1)
    assert first["Account"] == "Support EU"
    assert older["Account"] == AUTH_ID  # an entry from before names were kept: the whole Auth ID
    assert (first["From"], first["To"]) == ("+14155550100", "+442071838750")
    account = dialog.table.item(0, COLUMNS.index("Account"))
    assert account is not None and AUTH_ID in account.toolTip()
    header = dialog.table.horizontalHeaderItem(0)
    assert header is not None and header.text() == time_header()
    assert re.fullmatch(r"Time \((UTC|.*UTC[+-]\d\d:\d\d)\)", header.text())
    assert dialog.summary.text().startswith("2 most recent actions, newest first.")
    dialog.set_entries([_entry(2)])
    assert dialog.summary.text().startswith("1 most recent action, newest first.")
    dialog.set_entries([_entry(n) for n in range(3)], limit=3)
    assert "older ones are in the export" in dialog.summary.text()


def test_history_marks_the_users_the_team_database_recorded(qtbot: QtBot) -> None:
    """A team entry names the login that wrote it (set by the database), checked, with the OS
    user the console claimed beside it; an entry from this computer's own history is the OS user
    as reported, unchecked (docs/team-mode.md, Attribution)."""
    dialog = ActivityDialog()
    qtbot.addWidget(dialog)
    dialog.set_entries(
        [_entry(1, user="anna", os_user="asmith", team_login=True), _entry(0, user="ben")]
    )
    team, local = _cells(dialog, 0), _cells(dialog, 1)
    assert (team["User"], team["OS user"]) == ("anna", "asmith")
    assert (local["User"], local["OS user"]) == ("ben", "ben")
    column = COLUMNS.index("User")
    checked, claimed = dialog.table.item(0, column), dialog.table.item(1, column)
    assert checked is not None and claimed is not None
    assert not checked.icon().isNull() and claimed.icon().isNull()
    assert "login that wrote this entry" in checked.toolTip()
    assert "as the console reported it" in claimed.toolTip()
    assert dialog.summary.text().endswith("A checked user is the login the team database recorded.")
    dialog.set_entries([_entry(2, user="ben")])
    assert "checked" not in dialog.summary.text()


@pytest.fixture
def berlin() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_time_header_says_the_local_zone(berlin: None) -> None:
    winter, summer = 1_700_000_000.0, 1_720_000_000.0  # November 2023, July 2024
    assert time_header(winter) == "Time (CET, UTC+01:00)"
    assert time_header(summer) == "Time (CEST, UTC+02:00)"


def test_counts_read_the_same_everywhere() -> None:
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(0, "entry", "entries") == "0 entries"
    assert counted(1500, "entry", "entries") == "1,500 entries"


# --- contrast in a dark palette --------------------------------------------------------------


def _dark() -> QPalette:
    """A typical dark desktop palette (Fusion's dark scheme), with its own grey disabled text."""
    p = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#353535"),
        (QPalette.ColorRole.WindowText, "#ffffff"),
        (QPalette.ColorRole.Base, "#2a2a2a"),
        (QPalette.ColorRole.AlternateBase, "#424242"),
        (QPalette.ColorRole.Text, "#ffffff"),
        (QPalette.ColorRole.Button, "#353535"),
        (QPalette.ColorRole.ButtonText, "#ffffff"),
        (QPalette.ColorRole.PlaceholderText, "#6f6f6f"),
    ):
        p.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(disabled, role, QColor("#6f6f6f"))
    return p


@pytest.fixture(params=["fusion-dark", "reference-dark"])
def dark_app(qapp: QApplication, request: pytest.FixtureRequest) -> Iterator[QApplication]:
    """The console's palette fix applied (as at start) to a dark desktop palette."""
    before = QPalette(qapp.palette())
    dark = _dark() if request.param == "fusion-dark" else dark_reference()
    qapp.setPalette(accessible_palette(dark))
    yield qapp
    qapp.setPalette(before)


def _text_contrast(
    widget: QWidget, group: QPalette.ColorGroup = QPalette.ColorGroup.Active
) -> float:
    palette = widget.palette()
    return contrast(palette.color(group, widget.foregroundRole()), background_of(widget))


def test_the_dark_palettes_themselves_fail_without_the_fix() -> None:
    for dark in (_dark(), dark_reference()):
        disabled = dark.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
        assert contrast(disabled, dark.color(QPalette.ColorRole.Button)) < AA_TEXT


def test_warnings_errors_and_disabled_buttons_meet_wcag_aa_in_the_dark(
    dark_app: QApplication, qtbot: QtBot
) -> None:
    checked: dict[str, float] = {}

    bar = BannerBar()
    qtbot.addWidget(bar)
    for level in Level:
        banner = bar.show_banner(f"k-{level}", level, "Plivo is not answering.", "detail")
        checked[f"banner {level} icon"] = _text_contrast(banner.icon)
        checked[f"banner {level} text"] = _text_contrast(banner.text)
    indicator = StatusIndicator("api_status", "API")
    qtbot.addWidget(indicator)
    for health in Health:
        indicator.set_state(health, "x")
        checked[f"status {health} dot"] = _text_contrast(indicator.dot)
    button = QPushButton("Stop stream")
    qtbot.addWidget(button)
    button.setEnabled(False)
    checked["disabled button"] = contrast(
        button.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText),
        button.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button),
    )
    dialog = AccountDialog()
    qtbot.addWidget(dialog)
    dialog.show_verdict(False, "Plivo did not accept this Auth ID and Auth Token (401).")
    checked["account verdict"] = _text_contrast(dialog.message)
    QTest.keyClicks(dialog.auth_id, "MA12")
    checked["auth id error"] = _text_contrast(dialog.auth_id_error)

    pane = CallPane()
    qtbot.addWidget(pane)
    pane.show_call(LiveCall(CALL, from_number="+1", to_number="+2"))
    pane.set_streams_status("Plivo is not answering.", error=True)
    checked["streams status error"] = _text_contrast(pane.streams_status)
    pane.form.show_error("Plivo refused the request.")
    checked["start result error"] = _text_contrast(pane.form.result.headline)
    pane.form.service_url.setText("ws://stream.example.com/audio")  # a warning: not encrypted
    message = pane.form.messages["service_url"]
    assert "Warning:" in message.text()
    for colour in re.findall(r"color:(#[0-9a-fA-F]{6})", message.text()):
        checked[f"form warning {colour}"] = contrast(QColor(colour), background_of(message))
    checked["form hint"] = _text_contrast(pane.form.start_hint)

    activity = ActivityDialog()
    qtbot.addWidget(activity)
    activity.set_entries([_entry(1, outcome=Outcome.FAILED)])
    result = activity.table.item(0, RESULT_COLUMN)
    assert result is not None
    checked["history failed result"] = contrast(
        result.foreground().color(), activity.table.palette().color(QPalette.ColorRole.Base)
    )

    low = {name: round(ratio, 2) for name, ratio in checked.items() if ratio < AA_TEXT}
    assert low == {}
    assert len(checked) >= 19


# --- text that fits ---------------------------------------------------------------------------


def test_account_dialog_placeholders_are_not_cut_off(qtbot: QtBot) -> None:
    dialog = AccountDialog()
    qtbot.addWidget(dialog)
    dialog.set_profiles([Profile("p1", "Support EU", AUTH_ID)], select="p1")  # longest hint
    dialog.show()
    qtbot.waitExposed(dialog)
    edits = [e for e in dialog.findChildren(QLineEdit) if e.placeholderText()]
    assert {e.objectName() for e in edits} >= {"display_name", "auth_token"}
    for edit in edits:
        needed = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
        assert needed <= edit.width() - 8, (edit.objectName(), needed, edit.width())


def test_call_pane_placeholders_are_not_cut_off(qtbot: QtBot) -> None:
    """At the width the main window gives the call pane by default (640 px)."""
    pane = CallPane()
    qtbot.addWidget(pane)
    pane.show_call(LiveCall(CALL, from_number="+1", to_number="+2"))
    pane.resize(640, 800)
    pane.show()
    qtbot.waitExposed(pane)
    qtbot.mouseClick(pane.form.more_toggle, Qt.MouseButton.LeftButton)  # the timeout is in there
    edits = [e for e in pane.findChildren(QLineEdit) if e.placeholderText() and e.isVisible()]
    assert {e.objectName() for e in edits} >= {"stream_timeout", "service_url"}
    for edit in edits:
        needed = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
        assert needed <= edit.width() - 8, (edit.objectName(), needed, edit.width())


def test_window_title_names_the_console_once(qapp: QApplication) -> None:
    from console.app.shell import build_main_window

    before = qapp.applicationDisplayName()
    qapp.setApplicationDisplayName("Stream Console")
    try:
        for demo in (False, True):
            window = build_main_window(demo=demo)
            title = window.windowTitle()
            # Qt shows "<title> — <application display name>" unless the two are the same.
            shown = title if title == "Stream Console" else f"{title} — Stream Console"
            assert shown.count("Stream Console") == 1, shown
            window.deleteLater()
    finally:
        qapp.setApplicationDisplayName(before)


def test_labels_in_the_looks_checks_are_plain(qtbot: QtBot) -> None:
    """The activity summary and the account reason line are plain text like every label."""
    activity, accounts = ActivityDialog(), AccountDialog()
    qtbot.addWidget(activity)
    qtbot.addWidget(accounts)
    for label in (*activity.findChildren(QLabel), *accounts.findChildren(QLabel)):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
