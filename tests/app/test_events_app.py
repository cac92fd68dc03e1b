"""The event pane inside the running console: in the window's events region, following the call
the agent picks, and honest about what it cannot do yet."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTableView, QWidget

from console.app.composition import ConsoleApp
from console.app.services.demo import DemoBackend
from console.credentials import MemoryCredentialStore
from console.ui.events_model import Column
from console.ui.events_pane import EventsPane
from tests.app.conftest import wait_for

VERIFIED = (
    "OK: the test event arrived and its signature verified (sent from this computer "
    "through the public URL, not by Plivo)."
)


@pytest.mark.asyncio
async def test_the_events_region_is_the_pane_and_says_what_is_missing(
    running_console: ConsoleApp,
) -> None:
    window = running_console.window
    region = window.findChild(QWidget, "events_region")
    assert isinstance(region, EventsPane) and region.isVisible()
    assert window.findChild(QTableView, "events_view") is region.table
    assert "receiver is running" in region.empty.text()
    window.toggle_events.setChecked(False)
    assert not region.isVisible()
    window.toggle_events.setChecked(True)
    assert region.isVisible()
    QTest.mouseClick(region.send_test, Qt.MouseButton.LeftButton)
    await wait_for(lambda: region.test_result.text().startswith("Choose an account first"))


@pytest.mark.asyncio
async def test_follow_call_follows_the_call_picked_in_the_list(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    console = ConsoleApp(
        settings,
        demo=True,
        keyring_store=MemoryCredentialStore(),
        refresh_interval_s=0.3,
        demo_backend=DemoBackend(calls=3, seed=4),
    )
    runner = asyncio.ensure_future(console.run())
    try:
        calls = console.region.calls
        await wait_for(lambda: calls.model.rowCount() >= 3, timeout=10, what="demo calls")
        pane = console.events_pane
        QTest.mouseClick(pane.follow_call, Qt.MouseButton.LeftButton)
        first, second = calls.model.uuids[0], calls.model.uuids[1]
        calls.select_call(first)
        assert pane.current_filter().call_uuid == first
        calls.select_call(second)
        assert pane.current_filter().call_uuid == second
        QTest.mouseClick(pane.send_test, Qt.MouseButton.LeftButton)
        await wait_for(lambda: "receiver is not running" in pane.test_result.text())
    finally:
        console.window.close()
        await runner
        await console.shutdown()


@pytest.mark.asyncio
async def test_demo_callbacks_appear_live_and_the_test_callback_verifies(tmp_path: Path) -> None:
    """The whole path: the simulator posts a signed StartStream to the console's receiver, the
    event log keeps it, the pane shows it; "Send test callback" comes back verified."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)  # never fight over the default port
    console = ConsoleApp(
        settings,
        demo=True,
        data_dir=tmp_path / "data",
        keyring_store=MemoryCredentialStore(),
        refresh_interval_s=0.3,
        demo_backend=DemoBackend(calls=3, seed=5),
    )
    runner = asyncio.ensure_future(console.run())
    try:
        pane = console.events_pane
        await wait_for(lambda: console.receiver.receiver is not None, timeout=10, what="receiver")
        await wait_for(lambda: "No stream events yet" in pane.empty.text(), what="log shown")
        sim = console.demo_backend.simulator
        assert sim is not None
        call = sim.live_call_uuids()[0]
        calls = console.region.calls
        await wait_for(lambda: calls.select_call(call), timeout=10, what="call listed")
        QTest.mouseClick(pane.follow_call, Qt.MouseButton.LeftButton)
        form = console.pane.form
        await wait_for(lambda: form.callbacks_to_console.isEnabled(), what="toggle usable")
        form.callbacks_to_console.setChecked(True)
        QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: pane.model.rowCount() == 1, timeout=10, what="StartStream shown")
        model = pane.table.model()
        assert model.index(0, Column.EVENT).data() == "StartStream"
        assert model.index(0, Column.CALL).data() == call

        QTest.mouseClick(pane.send_test, Qt.MouseButton.LeftButton)
        await wait_for(
            lambda: pane.test_result.text().startswith("OK"), timeout=15, what="test verdict"
        )
        assert pane.test_result.text() == VERIFIED
        QTest.mouseClick(pane.follow_call, Qt.MouseButton.LeftButton)  # all calls again
        await wait_for(lambda: pane.model.rowCount() == 2, what="test event listed")
        assert pane.model.event_at(0).params.get("ConsoleTest") == "true"
        # the verdict was about this account: the welcome screen (no account) drops it
        await console.activate(None)
        assert pane.test_result.text() == ""
    finally:
        console.window.close()
        await runner
        await console.shutdown()
