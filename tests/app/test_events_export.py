"""Export from the event pane, as an agent does it: menu, file dialog, file on disk. The events
come from the real SQLite event log; the files are read back and compared row by row."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QLineEdit
from pytestqt.qtbot import QtBot

from console.app.controllers.events import CallbackTarget, EventsController
from console.app.runtime.tasks import TaskRunner
from console.store.event_log import EventLog
from console.ui.dialogs import Dialogs
from console.ui.events_pane import EventsPane
from tests.app.conftest import wait_for
from tests.ui.events_support import append_all, make_event, open_log


async def no_target() -> CallbackTarget | str:
    return "not used here"


class Rig:
    def __init__(self, pane: EventsPane, log: EventLog, controller: EventsController) -> None:
        self.pane, self.log, self.controller = pane, log, controller

    async def export_via_menu(self, action: str, target: Path) -> None:
        """Pick the export action, type the file name into the dialog, press Save."""
        self.pane.export_menu.findChild(QAction, action).trigger()
        await wait_for(
            lambda: any(d.isVisible() for d in self.pane.findChildren(QFileDialog)),
            what="file dialog",
        )
        dialog = next(d for d in self.pane.findChildren(QFileDialog) if d.isVisible())
        name = dialog.findChild(QLineEdit, "fileNameEdit")  # the dialog's "File name" box
        name.setText(str(target))
        dialog.accept()
        await wait_for(lambda: "Exported" in self.pane.status.text(), timeout=10, what="exported")


@pytest_asyncio.fixture
async def rig(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[Rig]:
    log = await open_log(tmp_path / "events.sqlite3")
    events = []
    for i in range(30):
        kind = ("StartStream", "DegradedStream", "DroppedStream")[i % 3]
        extra = {"BufferUsage": "90"} if kind == "DegradedStream" else {}
        if kind == "DroppedStream":
            extra = {"Error": f'=HYPERLINK("http://evil/{i}")'}
        call = "@SUM(A1)" if kind == "DroppedStream" else f"call-{i % 2}"
        events.append(make_event(kind, call_uuid=call, stream_id=f"s-{i}", extra=extra))
    await append_all(log, events)
    pane = EventsPane()
    qtbot.addWidget(pane)
    pane.resize(1000, 400)
    pane.show()
    tasks = TaskRunner(on_error=lambda name, exc: pytest.fail(f"{name}: {exc!r}"))
    controller = EventsController(pane, tasks, Dialogs(pane), no_target)
    controller.bind(log, None)
    await wait_for(lambda: pane.model.rowCount() == 30 and not pane.model.loading)
    yield Rig(pane, log, controller)
    await tasks.cancel_all()
    await log.close()


@pytest.mark.asyncio
async def test_export_all_matching_as_jsonl(rig: Rig, tmp_path: Path) -> None:
    rig.pane.view_kind.setCurrentIndex(rig.pane.view_kind.findText("DroppedStream"))
    await wait_for(lambda: rig.pane.model.rowCount() == 10 and not rig.pane.model.loading)
    target = tmp_path / "dropped.jsonl"
    await rig.export_via_menu("export_all_jsonl", target)
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    # Every matching event, not only the rows loaded, oldest first (as `stream-console export`).
    assert [r["stream_id"] for r in records] == [f"s-{i}" for i in range(30) if i % 3 == 2]
    first = records[0]
    assert first["event"] == "DroppedStream" and first["verdict"] == "accepted"
    assert first["params"]["Error"] == '=HYPERLINK("http://evil/2")'  # verbatim in JSON Lines
    assert first["call_uuid"] == "@SUM(A1)"
    assert first["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert rig.pane.status.text() == f"Exported 10 events to {target}."
    assert not target.with_name("dropped.jsonl.part").exists()


@pytest.mark.asyncio
async def test_export_selection_as_csv(qtbot: QtBot, rig: Rig, tmp_path: Path) -> None:
    table = rig.pane.table
    selection = table.selectionModel()
    for row in (0, 1, 3):
        selection.select(
            table.model().index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    wanted = sorted((rig.pane.model.event_at(r) for r in (0, 1, 3)), key=lambda e: e.id)
    target = tmp_path / "picked.csv"
    await rig.export_via_menu("export_selection_csv", target)
    with target.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == [str(e.id) for e in wanted]
    assert [r["StreamID"] for r in rows] == [e.stream_id for e in wanted]
    dropped = next(r for r in rows if r["Event"] == "DroppedStream")
    assert dropped["Error"].startswith("'=HYPERLINK")  # never a formula in a spreadsheet
    assert dropped["CallUUID"] == "'@SUM(A1)"
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    assert {"BufferUsage", "Error", "Event", "CallUUID", "verdict", "url"} <= set(rows[0])


@pytest.mark.asyncio
async def test_export_selection_with_nothing_selected_says_so(qtbot: QtBot, rig: Rig) -> None:
    await rig.controller.export("selection", "csv")
    assert rig.pane.status.text().startswith("Select the events to export first")
    assert not rig.pane.findChildren(QFileDialog)


@pytest.mark.asyncio
async def test_export_to_an_unwritable_place_says_so(rig: Rig, tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "x.jsonl"
    assert await rig.controller.export("all", "jsonl", target) is None
    assert rig.pane.status.text().startswith(f"Could not write {target}")
    assert Qt.TextFormat.PlainText == rig.pane.status.textFormat()
