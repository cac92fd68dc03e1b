"""The Help menu's work: About (with "Copy diagnostics") and Run self-test. Both run the
self-test (console/app/services/self_test.py) as a background task on the console's own loop, so the
window stays responsive; inside the running console the window step checks this window rather
than building a second one."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion

from console.app.runtime.tasks import TaskRunner
from console.ui.main_window import MainWindow

if TYPE_CHECKING:  # the dialogs and the self-test load when first used, not with the window
    from console.app.services.self_test import Report, Step
    from console.ui.about_dialog import AboutDialog
    from console.ui.self_test_dialog import SelfTestDialog


class HelpController:
    def __init__(
        self,
        window: MainWindow,
        tasks: TaskRunner,
        *,
        data_dir: Path | None,
        log_dir: Path | None,
    ) -> None:
        self._window = window
        self._tasks = tasks
        self._data_dir = data_dir
        self._log_dir = log_dir
        self.about_dialog: AboutDialog | None = None
        self.self_test_dialog: SelfTestDialog | None = None
        self._self_test_task: asyncio.Task[Any] | None = None

    # --- About ----------------------------------------------------------------------------------
    def about(self) -> AboutDialog:
        if self.about_dialog is None:
            from platform import python_version, release, system  # ~3 ms: not at start-up

            from console.ui.about_dialog import AboutDialog

            runtime = (
                f"Python {python_version()}, Qt {qVersion()}, PySide6 {pyside_version}, "
                f"{system()} {release()}"
            )
            dialog = AboutDialog(
                self._window, data_dir=self._data_dir, log_dir=self._log_dir,
                runtime=runtime, icon=self._window.windowIcon(),
            )  # fmt: skip
            dialog.copy_diagnostics_requested.connect(self._copy_diagnostics)
            self.about_dialog = dialog
        self.about_dialog.show()
        self.about_dialog.raise_()
        return self.about_dialog

    def _copy_diagnostics(self) -> None:
        dialog = self.about_dialog
        if dialog is None:
            return

        async def gather() -> None:
            try:
                report = await self.run_self_test()
            except Exception as exc:  # shown in the dialog, never a traceback
                dialog.diagnostics_failed(f"{type(exc).__name__}: {exc}")
                return
            dialog.diagnostics_ready(report.to_json(), report.summary())

        self._tasks.run("diagnostics", gather())

    # --- Run self-test --------------------------------------------------------------------------
    def self_test(self) -> SelfTestDialog:
        if self.self_test_dialog is None:
            from console.ui.self_test_dialog import SelfTestDialog

            dialog = SelfTestDialog(self._window)
            dialog.run_requested.connect(self._start_self_test)
            dialog.rejected.connect(self._cancel_self_test)
            self.self_test_dialog = dialog
        self.self_test_dialog.show()
        self.self_test_dialog.raise_()
        if not self._tasks.running("self-test"):
            self._start_self_test()
        return self.self_test_dialog

    def _cancel_self_test(self) -> None:
        """Closing the dialog stops a run; its simulator and client are closed on the way out."""
        if self._self_test_task is not None and not self._self_test_task.done():
            self._self_test_task.cancel()

    def _start_self_test(self) -> None:
        dialog = self.self_test_dialog
        if dialog is None:
            return
        from console.app.services.self_test import STEPS

        dialog.begin(list(STEPS))

        def shown(step: Step) -> None:
            dialog.show_step(step.name, step.status, step.seconds, step.detail)

        async def run() -> None:
            report = await self.run_self_test(on_step=shown)
            dialog.finish(report.passed, report.summary(), report.to_json())

        self._self_test_task = self._tasks.run("self-test", run())

    async def run_self_test(self, on_step: Callable[[Step], None] | None = None) -> Report:
        """The self-test against this console's window, its scratch files in a temp folder."""
        from console.app.services.self_test import SelfTest

        extra = {
            "data_dir": str(self._data_dir or ""),
            "log_dir": str(self._log_dir or ""),
            "run_from": "the running console (Help menu)",
        }
        with tempfile.TemporaryDirectory(prefix="stream-console-self-test-") as scratch:
            test = SelfTest(
                self._check_window, scratch=Path(scratch),
                on_step=on_step, extra=extra,
            )  # fmt: skip
            return await test.run()

    async def _check_window(self) -> str:
        from console.app.services.self_test import StepFailed

        if not self._window.isVisible():
            raise StepFailed("the console window is not visible")
        size = self._window.size()
        return (
            f"“{self._window.windowTitle()}” is open ({size.width()}×{size.height()}); the running "
            "window is checked instead of building a second one"
        )
