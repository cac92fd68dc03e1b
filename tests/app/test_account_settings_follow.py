"""A public URL saved in the Receiver dialog takes effect everywhere at once: the stream form's
callback toggle, the monitor switch (enabled, its tooltip naming the new address) and Send test
callback (posting to the new address, so its signature verifies). Quick tunnels change address
on every start; a part left on the old one would send the agent hunting a token problem.

A real account (not the demo) whose API is a simulator started as its own process; the tunnel
is stood in for by the receiver's own loopback address under two spellings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from console.app.composition import ConsoleApp
from tests.app.conftest import wait_for
from tests.app.sim_process import real_account_console, simulator_process
from tests.app.test_receiver_service import _close, _start

AUTH_ID = "MAFOLLOWSETTINGS0001"
TOKEN = "follow-settings-token-0123456789abcd"


@pytest.fixture
def sim_base() -> Iterator[str]:
    with simulator_process(AUTH_ID, TOKEN, calls=2) as base:
        yield base


async def _save_public_url(console: ConsoleApp, url: str) -> None:
    """What the agent does: Receiver… in the status bar, type the tunnel's address, Save."""
    dialog = console.receiver.open_dialog()
    dialog.public_url.clear()
    QTest.keyClicks(dialog.public_url, url)
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: console.active.profile is not None
                   and console.active.profile.public_url == url, what="saved")  # fmt: skip
    dialog.close()


async def _send_test(console: ConsoleApp) -> str:
    pane = console.events_pane
    pane.clear_test_result()
    QTest.mouseClick(pane.send_test, Qt.MouseButton.LeftButton)
    await wait_for(lambda: pane.test_result.text() != "" and pane.send_test.isEnabled(),
                   timeout=20, what="the test's verdict")  # fmt: skip
    return pane.test_result.text()


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_a_saved_public_url_reaches_monitor_form_and_test_callback_at_once(
    tmp_path: Path, sim_base: str
) -> None:
    console = await real_account_console(tmp_path, "Own", AUTH_ID, TOKEN, sim_base)
    runner = await _start(console)
    try:
        toggle = console.monitor.toggle
        await wait_for(lambda: console.receiver.receiver is not None, what="receiver listening")
        assert console.receiver.receiver is not None
        port = console.receiver.receiver.local_url.rsplit(":", 1)[1]
        assert not toggle.isEnabled()
        assert "set it under Receiver" in toggle.toolTip()
        assert "no public URL" in await _send_test(console)

        first = f"http://localhost:{port}"
        await _save_public_url(console, first)
        await wait_for(toggle.isEnabled, what="the monitor follows the new URL")
        assert f"ws://localhost:{port}/plivo/stream-monitor?key=" in toggle.toolTip()
        verdict = await _send_test(console)
        assert verdict.startswith("OK: the test event arrived"), verdict
        calls = console.region.calls
        await wait_for(lambda: calls.model.rowCount() >= 1, timeout=15, what="calls listed")
        await wait_for(lambda: calls.select_call(calls.model.uuids[0]), what="call selected")
        form = console.pane.form
        box = form.callbacks_to_console  # its indicator: the row is wider than its text
        QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
        assert form.status_callback_url.text() == f"{first}/plivo/stream-status"

        # The tunnel restarted under another address: everything follows, nothing stays behind.
        second = f"http://127.0.0.1:{port}"
        await _save_public_url(console, second)
        await wait_for(lambda: f"ws://127.0.0.1:{port}/plivo/stream-monitor" in toggle.toolTip(),
                       what="the monitor's tooltip names the new address")  # fmt: skip
        assert "localhost" not in toggle.toolTip()
        assert form.status_callback_url.text() == f"{second}/plivo/stream-status"
        verdict = await _send_test(console)
        assert verdict.startswith("OK: the test event arrived"), verdict
    finally:
        await _close(console, runner)
