"""Starting and stopping streams on the selected call: the form's and the streams table's intents
turned into API calls, recorded in the activity history, shown back to the agent."""

from __future__ import annotations

import getpass
import logging
import socket
import time

from PySide6.QtCore import QObject, Signal

from console.api import AmbiguousStart, ApiError, NetworkError, Priority
from console.app.runtime.tasks import Backoff, FailureStreak, TaskRunner
from console.app.services.binding import AccountBinding
from console.app.services.history import ActivityHistory, CurrentHistory
from console.app.services.notices import Notices
from console.domain.activity import Action, ActivityEntry, Outcome
from console.domain.failure_words import explain
from console.domain.stream_request import StreamRequest
from console.domain.stream_rules import Target, validate_stream_request
from console.domain.streams import Stream, StreamStarted
from console.identity import VERSION
from console.ui.call_pane import CallPane
from console.ui.calls_view import CallsView
from console.ui.dialogs import Dialogs

_log = logging.getLogger(__name__)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers: still record something
        return "unknown"


def _host_name() -> str:
    """This computer's name, for the team's audit trail ("" if the OS will not say)."""
    try:
        return socket.gethostname()[:255]
    except OSError:
        return ""


def with_setup(detail: str, setup: str) -> str:
    """A start's detail naming the stream setup the form came from, when there was one."""
    return f"{detail} Setup: {setup}.".strip() if setup else detail


