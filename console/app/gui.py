"""Boot and shutdown of the GUI on one qasync event loop shared by Qt, httpx and aiohttp.

Python 3.11 has no `asyncio.run(loop_factory=...)`, so `asyncio.Runner(loop_factory=...)` drives
the qasync loop. Quitting on last-window-close is off: closing the window resolves a future, the
coroutine then shuts services down while the loop still runs, and only then does the runner end.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from console import __version__
from console.identity import NAME

if TYPE_CHECKING:
    from console.app.composition import ConsoleApp
    from console.ui.main_window import MainWindow

_log = logging.getLogger("console")


def make_application() -> QApplication:
    from console.app.runtime.resources import resource_path
    from console.app.runtime.settings import APPLICATION, ORGANISATION

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("stream-console")
    app.setWindowIcon(QIcon(str(resource_path("icons", "stream-console.svg"))))
    app.setQuitOnLastWindowClosed(False)
    if app.style().name().lower() == "windows":  # the bare Windows style ignores dark mode
        app.setStyle("Fusion")
    from console.ui.palette import accessible_palette

    app.setPalette(accessible_palette(app.palette()))  # disabled text legible in dark mode too
    return app


def _paint_first(app: QApplication, *, demo: bool, benchmark: bool) -> MainWindow:
    """Show the window before anything else is imported or started."""
    from console.app.runtime.settings import open_settings
    from console.app.shell import build_main_window

    window = build_main_window(demo=demo)
    window.restore_layout(open_settings())
    if benchmark:
        window.first_painted.connect(lambda: print("first-paint", flush=True))
    painted: list[bool] = []
    window.first_painted.connect(lambda: painted.append(True))
    window.show()
    deadline = time.monotonic() + 1.0
    while not painted and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    return window


async def _main(window: MainWindow, *, demo: bool, benchmark: bool) -> int:
    import asyncio

    from console.app.composition import ConsoleApp
    from console.app.runtime.logs import configure_logging
    from console.app.runtime.private_files import secure_app_files
    from console.app.runtime.settings import ORGANISATION, app_data_dir, open_settings

    data_dir = Path(app_data_dir())
    log_dir = data_dir / "logs"
    tightened = secure_app_files(
        data_dir=data_dir, log_dir=log_dir, settings_file=Path(open_settings().fileName()),
        owned_parents=(ORGANISATION,),
    )  # fmt: skip
    configure_logging(log_dir)
    _log.info("Stream Console %s starting%s", __version__, " (demo)" if demo else "")
    if tightened:
        _log.warning("made %d files and folders private (user only)", len(tightened))
    console = ConsoleApp(
        open_settings(), demo=demo, log_dir=log_dir, data_dir=data_dir, window=window,
        settle_heap=True,
    )  # fmt: skip
    if benchmark:
        milestones = asyncio.ensure_future(_print_milestones(console))
    _STOP.target = console.window.close
    if _STOP.requested:
        QTimer.singleShot(0, console.window.close)
    # Python runs signal handlers only between bytecodes: a light timer keeps that happening
    # while Qt waits in C++.
    waker = QTimer()
    waker.start(200)
    waker.timeout.connect(lambda: None)
    try:
        await console.run()
    finally:
        waker.stop()
        try:
            took = await console.shutdown()
        except RuntimeError as exc:  # Qt's loop is already gone (see run_gui)
            _log.error("shutdown without an event loop: %s", exc)
            raise
        if benchmark:
            milestones.cancel()
            print(f"shutdown {took:.4f}", flush=True)
    return 0


async def _print_milestones(console: ConsoleApp) -> None:
    """`--benchmark-paint`: says when the window became usable (composed, titled, the calls
    region loading), when the first calls were listed, and when every service had started, each
    once painted (benchmarks/startup.py reads these lines)."""
    for name, reached in (
        ("usable", console.usable),
        ("first-calls", console.first_calls),
        ("services-ready", console.services_ready),
    ):
        await reached.wait()
        console.window.repaint()
        print(name, flush=True)


class _StopSignal:
    """SIGINT/SIGTERM close the window like the agent would; one arriving before the window is
    wired up is remembered and honoured as soon as it is."""

    def __init__(self) -> None:
        self.requested = False
        self.target: Callable[[], object] | None = None

    def __call__(self, *_: object) -> None:
        self.requested = True
        if self.target is not None:
            self.target()


_STOP = _StopSignal()


def run_gui(*, demo: bool = False, benchmark: bool = False) -> int:
    signal.signal(signal.SIGINT, _STOP)
    signal.signal(signal.SIGTERM, _STOP)
    app = make_application()
    window = _paint_first(app, demo=demo, benchmark=benchmark)
    import asyncio

    import qasync  # after PySide6, so qasync binds to it without probing other Qt bindings

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        try:
            return runner.run(_main(window, demo=demo, benchmark=benchmark))
        except RuntimeError as exc:
            # Qt ended its event loop under us (the display server went away, a session
            # logout): there is no loop left to shut services down on, so say so and leave.
            _log.error("the event loop stopped unexpectedly: %s", exc)
            print("Stream Console closed: the display connection was lost.", file=sys.stderr)
            return 1
