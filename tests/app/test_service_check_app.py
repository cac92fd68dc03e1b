"""Check service from the stream form, as an agent does it in the demo: the button next to the
Stream URL (mouse) and Ctrl+Shift+K (keyboard), the demo's good and broken example URLs, the
report in a dialog while the window stays live."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.app.conftest import wait_for
from tests.app.test_receiver_service import demo_console


@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_check_the_demos_good_and_broken_services_from_the_form(tmp_path: Path) -> None:
    async with demo_console(tmp_path) as demo:
        sim = demo.demo_backend.simulator
        assert sim is not None
        call = sim.live_call_uuids()[0]
        await wait_for(lambda: demo.region.calls.select_call(call), what="call listed")
        form = demo.pane.form
        good, broken = sim.media_sink_url, sim.refusing_sink_url
        assert form.recent_service_urls()[:2] == [good, broken]  # the demo offers both
        await wait_for(lambda: form.service_url.text() == good, what="the demo's stream URL")
        assert form.check_button.isEnabled()

        QTest.mouseClick(form.check_button, Qt.MouseButton.LeftButton)  # the mouse
        controller = demo.service_check
        dialog = controller.dialog
        assert dialog is not None and dialog.isVisible()
        assert dialog.headline.text().startswith("Checking…")
        await wait_for(lambda: controller.reports, timeout=20, what="the first report")
        assert dialog.headline.text() == "✔ Passed: accepted the stream and its audio"
        stages = [dialog.stages.item(r, 0).text() for r in range(dialog.stages.rowCount())]
        assert stages[0] == "✔ Find the host" and stages[-1] == "✔ Close"
        # the demo's account is the simulator: a stream URL on this computer is fine there
        assert "Plivo would refuse this" not in dialog.notes.text()
        assert "not from Plivo's network" in dialog.notes.text()

        demo.window.activateWindow()  # the agent goes back to the form, the dialog stays open
        form.service_url.selectAll()
        QTest.keyClicks(form.service_url, broken)
        QTest.keyClick(form.service_url, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier
                       | Qt.KeyboardModifier.ShiftModifier)  # fmt: skip
        await wait_for(lambda: len(controller.reports) == 2, timeout=20, what="the second report")
        headline = dialog.headline.text()
        assert headline.startswith("✖ The service closed the connection ")
        assert headline.endswith("(code 1008: policy violation, 'unknown account')")
        assert not controller.reports[-1].passed

        form.service_url.clear()  # nothing to check: the button says why
        assert not form.check_button.isEnabled()
        assert "Enter a stream URL" in form.check_button.toolTip()


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_stop_checking_ends_a_check_that_would_wait(tmp_path: Path) -> None:
    import asyncio

    held: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accepts and never answers the upgrade

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with demo_console(tmp_path) as demo:
            sim = demo.demo_backend.simulator
            assert sim is not None
            await wait_for(
                lambda: demo.region.calls.select_call(sim.live_call_uuids()[0]), what="call"
            )
            form = demo.pane.form
            form.service_url.selectAll()
            QTest.keyClicks(form.service_url, f"ws://127.0.0.1:{port}/bot")
            QTest.mouseClick(form.check_button, Qt.MouseButton.LeftButton)
            dialog = demo.service_check.dialog
            assert dialog is not None
            await wait_for(lambda: held, what="the check connected")
            assert dialog.cancel_button.isVisible()
            QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
            await wait_for(lambda: not demo.tasks.running("service-check"), timeout=15,
                           what="check stopped")  # fmt: skip
            assert dialog.headline.text() == "Stopped before the check finished."
            assert dialog.again_button.isEnabled() and demo.service_check.reports == []
    finally:
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()
