"""The calls list kept fresh: an incremental refresh every few seconds (and on F5), applied to the
model as a diff in time slices, with the selected call kept even after it ends. The loop runs
supervised: Plivo's errors show in the status bar, anything unexpected is reported once and the
refresh goes on with backoff (console/app/runtime/supervisor.py).

While the agent works the list (a call selected, the pointer over it), new calls are held behind
a "3 new calls" bar until asked for, so no row moves under the agent. When refreshing fails, the
list keeps the last-seen calls and says as of when."""

from __future__ import annotations

import asyncio
import logging
import time

from PySide6.QtCore import QObject, Signal

from console.api import ApiError, AuthenticationFailed, CredentialsUnavailable, RateLimited
from console.app.controllers.api_status import ApiStatus
from console.app.runtime.tasks import Backoff, TaskRunner
from console.app.services.binding import AccountBinding
from console.domain.calls import LiveCall
from console.ui.call_pane import CallPane
from console.ui.calls_view import CallsView

_log = logging.getLogger(__name__)
REFRESH_INTERVAL_S = 3.0
MAX_BACKOFF_S = 60.0


class CallsController(QObject):
    refreshed = Signal()  # Plivo answered a refresh (the selected call's streams follow)

    def __init__(
        self,
        view: CallsView,
        pane: CallPane,
        status: ApiStatus,
        tasks: TaskRunner,
        *,
        interval_s: float = REFRESH_INTERVAL_S,
    ) -> None:
        super().__init__()
        self.view = view
        self.pane = pane
        self.status = status
        self.tasks = tasks
        self.interval_s = interval_s
        self.binding: AccountBinding | None = None
        self.calls: dict[str, LiveCall] = {}
        self.refreshes = 0
        self.last_ok_at: float | None = None  # wall-clock time of the last successful refresh
        self.held: list[LiveCall] = []  # arrived while the agent worked; not in the list yet
        self._wake = asyncio.Event()
        view.call_selected.connect(self._on_selected)
        view.open_form_requested.connect(self._open_form)
        view.show_held_requested.connect(self.show_held)

    # --- binding -------------------------------------------------------------------------------
    def bind(self, binding: AccountBinding | None) -> None:
        """Show `binding`'s calls from now on (None: no account)."""
        self.binding = binding
        self.calls = {}
        self.refreshes = 0
        self.last_ok_at = None
        self.held = []
        self.view.set_held([])
        self.view.set_stale(None)
        self.view.clear_calls()
        self.pane.show_call(None)
        if binding is None:
            return
        # Until Plivo's first answer nothing is known: never "no calls in progress" meanwhile.
        self.view.set_empty_text(
            "Loading calls…", f"Asking Plivo for {binding.label}'s live calls."
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
                self._show_stale(error)
            return False
        if self.binding is not binding:
            return False
        self.calls = {c.call_uuid: c for c in result.calls}
        await self._apply(list(result.calls))
        if self.last_ok_at is None or self.view.is_stale():
            self.view.set_stale(None)
            self._set_live_empty_text(binding)
        self.last_ok_at = time.time()
        self.refreshes += 1
        self.status.refreshed(len(result.calls), result.requests, time.monotonic() - started)
        self._update_selected_call()
        self.refreshed.emit()
        return True

    async def _apply(self, calls: list[LiveCall]) -> None:
        """Show `calls`, holding back new ones while the agent works the list."""
        if self.view.has_calls() and self.view.agent_is_working():
            known = self.view.shown_call_ids()
            self.held = [c for c in calls if c.call_uuid not in known]
            calls = [c for c in calls if c.call_uuid in known]
        else:
            self.held = []
        keep = [u for u in (self.view.selected_call(),) if u]
        await self.view.show_calls_in_slices(calls, keep=keep)
        self.view.set_held(self.held)

    def show_held(self) -> None:
        """The agent asked for the calls that arrived: add them now."""
        if not self.held:
            return
        keep = [u for u in (self.view.selected_call(),) if u]
        self.view.show_calls(list(self.calls.values()), keep=keep)
        self.held = []
        self.view.set_held([])
        self.view.scroll_to_top()

    def _set_live_empty_text(self, binding: AccountBinding) -> None:
        self.view.set_empty_text(
            "No live calls right now",
            f"{binding.label} has no calls in progress. They appear here within "
            f"{self.interval_s:.0f} s of starting.",
        )

    def _show_stale(self, error: ApiError) -> None:
        """The list keeps the last-seen calls and says as of when; never "no live calls" for a
        list that simply could not be fetched."""
        if isinstance(error, AuthenticationFailed):
            why = "Plivo refused the Auth Token"
        elif isinstance(error, CredentialsUnavailable):
            why = "no Auth Token is available"
        elif isinstance(error, RateLimited):
            why = "Plivo asked the console to slow down"
        else:
            why = "Plivo is not answering"
        if self.last_ok_at is None:
            self.view.set_stale(f"Not refreshing: {why}.")
            self.view.set_empty_text(
                "Calls not loaded",
                f"{why[0].upper()}{why[1:]}, so this account's live calls could not be loaded "
                "yet. The message above says what to do.",
            )
            return
        at = time.strftime("%H:%M:%S", time.localtime(self.last_ok_at))
        self.view.set_stale(f"As of {at}, not refreshing: {why}.")
        self.view.set_empty_text(
            f"No live calls as of {at}",
            f"Not refreshing: {why}. Calls that started since {at} are not shown.",
        )

    # --- selection -----------------------------------------------------------------------------
    def _on_selected(self, call_uuid: str | None) -> None:
        call = self.calls.get(call_uuid) if call_uuid else None
        if call_uuid and call is None:
            call = self.view.call_record(call_uuid)
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
            self.pane.focus_part("stream_url")
