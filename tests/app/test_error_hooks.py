"""Unexpected errors end up as one banner and a log entry, and the console keeps working."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton

from console.app.composition import ConsoleApp
from console.app.runtime.logs import LOG_FILE_NAME
from tests.app.conftest import wait_for


@pytest.mark.qt_no_exception_capture
@pytest.mark.asyncio
async def test_slot_thread_and_task_errors_become_banners(
    running_console: ConsoleApp, log_dir: Path, qtbot: object
) -> None:
    window = running_console.window
    button = QPushButton("boom", window)

    def broken_slot() -> None:
        raise ValueError("slot exploded")

    button.clicked.connect(broken_slot)
    button.click()
    await wait_for(lambda: "unexpected" in window.banners.active_keys(), what="banner")
    banner = window.banners.banner("unexpected")
    assert banner is not None
    assert "keeps running" in banner.text.text()
    assert banner.detail.text() == "ValueError: slot exploded"

    # An orphan task failing, a failing QTimer callback and a thread: same banner, counted.
    async def orphan() -> None:
        raise KeyError("task exploded")

    running_console.tasks.run("orphan", orphan())
    QTimer.singleShot(0, broken_slot)
    worker = threading.Thread(target=broken_slot)
    worker.start()
    worker.join()
    await wait_for(lambda: banner.repeats >= 4, what="repeats counted")
    assert "(×" in banner.text.text()

    # The window still works: the next action is handled normally.
    window.top_splitter.setSizes([500, 700])
    await asyncio.sleep(0)
    assert window.isVisible()
    log = (log_dir / LOG_FILE_NAME).read_text()
    assert "slot exploded" in log and "task exploded" in log and "Traceback" in log

    banner_close = banner.findChild(type(banner.details_button), "banner_close")
    assert banner_close is not None
    banner_close.click()
    assert "unexpected" not in window.banners.active_keys()
