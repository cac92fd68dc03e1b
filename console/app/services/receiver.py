"""The console's status-callback receiver: started from the GUI loop with the event log in the
data directory, verifying for every profile that has a public URL (and for the demo account), and
reporting to the window through `CallbackFeed` (docs/callbacks.md).

The receiver runs on a thread and loop of its own (`ThreadedReceiver`), the log writes and reads
on its own threads; the GUI loop gets each commit once and turns counters into status-bar text a
few times a second at most, however many callbacks arrive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QSettings, Signal

from console.domain.accounts import Profile
from console.domain.events import StoredEvent
from console.domain.urls import api_on_this_computer
from console.ui.status_indicator import Health

if TYPE_CHECKING:
    from console.app.runtime.settings import ProfileRepository
    from console.app.services.active_account import ActiveAccount
    from console.credentials import CredentialStore
    from console.receiver.server import Credential, Route
    from console.receiver.thread import ThreadedReceiver
    from console.store.event_log import EventLog
    from console.ui.main_window import MainWindow
    from console.ui.receiver_dialog import ReceiverDialog  # loaded when first opened

_log = logging.getLogger(__name__)
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
STATS_INTERVAL_S = 0.5  # at most two status-bar updates a second
TICK_S = 5.0  # events/min decays even when nothing arrives


@dataclass(frozen=True, slots=True)
class ReceiverStatus:
    """A snapshot for the status bar and the dialog."""

    listening: bool
    local_url: str = ""
    per_minute: int = 0
    accepted: int = 0
    rejected: int = 0
    replays: int = 0
    not_stored: int = 0  # answered 503
    problem: str = ""  # why it is not listening, or why events are not being kept


class ReceiverUrlTarget(Protocol):
    """The stream form's side: its "Send status callbacks to this console" toggle."""

    def set_receiver_url(self, url: str | None) -> None: ...


class CallbackFeed(QObject):
    """What the UI subscribes to: `events_committed(list[StoredEvent])` after each commit (oldest
    first, replays and refusals excluded) and `stats_changed(ReceiverStatus)`."""

    events_committed = Signal(list)
    stats_changed = Signal(object)


