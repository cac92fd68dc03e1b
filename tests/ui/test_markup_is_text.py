"""Markup from outside is shown literally on every path that shows outside text: what the agent
reads is exactly the caller name, Plivo's error text or the stream field, never a rendered image,
link or big red fake alert. Driven with hypothesis through the real widgets."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from console.domain.accounts import Profile
from console.domain.activity import Action, ActivityEntry, Outcome
from console.domain.calls import LiveCall
from console.domain.streams import Stream, StreamStarted
from console.ui.account_dialog import AccountDialog
from console.ui.activity_dialog import ActivityDialog
from console.ui.banners import BannerBar, Level
from console.ui.call_pane import CallPane
from console.ui.calls_region import CallsRegion
from console.ui.plain_text import rendered_tooltip, tooltip_text
from console.ui.status_indicator import Health, StatusIndicator
from console.ui.team_dialog import TeamDatabaseDialog

TAGS = [
    "<img src=file:///etc/passwd>",
    '<span style="font-size:28px;color:red">URGENT: read your token aloud</span>',
    "<a href='https://evil.example/'>click</a>",
    "<b>",
    "</b>",
    "<br>",
    "<qt>",
    "<table><tr><td>",
    "<!--",
    "&amp;",
    "&lt;b&gt;",
    "&#60;",
    "<p style='white-space:pre'>",
    "<script>alert(1)</script>",
]
_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))
_PIECES = st.lists(
    st.one_of(st.sampled_from(TAGS), st.text(_CHARS, max_size=12), st.sampled_from([" ", "\n"])),
    max_size=5,
).map("".join)
HOSTILE = st.tuples(_PIECES, st.sampled_from(TAGS), _PIECES).map("".join)  # always some markup
FUZZ = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
CALL = "5b4c3d2e-8a1b-4c3d-9e0f-123456789abc"


def assert_literal(label: QLabel, text: str) -> None:
    assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    assert label.text() == text


def assert_literal_tooltip(tooltip: object, text: str) -> None:
    assert isinstance(tooltip, str)
    assert rendered_tooltip(tooltip) == text


@FUZZ
@given(text=HOSTILE)
def test_tooltip_text_renders_the_literal(text: str) -> None:
    assert rendered_tooltip(tooltip_text(text)) == text


def test_tooltip_of_ordinary_text_is_unchanged() -> None:
    assert tooltip_text("Plivo is not answering (502).") == "Plivo is not answering (502)."
    assert tooltip_text("a < b") == "a < b"


def test_calls_list_and_call_pane(qtbot: QtBot) -> None:
    region = CallsRegion()
    pane = CallPane()
    qtbot.addWidget(region)
    qtbot.addWidget(pane)
    region.show_calls()
    view = region.calls

    @FUZZ
    @given(caller=HOSTILE, number=HOSTILE)
    def check(caller: str, number: str) -> None:
        call = LiveCall(CALL, from_number=number, to_number="+14155550100", caller_name=caller)
        view.model.apply([call])
        shown = {
            view.model.data(view.model.index(0, col)) for col in range(view.model.columnCount())
        }
        assert {caller, number} <= shown
        for col in range(view.model.columnCount()):
            index = view.model.index(0, col)
            assert_literal_tooltip(
                view.model.data(index, Qt.ItemDataRole.ToolTipRole),
                str(view.model.data(index)),
            )
        pane.show_call(call)
        assert_literal(pane.title, f"{number}  →  +14155550100")
        assert pane.meta.textFormat() == Qt.TextFormat.PlainText
        assert f"caller: {caller}" in pane.meta.text()

    check()


def test_stream_result_streams_table_and_status(qtbot: QtBot) -> None:
    pane = CallPane()
    qtbot.addWidget(pane)
    pane.show_call(LiveCall(CALL, from_number="+1", to_number="+2"))

    @FUZZ
    @given(text=HOSTILE)
    def check(text: str) -> None:
        refusal = f'Plivo refused the request. Plivo said: "{text}".'
        pane.form.show_error(refusal, text)
        assert_literal(pane.form.result.headline, refusal)
        shown = pane.form.result.detail.document().toRawText()  # keeps no-break spaces
        assert shown.replace("\u2029", "\n") == text
        pane.form.show_started(StreamStarted(stream_id=text, api_id=text, message=text))
        assert pane.form.result.stream_id.field.text() == text
        assert pane.form.result.headline.textFormat() == Qt.TextFormat.PlainText
        pane.set_streams_status(text, error=True)
        assert_literal(pane.streams_status, text)
        pane.streams.set_streams(
            [Stream(stream_id="s-1", call_uuid=CALL, service_url=text, status=text)]
        )
        texts = []
        for col in range(pane.streams.columnCount()):
            index = pane.streams.index(0, col, QModelIndex())
            shown = str(pane.streams.data(index))
            texts.append(shown)
            assert_literal_tooltip(pane.streams.data(index, Qt.ItemDataRole.ToolTipRole), shown)
        assert text in texts

    check()


def test_banners_and_status_bar_items(qtbot: QtBot) -> None:
    bar = BannerBar()
    qtbot.addWidget(bar)
    indicator = StatusIndicator("api_status", "API")
    qtbot.addWidget(indicator)

    @FUZZ
    @given(text=HOSTILE, detail=HOSTILE)
    def check(text: str, detail: str) -> None:
        bar.dismiss("api")
        banner = bar.show_banner("api", Level.WARNING, text, detail)
        assert_literal(banner.text, text)
        assert_literal(banner.detail, detail)
        indicator.set_state(Health.ERROR, text, detail)
        assert_literal(indicator.label, f"API: {text}")
        assert_literal_tooltip(indicator.toolTip(), detail)

    check()


def test_activity_history_and_account_dialog(qtbot: QtBot) -> None:
    activity = ActivityDialog()
    accounts = AccountDialog()
    qtbot.addWidget(activity)
    qtbot.addWidget(accounts)

    @FUZZ
    @given(text=HOSTILE)
    def check(text: str) -> None:
        entry = ActivityEntry(
            at=time.time(), user=text, account=text, action=Action.START_STREAM,
            call_uuid=CALL, outcome=Outcome.FAILED, service_url=text, detail=text,
            host=text, console_version=text,
        )  # fmt: skip
        activity.set_entries([entry])
        cells = [activity.table.item(0, c) for c in range(activity.table.columnCount())]
        assert text in [c.text() for c in cells if c is not None]
        for cell in cells:
            if cell is not None:  # a tooltip is the cell's text, some with more after it
                assert rendered_tooltip(cell.toolTip()).startswith(cell.text())
        assert activity.summary.textFormat() == Qt.TextFormat.PlainText
        profile = Profile("p1", text, "MAAAAAAAAAAAAAAAAAAA", "https://api.plivo.com")
        accounts.set_profiles([profile], select="p1")
        item = accounts.profiles_list.item(0)
        assert item is not None and item.text().startswith(text)
        assert accounts.display_name.text() == text
        accounts.show_message(text, error=True)
        assert_literal(accounts.message, text)

    check()


def test_team_database_dialog(qtbot: QtBot) -> None:
    dialog = TeamDatabaseDialog()
    qtbot.addWidget(dialog)

    @FUZZ
    @given(text=HOSTILE)
    def check(text: str) -> None:
        dialog.set_status(text)
        assert_literal(dialog.status, text)
        dialog.show_verdict(text)
        assert_literal(dialog.verdict, text)
        dialog.show_error(text)
        assert_literal(dialog.error, text)

    check()
