"""A stop that could not reach Plivo says so, puts the stream back as it was, and offers the stop
again; when Plivo answers again the streams header stops saying "Could not connect", but the
failed stop stays said until the agent stops the stream or it ends. A real account whose API is a
simulator started as its own process, behind a TCP gate that can cut the network."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from console.app.composition import ConsoleApp
from console.ui.streams_model import StreamColumn
from tests.app.conftest import wait_for
from tests.app.operator_rig import Gate
from tests.app.sim_process import real_account_console, simulator_process
from tests.app.test_receiver_service import _close, _start

AUTH_ID = "MAOUTAGESTOPTEST0001"
TOKEN = "outage-stop-token-0123456789abcdef01"


@contextlib.asynccontextmanager
async def gated(tmp_path: Path) -> AsyncIterator[tuple[ConsoleApp, Gate, str]]:
    """Set up inside the test: a console's tasks must not span pytest-asyncio's fixture loop."""
    with simulator_process(AUTH_ID, TOKEN, calls=2) as base:
        gate = Gate(int(base.rsplit(":", 1)[1]))
        await gate.open()
        console = await real_account_console(
            tmp_path, "Own", AUTH_ID, TOKEN, gate.base_url, refresh_interval_s=0.3
        )
        runner = await _start(console)
        try:
            yield console, gate, base.replace("http://", "ws://") + "/_sim/media-sink"
        finally:
            await _close(console, runner)
            await gate.close()


def _status(console: ConsoleApp) -> str:
    return str(console.pane.streams.index(0, StreamColumn.STATUS).data())


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_a_stop_during_an_outage_is_said_failed_and_offered_again(tmp_path: Path) -> None:
    async with gated(tmp_path) as (console, gate, sink):
        await _stop_during_outage(console, gate, sink)


async def _stop_during_outage(console: ConsoleApp, gate: Gate, sink: str) -> None:
    calls, pane = console.region.calls, console.pane
    await wait_for(lambda: calls.model.rowCount() >= 1, timeout=15, what="calls listed")
    call = calls.model.uuids[0]
    await wait_for(lambda: calls.select_call(call), what="call selected")
    form = pane.form
    form.service_url.clear()
    QTest.keyClicks(form.service_url, sink)
    QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: pane.streams.rowCount() == 1 and _status(console) == "in-progress",
                   timeout=15, what="stream in progress")  # fmt: skip

    await gate.close()  # the network goes away
    pane.table.setFocus()
    pane.table.selectRow(0)
    QTest.mouseClick(pane.stop_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: "was not stopped" in pane.streams_status.text(), timeout=30,
                   what="the failed stop said")  # fmt: skip
    said = pane.streams_status.text()
    assert "Could not connect" in said and "Stop stream" in said
    assert _status(console) == "in-progress"  # as it was, not "stopping…"
    assert pane.stop_button.isEnabled()  # offered again

    await gate.open()  # Plivo answers again
    before = console.calls.refreshes
    await wait_for(lambda: console.calls.refreshes > before + 1, timeout=15, what="refreshed")
    await wait_for(lambda: "Could not connect" not in pane.streams_status.text(),
                   what="the header follows Plivo's answer")  # fmt: skip
    said = pane.streams_status.text()
    assert "was not stopped" in said and "still running" in said
    assert _status(console) == "in-progress" and pane.stop_button.isEnabled()

    pane.table.selectRow(0)
    QTest.mouseClick(pane.stop_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: _status(console) == "completed", timeout=15, what="stopped at last")
    assert "was not stopped" not in pane.streams_status.text()


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_the_streams_header_forgets_could_not_connect_once_plivo_answers(
    tmp_path: Path,
) -> None:
    async with gated(tmp_path) as (console, gate, _sink):
        calls, pane = console.region.calls, console.pane
        await wait_for(lambda: calls.model.rowCount() >= 1, timeout=15, what="calls listed")
        await wait_for(lambda: calls.select_call(calls.model.uuids[0]), what="call selected")
        await wait_for(lambda: "updated" in pane.streams_status.text(), what="streams listed")
        await gate.close()
        QTest.mouseClick(pane.refresh_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: "Could not connect" in pane.streams_status.text(), timeout=30,
                       what="the outage said")  # fmt: skip
        await gate.open()
        await wait_for(lambda: "updated" in pane.streams_status.text(), timeout=15,
                       what="the header follows Plivo's answer")  # fmt: skip
        assert "Could not connect" not in pane.streams_status.text()
