"""The calls list kept fresh: an incremental refresh every few seconds (and on F5), applied to the
model as a diff in time slices, with the selected call kept even after it ends. The loop runs
supervised: Plivo's errors show in the status bar, anything unexpected is reported once and the
refresh goes on with backoff (console/app/supervisor.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from console.api import ApiError
from console.app.api_status import ApiStatus
from console.app.binding import AccountBinding
from console.app.tasks import Backoff, TaskRunner
from console.domain.calls import LiveCall
from console.ui.call_pane import CallPane
from console.ui.calls_view import CallsView

_log = logging.getLogger(__name__)
REFRESH_INTERVAL_S = 3.0
MAX_BACKOFF_S = 60.0


class CallsController:
    def __init__(
        self,
        view: CallsView,
        pane: CallPane,
        status: ApiStatus,
        tasks: TaskRunner,
        *,
        interval_s: float = REFRESH_INTERVAL_S,
    ) -> None:
        self.view = view
        self.pane = pane
        self.status = status
        self.tasks = tasks
        self.interval_s = interval_s
        self.binding: AccountBinding | None = None
        self.calls: dict[str, LiveCall] = {}
        self.refreshes = 0
        self._wake = asyncio.Event()
        self.after_refresh: Callable[[], None] | None = None  # e.g. reload the selected streams
        view.call_selected.connect(self._on_selected)
        view.open_form_requested.connect(self._open_form)

    # --- binding -------------------------------------------------------------------------------
    def bind(self, binding: AccountBinding | None) -> None:
        """Show `binding`'s calls from now on (None: no account)."""
        self.binding = binding
        self.calls = {}
        self.refreshes = 0
        self.view.model.clear()
        self.pane.show_call(None)
        if binding is None:
            return
        self.view.set_empty_text(
            "No live calls right now",
            f"{binding.label} has no calls in progress. They appear here within "
            f"{self.interval_s:.0f} s of starting.",
        )
        self.tasks.run_supervised(
            "calls-refresh-loop",
            lambda: self.refresh_once(binding),
            interval_s=self.interval_s,
            wake=self._wake,
            running=lambda: self.binding is binding,
            backoff=Backoff(first_s=self.interval_s, cap_s=max(self.interval_s, MAX_BACKOFF_S)),
        )

    def refresh_now(self) -> None:
        self._wake.set()

    async def refresh_once(self, binding: AccountBinding) -> bool:
        started = time.monotonic()
        try:
            result = await binding.client.refresh_live_calls()
        except ApiError as error:
            _log.info("refresh failed: %s", error.message)
            if self.binding is binding:
                self.status.failed(error, binding.label)
            return False
        if self.binding is not binding:
            return False
        self.calls = {c.call_uuid: c for c in result.calls}
        keep = [u for u in (self.view.selected_call(),) if u]
        await self.view.model.apply_in_slices(result.calls, keep=keep)
        self.refreshes += 1
        self.status.refreshed(len(result.calls), result.requests, time.monotonic() - started)
        self._update_selected_call()
        if self.after_refresh is not None:
            self.after_refresh()
        return True

    # --- selection -----------------------------------------------------------------------------
    def _on_selected(self, call_uuid: str | None) -> None:
        call = self.calls.get(call_uuid) if call_uuid else None
        if call_uuid and call is None:
            row = self.view.model.row_of(call_uuid)
            call = self.view.model.records[row] if row is not None else None
        self.pane.show_call(call, ended=call is not None and call.call_uuid not in self.calls)

    def _update_selected_call(self) -> None:
        selected = self.view.selected_call()
        if selected is None or self.pane.call is None:
            return
        ended = selected not in self.calls
        current = self.calls.get(selected, self.pane.call)
        if ended != self.pane.ended or current != self.pane.call:
            self.pane.show_call(current, ended=ended)

    def _open_form(self, call_uuid: str) -> None:
        if self.pane.call is not None and self.pane.call.call_uuid == call_uuid:
            self.pane.form.service_url.setFocus()
            self.pane.form.service_url.selectAll()
