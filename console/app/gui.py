"""Boot and shutdown of the GUI on one qasync event loop shared by Qt, httpx and aiohttp."""

from __future__ import annotations

import asyncio
import sys

import qasync
from PySide6.QtWidgets import QApplication, QMainWindow


async def _run_window(demo: bool) -> int:
    loop = asyncio.get_running_loop()
    app = QApplication.instance()
    assert app is not None
    closed = loop.create_future()
    window = QMainWindow()
    window.setWindowTitle("Stream Console" + (" — demo" if demo else ""))
    window.resize(1280, 800)

    def _quit() -> None:
        if not closed.done():
            closed.set_result(None)

    app.aboutToQuit.connect(_quit)
    window.show()
    await closed
    return 0


def run_gui(*, demo: bool = False) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Stream Console")
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(_run_window(demo))