class ReceiverService:
    """Owns the event log and the receiver for one console session."""

    def __init__(
        self,
        settings: QSettings,
        profiles: ProfileRepository,
        credentials: CredentialStore,
        data_dir: Path | None,
        window: MainWindow,
        active: ActiveAccount,
        form: ReceiverUrlTarget | None = None,
    ) -> None:
        self.settings = settings
        self.profiles = profiles
        self.credentials = credentials
        self.data_dir = data_dir
        self.window = window
        self.form = form
        self.feed = CallbackFeed()
        self.log: EventLog | None = None  # the EventReader for the event pane, once open
        self.receiver: ThreadedReceiver | None = None
        self.dialog: ReceiverDialog | None = None
        self.active = active
        active.changed.connect(self.profile_activated)
        self.problem = ""
        self._known: list[Credential] = []
        self._demo: tuple[str, str] | None = None  # (auth id, token) of the demo account
        self._stats_handle: asyncio.TimerHandle | None = None
        self._tick: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats_changed_count = 0
        # Other paths the receiver's port serves (the stream monitor), kept across restarts.
        self.routes: dict[str, Route] = {}

    # --- life cycle -----------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return str(self.settings.value("receiver/host", DEFAULT_HOST) or DEFAULT_HOST)

    @property
    def port(self) -> int:
        try:
            value = int(str(self.settings.value("receiver/port", DEFAULT_PORT)))
        except ValueError:
            return DEFAULT_PORT
        return value if 0 <= value <= 65535 else DEFAULT_PORT

    async def start(self) -> None:
        """Open the log and listen. Failures become a status, never an exception."""
        from console.store.event_log import EventLog

        if self.data_dir is None:
            self.problem = "no data directory: callbacks are not received this session"
            self._publish()
            return
        if self.log is None:
            log = EventLog(self.data_dir / "events.sqlite3")
            try:
                await log.open()
            except asyncio.CancelledError:  # cut short (the window closed): its writer may run
                await log.close()
                raise
            except Exception as exc:  # an unusable data dir must not stop the console
                self._set_problem(f"the event log could not be opened: {exc}")
                return
            log.add_listener(self._committed)
            self.log = log
            if log.recovered_from is not None:
                self.problem = f"the event log was damaged and set aside as {log.recovered_from}"
        await self.refresh_credentials()
        await self._listen()
        if self._tick is None:
            self._tick = asyncio.get_running_loop().create_task(self._ticking())

    async def _listen(self) -> None:
        from console.receiver.thread import ThreadedReceiver

        assert self.log is not None
        receiver = ThreadedReceiver(
            self.log, lambda: self._known, host=self.host, port=self.port,
            on_change=self._schedule_stats, routes=self.routes,
        )  # fmt: skip
        note = ""
        try:
            await receiver.start()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if self.settings.contains("receiver/port") or self.port == 0:
                self._set_problem(f"cannot listen on {self.host}:{self.port}: {reason}")
                return
            # The default port is taken (another console?): any free port beats no receiver.
            receiver.port = 0
            try:
                await receiver.start()
            except OSError as again:
                self._set_problem(f"cannot listen on {self.host}: {again.strerror or again}")
                return
            note = (
                f"Port {self.port} was busy ({reason}), so the receiver took port "
                f"{receiver.port}; point your tunnel there or pick a port in the settings."
            )
        self.receiver = receiver
        if not self.problem.startswith("the event log was damaged"):
            self.problem = note or self.log.unavailable
        self._update_demo_credential()
        self._push_receiver_url()
        self._publish()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._tick is not None:
            self._tick.cancel()
            await asyncio.gather(self._tick, return_exceptions=True)
            self._tick = None
        if self._stats_handle is not None:
            self._stats_handle.cancel()
            self._stats_handle = None
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            await receiver.stop(drain_s=1.0)
        log, self.log = self.log, None
        if log is not None:
            log.remove_listener(self._committed)
            await log.close()

    async def restart(self, host: str, port: int) -> None:
        """New listening address: stop, save, listen again (the log stays open)."""
        self.settings.setValue("receiver/host", host)
        self.settings.setValue("receiver/port", port)
        self.settings.sync()
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            await receiver.stop(drain_s=1.0)
        self.problem = ""
        if self.log is None:
            await self.start()
        else:
            await self._listen()
        self._push_receiver_url()

    # --- accounts -------------------------------------------------------------------------------
    def set_demo_account(self, auth_id: str, token: str) -> None:
        """The demo account verifies on the receiver's own loopback URL (the simulator calls it
        directly, no tunnel)."""
        self._demo = (auth_id, token)
        self._update_demo_credential()

    def _update_demo_credential(self) -> None:
        if self._demo is None or self.receiver is None:
            return
        from console.receiver.server import Credential  # after: aiohttp, while nothing listens

        url = self.local_callback_url()
        self._known = [c for c in self._known if c.auth_id != self._demo[0]]
        self._known.append(Credential(self._demo[0], self._demo[1], url))

    async def refresh_credentials(self) -> None:
        """Tokens of every saved profile that has a public URL (read off the GUI thread by the
        credential store); a profile whose token cannot be read is skipped, not fatal."""
        from console.receiver.server import Credential, callback_url

        known: list[Credential] = []
        for profile in self.profiles.list():
            if not profile.public_url:
                continue
            try:
                secret = await self.credentials.get(profile.profile_id)
            except Exception as exc:
                _log.info("no token for %s's callbacks: %s", profile.display_name, exc)
                continue
            if secret is not None:
                url = callback_url(profile.public_url)
                known.append(Credential(profile.auth_id, secret.reveal(), url))
        self._known = known
        self._update_demo_credential()

    @property
    def profile(self) -> Profile | None:
        return self.active.profile

    def profile_activated(self, _profile: Profile | None) -> None:
        """The active account, or its settings, changed: the stream form's toggle and the open
        dialog follow its URL."""
        self._push_receiver_url()
        if self.dialog is not None:
            self._fill_dialog(self.dialog)

    def local_callback_url(self) -> str:
        if self.receiver is None:
            return ""
        from console.receiver.server import CALLBACK_PATH  # after: aiohttp, once one listens

        return self.receiver.local_url + CALLBACK_PATH

    def callback_url_for(self, profile: Profile | None) -> str | None:
        """The status_callback_url streams of `profile` should use (None: callbacks cannot reach
        this console yet)."""
        if profile is None or self.receiver is None:
            return None
        from console.receiver.server import callback_url  # after: aiohttp, once one listens

        if profile.demo:
            return self.local_callback_url()
        return callback_url(profile.public_url) if profile.public_url else None

    def _push_receiver_url(self) -> None:
        if self.form is not None:
            self.form.set_receiver_url(self.callback_url_for(self.profile))

    # --- dialog ---------------------------------------------------------------------------------
    def open_dialog(self) -> ReceiverDialog:
        if self.dialog is None:
            from console.ui.receiver_dialog import ReceiverDialog

            self.dialog = ReceiverDialog(self.window)
            self.dialog.save_requested.connect(self._save_requested)
        self._fill_dialog(self.dialog)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _fill_dialog(self, dialog: ReceiverDialog) -> None:
        profile = self.profile
        dialog.set_profile(
            profile.display_name if profile else "",
            profile.public_url if profile else "",
            demo=bool(profile and profile.demo),
            local_url=self.receiver.local_url if self.receiver else "",
            plivo_api=not (profile and api_on_this_computer(profile.api_base_url)),
        )
        dialog.set_listen(self.host, self.port)
        dialog.set_status(self.status_text(self.snapshot()))
        dialog.show_error("")

    def _save_requested(self, public_url: str, host: str, port: int) -> None:
        self._spawn(self.save(public_url, host, port))

    def start_in_background(self) -> None:
        """`start()` without holding up the window (aiohttp's import and the bind take a moment);
        `stop()` cancels it if it has not finished."""
        self._spawn(self.start())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("receiver settings not applied", exc_info=task.exception())

    async def save(self, public_url: str, host: str, port: int) -> None:
        """What the dialog's Save does: keep the profile's URL, listen where asked."""
        profile = self.profile
        if profile is not None and not profile.demo:
            self.profiles.set_public_url(profile.profile_id, public_url)
            await self.refresh_credentials()  # before anyone can send to the new address
            self.active.reload()  # every listener follows the new address at once
        current = self.receiver
        if current is None or host != self.host or port != self.port:
            await self.restart(host, port)
        self._push_receiver_url()
        if self.dialog is not None:
            self._fill_dialog(self.dialog)
            if self.receiver is None:
                self.dialog.show_error(self.problem)

    # --- reporting ------------------------------------------------------------------------------
    def _committed(self, events: list[StoredEvent]) -> None:
        self.feed.events_committed.emit(events)

    def _schedule_stats(self) -> None:
        if self._stats_handle is None:
            loop = asyncio.get_running_loop()
            self._stats_handle = loop.call_later(STATS_INTERVAL_S, self._publish)

    async def _ticking(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            self._publish()

    def _set_problem(self, problem: str) -> None:
        self.problem = problem
        _log.warning("callback receiver: %s", problem)
        self._publish()

    def snapshot(self) -> ReceiverStatus:
        receiver = self.receiver
        if receiver is None:
            return ReceiverStatus(listening=False, problem=self.problem)
        s = receiver.stats
        return ReceiverStatus(
            listening=True,
            local_url=receiver.local_url,
            per_minute=s.per_minute(),
            accepted=s.accepted,
            rejected=s.rejected,
            replays=s.replays,
            not_stored=s.unavailable,
            problem=self.problem or (self.log.unavailable if self.log else ""),
        )

    @staticmethod
    def status_text(status: ReceiverStatus) -> str:
        if not status.listening:
            return f"Receiver: off — {status.problem}" if status.problem else "Receiver: off"
        text = (
            f"Listening on {status.local_url}. {status.accepted} events kept, "
            f"{status.per_minute} in the last minute, {status.rejected} requests refused, "
            f"{status.replays} replays ignored, {status.not_stored} not stored (asked to retry)."
        )
        return f"{text} {status.problem}" if status.problem else text

    def _publish(self) -> None:
        self._stats_handle = None
        status = self.snapshot()
        self.stats_changed_count += 1
        if not status.listening:
            health = Health.ERROR if status.problem else Health.UNKNOWN
            self.window.set_light(
                "receiver", health, "off", self.status_text(status) + " Click for settings."
            )
        else:
            parts = [f"{status.per_minute}/min"]
            if status.rejected:
                parts.append(f"{status.rejected} refused")
            health = Health.WARNING if (status.problem or status.not_stored) else Health.OK
            self.window.set_light(
                "receiver", health, "listening · " + " · ".join(parts),
                self.status_text(status) + " Click for settings.",
            )  # fmt: skip
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.set_status(self.status_text(status))
        self.feed.stats_changed.emit(status)
