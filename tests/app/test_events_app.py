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
from console.app.demo import DemoBackend
from console.credentials import MemoryCredentialStore
from console.ui.events_pane import EventsPane
from tests.app.conftest import wait_for


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
