"""Check service: the stream form's URL checked as Plivo's media server would meet it, in a
task of its own (the window stays live; the check ends within its 15 s budget), the report in a
non-modal dialog (docs/service-check.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from console.app.runtime.tasks import TaskRunner
from console.ui.call_pane import CallPane

if TYPE_CHECKING:
    from console.domain.service_check import CheckReport, CheckRequest  # with the form
    from console.ui.service_check_dialog import ServiceCheckDialog  # loaded on first check

TASK = "service-check"


class ServiceCheckController:
    def __init__(self, pane: CallPane, tasks: TaskRunner, parent: QWidget) -> None:
        self.tasks = tasks
        self.parent = parent
        self.dialog: ServiceCheckDialog | None = None
        self.last: CheckRequest | None = None
        self.reports: list[CheckReport] = []  # every report shown (tests, and a later history)
        self._runs = 0  # which check the dialog waits for; Stop moves it on
        pane.check_requested.connect(self.check)

    def check(self, request: CheckRequest) -> None:
        self.last = request
        dialog = self._dialog()
        dialog.show_running(request.service_url)
        dialog.show()
        dialog.raise_()
        self._runs += 1
        self.tasks.run(TASK, self._run(request, self._runs))  # replaces one still running

    async def _run(self, request: CheckRequest, run: int) -> None:
        from console.servicecheck import check_service  # imported on first use: not at start-up

        report = await check_service(request)
        if run != self._runs:
            return  # stopped (or replaced) meanwhile: a late verdict never overwrites "Stopped"
        self.reports.append(report)
        if self.dialog is not None:
            self.dialog.show_report(report)

    def _again(self) -> None:
        if self.last is not None:
            self.check(self.last)

    def _cancel(self) -> None:
        self._runs += 1
        self.tasks.cancel(TASK)
        if self.dialog is not None:
            self.dialog.show_stopped()

    def _dialog(self) -> ServiceCheckDialog:
        if self.dialog is None:
            from console.ui.service_check_dialog import ServiceCheckDialog

            self.dialog = ServiceCheckDialog(self.parent)
            self.dialog.again_requested.connect(self._again)
            self.dialog.cancel_requested.connect(self._cancel)
        return self.dialog
