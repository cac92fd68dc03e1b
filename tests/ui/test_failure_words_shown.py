"""A failure reason on screen: plain words first, the text as received one click away.

The start result and the event pane are driven as the agent does (a click on "Show technical
detail", a click on the event row); the same reason in the streams table, the banner, the history
and the timeline is covered end to end in tests/app/test_callback_reactions.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.store.event_log import EventLog
from console.ui.events_model import Column
from console.ui.events_pane import EventsPane
from console.ui.stream_result import FAILED_PREFIX, ResultKind, ResultRecord, StreamResultView
from tests.app.conftest import wait_for
from tests.ui.events_support import make_event, open_log
from tests.ui.test_events_pane import shown_pane

REASON = (
    "could not connect to service_url after 3 attempts (ClientConnectorDNSError: Cannot connect "
    "to host nonexistent.invalid:443 ssl:default [Name or service not known])"
)
PLAIN = "Plivo could not find the stream URL's host (nonexistent.invalid): check the URL"


def test_the_start_result_says_it_plainly_and_keeps_the_text_under_the_toggle(
    qtbot: QtBot,
) -> None:
    view = StreamResultView()
    qtbot.addWidget(view)
    view.resize(900, 200)
    view.show()
    view.show_record(ResultRecord(ResultKind.FAILED, FAILED_PREFIX + REASON, "sid-1", "api-1"))
    assert view.message == FAILED_PREFIX + PLAIN
    assert "ClientConnectorDNSError" not in view.headline.text()
    assert not view.detail.isVisible()  # collapsed until asked for
    assert view.detail_toggle.text() == "Show technical detail"
    qtbot.mouseClick(view.detail_toggle, Qt.MouseButton.LeftButton)
    assert view.detail.isVisible()
    assert view.detail.toPlainText() == f"Reason as Plivo sent it: {REASON}"
    assert view.detail_toggle.text() == "Hide technical detail"


def test_an_unknown_reason_stays_as_it_is(qtbot: QtBot) -> None:
    view = StreamResultView()
    qtbot.addWidget(view)
    view.show()
    view.show_record(ResultRecord(ResultKind.FAILED, FAILED_PREFIX + "dropped on demand"))
    assert view.message == FAILED_PREFIX + "dropped on demand"
    assert not view.detail_toggle.isVisible()  # nothing more to show


@pytest_asyncio.fixture
async def pane(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[EventsPane]:
    dropped = make_event("DroppedStream", stream_id="30ab-1", extra={"Error": REASON})
    log: EventLog = await open_log(tmp_path / "events.sqlite3", [dropped])
    widget = await shown_pane(qtbot, log, 1)
    yield widget
    await log.close()


@pytest.mark.asyncio
async def test_the_event_pane_says_it_plainly(qtbot: QtBot, pane: EventsPane) -> None:
    cell = pane.model.index(0, Column.DETAILS)
    assert cell.data() == PLAIN
    assert REASON in str(cell.data(Qt.ItemDataRole.ToolTipRole))
    rect = pane.table.visualRect(cell)
    qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    await wait_for(lambda: pane.details.shown_event is not None, what="details")
    text = pane.details.text.toPlainText()
    assert f"In plain words: {PLAIN}" in text
    assert f"Error = {REASON}" in text  # the parameter as received
