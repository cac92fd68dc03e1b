"""`stream-console self-test`: the self-test engine (console/app/services/self_test.py) run
from the command line, with the whole console window built and shown as its window step. Settings,
data and logs go to a temporary folder; the report goes to the terminal and, with --output, to a
file."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

from console.app.services.self_test import STEP_TIMEOUT_S, Report, SelfTest, Step, StepFailed
from console.identity import NAME, VERSION

HELP = "check this installation end to end (simulator, API, callbacks, keyring, window)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document instead of the step list"
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="also write the report (JSON with --json) to FILE, as UTF-8",
    )


def _headless() -> bool:
    """No display to open a window on (Linux/BSD only: Windows and macOS always have one)."""
    if "QT_QPA_PLATFORM" in os.environ or not sys.platform.startswith(("linux", "freebsd")):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def build_and_show_window(scratch: Path) -> str:
    """The whole console window (every region, controller and service wired) on throwaway
    settings and an in-memory credential store, shown until Qt has painted it, then shut down."""
    from PySide6.QtCore import QSettings

    from console.app.composition import ConsoleApp
    from console.credentials import MemoryCredentialStore

    settings = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
    console = ConsoleApp(settings, keyring_store=MemoryCredentialStore())
    try:
        painted: list[bool] = []
        console.window.first_painted.connect(lambda: painted.append(True))
        console.window.show()
        deadline = time.monotonic() + STEP_TIMEOUT_S / 2
        while not painted and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if not console.window.isVisible():
            raise StepFailed("the window did not become visible")
        if not painted:
            raise StepFailed("the window was shown but Qt never painted it")
        size = console.window.size()
        title = console.window.windowTitle()
        return f"“{title}” shown and painted ({size.width()}×{size.height()})"
    finally:
        await console.shutdown()
        console.window.deleteLater()


def output_problem(path: Path) -> str | None:
    """Why the report could not be written to `path`, found before the run (which takes a
    while) rather than after it; None when it looks writable."""
    folder = path.parent
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    if path.is_dir():
        return f"{path} is a folder"
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"{path} cannot be written (permission denied)"
    return None


def run(args: argparse.Namespace) -> int:
    for stream in (sys.stdout, sys.stderr):  # a legacy console code page must not end the run
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
    if args.output is not None:
        args.output = args.output.expanduser()
        problem = output_problem(args.output)
        if problem:
            print(f"stream-console self-test: error: --output: {problem}", file=sys.stderr)
            return 2
    if _headless():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from console.app.gui import make_application

    with tempfile.TemporaryDirectory(prefix="stream-console-self-test-") as scratch_dir:
        scratch = Path(scratch_dir)
        from PySide6.QtCore import QSettings

        # Belt and braces: anything that opens the default settings gets a throwaway file.
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(QSettings.Format.IniFormat, scope, str(scratch / "qsettings"))
        app = make_application()
        import qasync  # after PySide6, as in console/app/gui.py

        if not args.json:
            print(f"{NAME} {VERSION} self-test", flush=True)

        def progress(step: Step) -> None:
            if not args.json and step.status not in ("running", "pending"):
                print(step.line(), flush=True)

        async def main() -> Report:
            test = SelfTest(lambda: build_and_show_window(scratch), scratch=scratch,
                            on_step=progress)  # fmt: skip
            return await test.run()

        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            report = runner.run(main())
    print(report.to_json() if args.json else report.summary(), flush=True)
    if args.output is not None:
        from console.app.runtime.private_files import open_private_text

        text = report.to_json() if args.json else report.to_text()
        try:
            with open_private_text(args.output) as out:  # 0600: it names this machine's setup
                out.write(text + "\n")
        except OSError as exc:
            print(f"self-test: the report could not be written: {exc}", file=sys.stderr)
            return 1
    return 0 if report.passed else 1