class StreamsController(QObject):
    recent_urls_changed = Signal(list)  # the stream URLs to offer, newest first (to keep)
    recorded = Signal(object)  # an ActivityEntry just written (e.g. for the call timeline)

    def __init__(
        self,
        pane: CallPane,
        calls: CallsView,
        tasks: TaskRunner,
        dialogs: Dialogs,
        history: CurrentHistory,
        notices: Notices,
    ) -> None:
        super().__init__()
        self.pane = pane
        self.notices = notices
        self.calls = calls
        self.tasks = tasks
        self.dialogs = dialogs
        self._history = history
        self.binding: AccountBinding | None = None
        self.user = _os_user()  # recorded with every action (tests set it to act as others)
        self.host = _host_name()
        # The background reload repeats after every calls refresh: a bug there is reported once
        # per streak and backed off, not put up every few seconds.
        self.background = FailureStreak(
            "streams-background-reload", tasks.report, Backoff(first_s=3.0, cap_s=60.0)
        )
        # Streams started here or seen active, with the account they were seen through: their
        # failure goes into the activity history under that account, whichever is in use then.
        self._watched: dict[str, AccountBinding] = {}
        self._failures_recorded: set[str] = set()
        # Stops that did not reach Plivo, by stream: (call, reason, network), said until the
        # stream is stopped or ends, so a later "updated" never hides that it still runs.
        self._failed_stops: dict[str, tuple[str, str, bool]] = {}
        self._setup_label = ""  # the stream setup the form shows now (docs/stream-setups.md)
        pane.start_requested.connect(self._on_start)
        pane.stop_requested.connect(self._on_stop)
        pane.stop_all_requested.connect(self._on_stop_all)
        pane.refresh_streams_requested.connect(self.reload)
        calls.call_selected.connect(self._on_call_selected)
        calls.stop_all_requested.connect(self._on_stop_all)

    def use_setup_label(self, label: str) -> None:
        """How the form now names its setup: a start records it in the activity history."""
        self._setup_label = label

    @property
    def activity(self) -> ActivityHistory | None:
        """The history starts and stops are recorded in now (None: none this session)."""
        return self._history.history

    def bind(self, binding: AccountBinding | None) -> None:
        self.binding = binding
        self.pane.set_stream_target(
            simulator=binding is not None and binding.target is Target.SIMULATOR,
            api_base_url=binding.profile.api_base_url if binding is not None else None,
            local_api=binding.local_api if binding is not None else "",
        )

    # --- reading ---------------------------------------------------------------------------------
    def _on_call_selected(self, call_uuid: str | None) -> None:
        if call_uuid:
            self.reload(call_uuid)

    def reload(self, call_uuid: str) -> None:
        self.tasks.run("streams", self.load_streams(call_uuid))

    def on_calls_refreshed(self) -> None:
        """Plivo answered a refresh: "could not connect" results are stale; streams again."""
        self.pane.clear_connection_errors()
        self.reload_in_background()

    def reload_in_background(self) -> None:
        """The selected call's streams again, so status changes (in-progress, dropped, timed
        out) show without the agent asking; skipped while an action is running."""
        call = self.pane.call
        if call is None or self.pane.ended or self.tasks.running("streams"):
            return
        if not self.background.ready():
            return
        self.tasks.run("streams", self._reload_quietly(call.call_uuid))

    async def _reload_quietly(self, call_uuid: str) -> None:
        try:
            await self.load_streams(call_uuid, priority=Priority.BACKGROUND, quiet=True)
        except Exception as exc:
            self.background.failed(exc)
        else:
            self.background.succeeded()

    async def load_streams(
        self, call_uuid: str, *, priority: Priority = Priority.OPERATOR, quiet: bool = False
    ) -> list[Stream] | None:
        binding = self.binding
        if binding is None:
            return None
        if not quiet:
            self.notices.call_result("Loading…")
        try:
            streams = await binding.client.list_streams(call_uuid, priority=priority)
        except ApiError as error:
            if self._showing(call_uuid) and not self._failed_stop_on(call_uuid):
                self.notices.call_result(error.message, error=True)
            return None
        active = {s.stream_id for s in streams if s.is_active}
        for sid in [k for k, v in self._failed_stops.items() if v[0] == call_uuid]:
            if sid not in active:
                del self._failed_stops[sid]  # ended or stopped since: nothing left to say
        if self._showing(call_uuid):
            self.pane.set_streams(streams)
            if not self._say_failed_stop(call_uuid, answered=True):
                self.notices.call_result(time.strftime("updated %H:%M:%S"))
        self.calls.set_stream_count(call_uuid, sum(1 for s in streams if s.is_active))
        await self._note_failures(binding, call_uuid, streams)
        return streams

    async def _note_failures(
        self, binding: AccountBinding, call_uuid: str, streams: list[Stream]
    ) -> None:
        """A stream started here or seen active that the list now shows failed goes into the
        activity history, with the reason as far as the console knows it."""
        for stream in streams:
            sid = stream.stream_id
            if stream.is_active:
                self._watched.setdefault(sid, binding)
            elif sid in self._watched and (stream.status or "").lower() != "failed":
                del self._watched[sid]  # ended without failing: watched no more
            elif (stream.status or "").lower() == "failed" and sid in self._watched:
                reason = self.pane.failure_reason(sid)
                await self.note_failure(call_uuid, sid, reason, stream.service_url or "")

    def is_ours(self, stream_id: str) -> bool:
        """Started here, or seen active here: its trouble is this console's business."""
        return stream_id in self._watched or stream_id in self._failures_recorded

    async def note_failure(
        self, call_uuid: str, stream_id: str, reason: str, url: str = ""
    ) -> None:
        """Record once in the activity history that a stream of ours failed, and why (a status
        callback's reason when it came first, else what the table knows)."""
        if stream_id not in self._watched or stream_id in self._failures_recorded:
            return
        via = self._watched.pop(stream_id)
        self._failures_recorded.add(stream_id)
        await self._record(
            via, Action.STREAM_FAILED, call_uuid, Outcome.FAILED, None, stream_id,
            f"The stream failed: {explain(reason).one_line}", url,
        )  # fmt: skip

    def _showing(self, call_uuid: str) -> bool:
        return self.pane.call is not None and self.pane.call.call_uuid == call_uuid

    # --- start -----------------------------------------------------------------------------------
    def _on_start(self, request: StreamRequest) -> None:
        call = self.pane.call
        if call is None:
            self.pane.set_start_busy(False)
            return
        self.notices.call_result("")
        # Never preempted: cancelling a start mid-flight would leave its outcome unknown.
        start = self.start(call.call_uuid, request, setup=self._setup_label)
        self.tasks.run(f"start-{call.call_uuid}", start, preempt=False)

    async def start(
        self, call_uuid: str, request: StreamRequest, *, setup: str = ""
    ) -> StreamStarted | None:
        """Start `request` on the call; `setup` (the form's setup, if any) goes into the
        activity history's detail."""
        binding = self.binding
        pane = self.pane
        if binding is None:
            pane.show_start_error(
                "No account is active: choose one in the toolbar first.", "", call_uuid
            )
            return None
        report = validate_stream_request(request, target=binding.target)
        if not report.ok:  # the form already refuses these; this gate guards every other path
            pane.show_start_error(report.errors[0].message, "", call_uuid)
            return None
        numbers = self.calls.call_numbers(call_uuid)  # the list forgets them on a switch
        try:
            started = await binding.client.start_stream(call_uuid, request)
        except ApiError as error:
            await self._start_failed(binding, call_uuid, request, error, setup, numbers)
            return None
        self._watched[started.stream_id] = binding
        switched = self._switched_from(binding, f"stream {started.stream_id} started")
        if not switched:
            self._show_started(started, call_uuid, request)
        await self._record(
            binding, Action.START_STREAM, call_uuid, Outcome.OK, request, started.stream_id,
            with_setup(started.message or "", setup), numbers=numbers,
        )  # fmt: skip
        if not switched:
            await self.load_streams(call_uuid)
        return started

    def _show_started(self, started: StreamStarted, call_uuid: str, request: StreamRequest) -> None:
        self.pane.show_started(started, call_uuid)
        self.pane.reveal_result()
        if self._showing(call_uuid):
            self.pane.add_pending_stream(Stream(
                stream_id=started.stream_id, call_uuid=call_uuid,
                service_url=request.service_url,
                audio_track=(request.audio_track or "inbound"),
                bidirectional=bool(request.bidirectional),
            ))  # fmt: skip
            self.pane.select_stream(started.stream_id)
        self._remember_url(request.service_url)

    async def _start_failed(
        self,
        binding: AccountBinding,
        call_uuid: str,
        request: StreamRequest,
        error: ApiError,
        setup: str,
        numbers: tuple[str, str] | None,
    ) -> None:
        """Say why a start failed or is in doubt (unless the agent switched accounts meanwhile),
        and record it under the account it went through."""
        if isinstance(error, AmbiguousStart):
            # `checked`: the call's streams were listed and none to this URL is active (a found
            # one is returned as started), so the history can say "not started" for certain.
            outcome = Outcome.NOT_STARTED if error.checked else Outcome.UNCERTAIN
            what, connection = f"the start is in doubt: {error.message}", False
        else:
            outcome = Outcome.FAILED
            what = f"the stream did not start: {error.message}"
            connection = isinstance(error, NetworkError)
        if not self._switched_from(binding, what):
            self.pane.show_start_error(
                error.message, "\n".join(error.detail.lines()), call_uuid, connection=connection
            )
            self.pane.reveal_result()
            if isinstance(error, AmbiguousStart):
                # The start has used its deadline: the table's own reload runs on its own time.
                self.reload(call_uuid)
        await self._record(
            binding, Action.START_STREAM, call_uuid, outcome, request, "",
            with_setup(error.message, setup), numbers=numbers,
        )  # fmt: skip

    def _remember_url(self, url: str) -> None:
        urls = ([url] + [u for u in self.pane.recent_service_urls() if u != url])[:10]
        self.pane.set_recent_service_urls(urls)
        self.recent_urls_changed.emit(urls)

    # --- stop ------------------------------------------------------------------------------------
    def _on_stop(self, call_uuid: str, stream_id: str) -> None:
        self.tasks.run(f"stop-{stream_id}", self.stop(call_uuid, stream_id), preempt=False)

    async def stop(self, call_uuid: str, stream_id: str) -> bool:
        binding = self.binding
        if binding is None:
            return False
        url = self.pane.stream_url(stream_id)
        numbers = self.calls.call_numbers(call_uuid)
        self.pane.mark_streams_stopped([stream_id])
        self.notices.call_result("Stopping…")
        try:
            stopped = await binding.client.stop_stream(call_uuid, stream_id)
        except ApiError as error:
            switched = self._switched_from(
                binding, f"stream {stream_id} was not stopped: {error.message}"
            )
            network = isinstance(error, NetworkError)
            if not switched:
                self._failed_stops[stream_id] = (call_uuid, error.message, network)
                if self._showing(call_uuid):
                    self.pane.unmark_streams_stopped([stream_id])
                    self._say_failed_stop(call_uuid, answered=False)
            await self._record(
                binding, Action.STOP_STREAM, call_uuid, Outcome.FAILED, None, stream_id,
                error.message, url, numbers=numbers,
            )  # fmt: skip
            if not switched and not network:  # Plivo answered: its list says if it still runs
                await self.load_streams(call_uuid, quiet=True)
            return False
        self._failed_stops.pop(stream_id, None)
        switched = self._switched_from(binding, f"stream {stream_id} stopped")
        if not switched:  # shown before the record is written: a status callback may come then
            self.pane.stream_ended(call_uuid, stream_id, "stopped")
        await self._record(
            binding, Action.STOP_STREAM, call_uuid, Outcome.OK, None, stream_id, stopped.message,
            url, numbers=numbers,
        )  # fmt: skip
        if switched:
            return True
        await self.load_streams(call_uuid)
        if self._showing(call_uuid):
            self.notices.call_result(stopped.message)
        return True

    def _failed_stop_on(self, call_uuid: str) -> list[str]:
        return [sid for sid, (call, _r, _n) in self._failed_stops.items() if call == call_uuid]

    def _say_failed_stop(self, call_uuid: str, *, answered: bool) -> bool:
        """Say in the streams header that a stop failed and the stream still runs (False: no
        failed stop on this call). Once Plivo answers again an unreachable Plivo is past, so
        the header says so instead of repeating "Could not connect"."""
        failed = self._failed_stop_on(call_uuid)
        if not failed:
            return False
        _call, reason, network = self._failed_stops[failed[-1]]
        if network and answered:
            reason = "Plivo could not be reached then."
        one = len(failed) == 1
        which = f"Stream {failed[-1][:8]}… was" if one else f"{len(failed)} streams were"
        self.notices.call_result(
            f"{which} not stopped: {reason} {'It is' if one else 'They are'} still running: "
            "select it and press Stop stream to try again.",
            error=True,
        )
        return True

    def _on_stop_all(self, call_uuid: str) -> None:
        self.tasks.run(f"stop-all-{call_uuid}", self.stop_all(call_uuid))

    async def stop_all(self, call_uuid: str, *, confirm: bool = True) -> bool:
        binding = self.binding
        if binding is None:
            return False
        if self._showing(call_uuid):
            active = self.pane.active_stream_ids()
        else:
            streams = await binding.client.list_streams(call_uuid, priority=Priority.OPERATOR)
            active = [s.stream_id for s in streams if s.is_active]
        count = len(active)
        if count == 0:  # nothing to stop: no request, no "ok" recorded for stopping nothing
            if self._showing(call_uuid):
                self.notices.call_result("No active streams to stop.")
            return False
        numbers = self.calls.call_numbers(call_uuid)  # the list forgets them on a switch
        noun = "stream" if count == 1 else "streams"
        if confirm and not await self._confirm_stop_all(call_uuid, count, numbers):
            return False
        if self._showing(call_uuid):
            self.pane.mark_streams_stopped(self.pane.stream_ids())
            self.notices.call_result("Stopping all…")
        try:
            stopped = await binding.client.stop_all_streams(call_uuid)
        except ApiError as error:
            switched = self._switched_from(
                binding, f"the streams were not stopped: {error.message}"
            )
            if not switched and self._showing(call_uuid):
                self.notices.call_result(error.message, error=True)
            await self._record(
                binding, Action.STOP_ALL_STREAMS, call_uuid, Outcome.FAILED, None, "",
                error.message, numbers=numbers,
            )  # fmt: skip
            if not switched:
                await self.load_streams(call_uuid)
            return False
        switched = self._switched_from(binding, f"{count} {noun} stopped")
        reported = None if switched else self.pane.reported_stream_id(call_uuid)
        if reported:
            self.pane.stream_ended(call_uuid, reported, "stopped")
        detail = f"{stopped.message} Stopped {count} {noun}: {', '.join(active)}."
        await self._record(
            binding, Action.STOP_ALL_STREAMS, call_uuid, Outcome.OK, None, "", detail,
            numbers=numbers,
        )  # fmt: skip
        if switched:
            return True
        await self.load_streams(call_uuid)
        if self._showing(call_uuid):
            self.notices.call_result(stopped.message)
        return True

    async def _confirm_stop_all(
        self, call_uuid: str, count: int, numbers: tuple[str, str] | None
    ) -> bool:
        label = f"{numbers[0]} → {numbers[1]}" if numbers is not None else call_uuid
        noun = "stream" if count == 1 else "streams"
        return await self.dialogs.confirm(
            "Stop all streams",
            (
                f"Stop the active stream on the call {label}?"
                if count == 1
                else f"Stop all {count} active {noun} on the call {label}?"
            ),
            f"Stop {count} {noun}" if count else "Stop all",
            detail=f"Call UUID {call_uuid}. Their WebSocket services stop receiving audio at once.",
        )

    # --- audit -----------------------------------------------------------------------------------
    def _switched_from(self, binding: AccountBinding, what: str) -> bool:
        """Whether the agent switched accounts while an action of `binding`'s was under way. Its
        answer is then said in the status bar, naming the account; the call pane and the list,
        another account's now, are left alone (the activity history has the record)."""
        if self.binding is binding:
            return False
        self.notices.status(
            f"{binding.profile.display_name}: {what} (after you switched accounts; "
            "see the activity history)."
        )
        return True

    async def _record(
        self,
        via: AccountBinding | None,
        action: Action,
        call_uuid: str,
        outcome: Outcome,
        request: StreamRequest | None,
        stream_id: str,
        detail: str,
        url: str = "",
        *,
        numbers: tuple[str, str] | None = None,
    ) -> None:
        """Record an action under the account it went through (`via`), which is not the one in
        use now when the agent switched while it ran; `numbers` are the call's as the list showed
        them when the action began (the list of another account no longer has them)."""
        if self.activity is None or via is None:
            return
        if numbers is None:
            numbers = self.calls.call_numbers(call_uuid)
        entry = ActivityEntry(
            at=time.time(), user=self.user, account=via.profile.auth_id, action=action,
            call_uuid=call_uuid, outcome=outcome,
            service_url=request.service_url if request is not None else url,
            stream_id=stream_id, detail=detail, account_name=via.profile.display_name,
            from_number=numbers[0] if numbers is not None else "",
            to_number=numbers[1] if numbers is not None else "",
            host=self.host, console_version=VERSION,
        )  # fmt: skip
        try:
            await self.activity.append(entry)
        except Exception:
            _log.exception("activity history: could not record %s", action)
            return
        self.recorded.emit(entry)
