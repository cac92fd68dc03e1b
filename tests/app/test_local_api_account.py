"""A real account whose API base is on this computer (a standalone simulator, as the README
invites) may stream to this computer: the form's reachability rule follows where the API is,
and says so. The simulator runs as its own process, as a trainer or developer runs it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.app.conftest import wait_for
from tests.app.sim_process import real_account_console, simulator_process
from tests.app.test_receiver_service import _close, _start

AUTH_ID = "MALOCALAPIACCOUNT001"
TOKEN = "local-api-token-0123456789abcdef0123"


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_an_account_on_a_local_simulator_may_stream_to_this_computer(
    tmp_path: Path,
) -> None:
    with simulator_process(AUTH_ID, TOKEN) as base:
        console = await real_account_console(tmp_path, "Dev", AUTH_ID, TOKEN, base)
        runner = await _start(console)
        try:
            form = console.pane.form
            await wait_for(lambda: console.region.calls.model.rowCount() >= 3, timeout=15)
            call = console.region.calls.model.uuids[0]
            await wait_for(lambda: console.region.calls.select_call(call), what="call listed")
            port = base.rsplit(":", 1)[1]
            assert form.target_label.text() == (
                f"The account's API is on this computer (127.0.0.1:{port}): stream and "
                "callback addresses on this computer are allowed."
            )
            sink = base.replace("http://", "ws://") + "/_sim/media-sink"
            form.service_url.setFocus()
            QTest.keyClicks(form.service_url, sink)
            await wait_for(form.start_button.isEnabled, what="a loopback stream URL is fine")
            assert form.messages["service_url"].text() == ""
            QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
            pane = console.pane
            await wait_for(lambda: pane.streams.rowCount() == 1, timeout=15, what="started")
        finally:
            await _close(console, runner)


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_the_list_says_loading_until_the_first_answer_never_no_calls(
    tmp_path: Path,
) -> None:
    from console.simulator import Simulator, SimulatorConfig

    sim = Simulator(
        SimulatorConfig(auth_id=AUTH_ID, auth_token=TOKEN, calls=0, queued_calls=0,
                        churn=False, media=False)
    )  # fmt: skip
    await sim.start("127.0.0.1", 0)
    sim.faults.update({"latency_s": 1.5})  # a slow first answer, as on a far-away network
    console = await real_account_console(tmp_path, "Slow", AUTH_ID, TOKEN, sim.base_url)
    seen: list[str] = []
    runner = asyncio.ensure_future(console.run())  # its receiver starts after the first calls
    try:
        empty = console.region.calls.empty
        await wait_for(lambda: empty.title.text() == "Loading calls…", what="loading")
        while console.calls.refreshes == 0:  # every title shown until the first answer
            seen.append(empty.title.text())
            await asyncio.sleep(0.02)
        assert set(seen) == {"Loading calls…"}
        await wait_for(lambda: empty.title.text() == "No live calls right now", what="answered")
        assert "Slow has no calls in progress" in empty.message.text()
    finally:
        await _close(console, runner)
        await sim.stop()
