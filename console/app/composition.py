"""The composition root: builds the services and the window, wires intents to work, and takes it
all down again. Nothing else constructs services; widgets get only what they present. Where this
sits among app/'s rooms, and how a callback reaches the screen: docs/architecture.md."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from console.app.controllers.accounts import AccountsController
from console.app.controllers.activity import ActivityController
from console.app.controllers.api_status import ApiStatus
from console.app.controllers.calls import REFRESH_INTERVAL_S, CallsController
from console.app.controllers.help import HelpController
from console.app.controllers.monitor import MONITOR_PATH, MonitorController, is_monitor_url
from console.app.controllers.service_check import ServiceCheckController
from console.app.controllers.streams import StreamsController
from console.app.runtime.error_hooks import ErrorHooks
from console.app.runtime.gc_guard import MainThreadCollector
from console.app.runtime.settings import ProfileRepository
from console.app.runtime.tasks import TaskRunner
from console.app.services.active_account import ActiveAccount
from console.app.services.binding import AccountBinding
from console.app.services.demo import DEMO_PROFILE_ID, DemoBackend
from console.app.services.history import ActivityHistory, CurrentHistory, TeamHistory
from console.app.services.notices import Notices
from console.app.services.team_settings import team_switched_on
from console.app.services.token_source import StoredToken
from console.app.shell import APP_TITLE, build_main_window
from console.credentials import (
    CredentialStore,
    KeyringCredentialStore,
    LayeredCredentialStore,
    MemoryCredentialStore,
)
from console.domain.accounts import Profile
from console.ui.banners import Level
from console.ui.call_pane import CallPane
from console.ui.calls_region import CallsRegion
from console.ui.calls_view import CallsView
from console.ui.desktop_notifier import DesktopNotifier
from console.ui.dialogs import Dialogs
from console.ui.main_window import MainWindow
from console.ui.status_indicator import Health

if TYPE_CHECKING:
    from console.api import PlivoClient, TokenSource
    from console.app.controllers.callback_reactions import CallbackReactions
    from console.app.controllers.events import CallbackTarget, EventsController
    from console.app.controllers.setups import SetupsController
    from console.app.services.receiver import ReceiverService
    from console.app.services.team import TeamDatabaseService
    from console.store.activity_log import ActivityLog
    from console.ui.events_pane import EventsPane
    from console.ui.stream_form import StreamForm

_log = logging.getLogger(__name__)
SHUTDOWN_BUDGET_S = 2.5
FIRST_CALLS_WAIT_S = 2.0  # services start then at the latest, first calls listed or not
DEMO_LABEL = "Demo account (simulator)"


class ConsoleApp:
    """One running console: window, controllers, services, and their lifetime."""

    def __init__(
        self,
        settings: QSettings,
        *,
        demo: bool = False,
        log_dir: Path | None = None,
        data_dir: Path | None = None,
        keyring_store: CredentialStore | None = None,
        window: MainWindow | None = None,
        demo_backend: DemoBackend | None = None,
        refresh_interval_s: float = REFRESH_INTERVAL_S,
        settle_heap: bool = False,
    ) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            # Closing the window must not stop the loop before shutdown has run on it.
            app.setQuitOnLastWindowClosed(False)
        self.settings = settings
        self.demo = demo
        self.log_dir = log_dir
        self.tasks = TaskRunner(on_error=self._task_failed)
        self.hooks = ErrorHooks(self.report_error)
        self.profiles = ProfileRepository(settings)
        self.active = ActiveAccount(self.profiles)  # "the active account changed": one signal
        self.credentials = LayeredCredentialStore(
            keyring_store if keyring_store is not None else KeyringCredentialStore(),
            MemoryCredentialStore(),
        )
        self.closed: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.collector = MainThreadCollector()
        self._settle_heap = settle_heap  # the app's own process only: see _start_services
        self.demo_backend = demo_backend if demo_backend is not None else DemoBackend()
        self.binding: AccountBinding | None = None
        self.data_dir = data_dir
        # The receiver and the team database: built with the services (their imports would
        # hold the window back), or when first asked for.
        self._service_parts: tuple[ReceiverService, TeamDatabaseService] | None = None
        self._demo_account: tuple[str, str] | None = None  # (auth id, token) for the receiver
        self.activity_log: ActivityLog | None = None  # this computer's history, with the services
        self._closing_clients: list[PlivoClient] = []  # switched from, requests still under way
        # Start-up milestones (benchmarks/startup.py prints them): the window usable (composed,
        # titled, the calls region loading), the first calls listed, every service started.
        self.usable = asyncio.Event()
        self.first_calls = asyncio.Event()
        self.services_ready = asyncio.Event()

        calls_view = self._build_window(window, demo)
        self._build_notices(settings)
        self._build_controllers(calls_view, data_dir, refresh_interval_s)
        self._connect_window(data_dir, log_dir)
        self.window.restore_layout(settings)
        # Only the list here: the title and lights wait for the account (no "Stream Console"
        # flashing between the first paint's account title and the account's own).
        self._set_profile_entries()
        self.window.set_light(
            "receiver", Health.UNKNOWN, "off", "The status-callback receiver is not running."
        )
        self._wire_service_requests()

    def _build_window(self, window: MainWindow | None, demo: bool) -> CallsView:
        self.window: MainWindow = window if window is not None else build_main_window(demo=demo)
        calls_view = CallsView()
        self.calls_view = calls_view
        region, pane = CallsRegion(calls_view), CallPane()  # its form comes with its first use
        self.window.set_regions(region, pane)
        self.region: CallsRegion = region
        self.pane: CallPane = pane
        self.dialogs = Dialogs(self.window)
        return calls_view

    def _build_notices(self, settings: QSettings) -> None:
        self.notifier = DesktopNotifier(settings, self.window)
        self.notices = Notices(self.window, self.pane, self.notifier)

    def _build_controllers(
        self, calls_view: CallsView, data_dir: Path | None, refresh_interval_s: float
    ) -> None:
        self.accounts = AccountsController(
            self.profiles, self.credentials, self.tasks, self.window, notices=self.notices
        )
        self.status = ApiStatus(self.window, self.notices)
        self.status.retry_requested.connect(self.refresh_now)
        self.status.reenter_token_requested.connect(self._reenter)
        self.calls = CallsController(
            calls_view, self.pane, self.status, self.tasks, interval_s=refresh_interval_s
        )
        self.history = CurrentHistory(None)  # this computer's history once the services start
        self.streams = StreamsController(
            self.pane, calls_view, self.tasks, self.dialogs, self.history, self.notices
        )
        self.streams.recent_urls_changed.connect(self._save_recent_urls)
        self._setups: SetupsController | None = None
        self.pane.form_built.connect(self._attach_form)
        self.accounts.profiles_changed.connect(lambda changed: self.setups.profile_changed(changed))
        self.calls.refreshed.connect(self.streams.on_calls_refreshed)
        self.activity = ActivityController(self.history, self.dialogs, self.tasks, self.window)
        self._event_side: tuple[EventsPane, EventsController, CallbackReactions] | None = None
        self._shutting_down = False
        self._services_started = False
        self._services_task: asyncio.Task[None] | None = None
        recordings = data_dir / "recordings" if data_dir else None
        self.monitor = MonitorController(self.window, self.tasks, recordings)
        self.service_check = ServiceCheckController(self.pane, self.tasks, self.window)

    @property
    def form(self) -> StreamForm:
        """The stream form: built with its first use (the account's activation, just after the
        window is usable), not with the window."""
        return self.pane.form

    @property
    def setups(self) -> SetupsController:
        """The form's setups; asking for them builds the form they drive."""
        self.pane.form  # noqa: B018 - built with its first use, which attaches the controller
        assert self._setups is not None
        return self._setups

    def _attach_form(self, form: StreamForm) -> None:
        """The form, once built: its setups, its label in the activity history, and the
        monitor's switch under its Stream URL."""
        from console.app.controllers.setups import SetupsController

        self._setups = SetupsController(
            form, self.settings, self.profiles, self.tasks, self.notices, self.window
        )
        form.setup_label_changed.connect(self.streams.use_setup_label)
        self.monitor.attach_toggle(self.pane.add_monitor_toggle())

    def _connect_window(self, data_dir: Path | None, log_dir: Path | None) -> None:
        self.window.manage_accounts_requested.connect(lambda: self.accounts.open_dialog())
        self.window.profile_selected.connect(self.select_profile)
        self.window.refresh_requested.connect(self.refresh_now)
        self.window.open_logs_requested.connect(self._open_logs)
        self.help = HelpController(self.window, self.tasks, data_dir=data_dir, log_dir=log_dir)
        self.window.about_requested.connect(self.help.about)
        self.window.self_test_requested.connect(self.help.self_test)
        self.window.activity_requested.connect(self.activity.open_dialog)
        self.window.close_requested.connect(self._on_close_requested)
        self.region.add_account_requested.connect(lambda: self.accounts.open_dialog(new=True))
        self.region.demo_requested.connect(lambda: self.select_profile(DEMO_PROFILE_ID))
        self.accounts.profiles_changed.connect(self._on_profiles_changed)

    def _wire_service_requests(self) -> None:
        """What the agent can ask of the receiver and the team database before they are built:
        their lights and menu entries open their settings (building them if need be)."""
        self.active.changed.connect(self._follow_account)
        self.accounts.profiles_changed.connect(self._receiver_accounts_changed)
        self.window.add_view_toggle(self.notifier.toggle_action())
        self.window.offer_settings_from("receiver")  # its clicks: receiver_settings_requested
        self.window.offer_settings_from("team")  # its clicks: team_database_requested
        self.window.receiver_settings_requested.connect(lambda: self.receiver.open_dialog())
        self.window.team_database_requested.connect(lambda: self.team.open_dialog())
        if team_switched_on(self.settings):  # it connects with the services
            self.window.set_light(
                "team", Health.BUSY, "starting…",
                "Team database: connects once the first calls are listed. Click for settings.",
            )  # fmt: skip

    def _services(self) -> tuple[ReceiverService, TeamDatabaseService]:
        """The receiver (status callbacks, the event log: `receiver.feed` and `receiver.log` for
        the pane), the team database and this computer's activity history, built once."""
        if self._service_parts is not None:
            return self._service_parts
        from console.app.services.receiver import ReceiverService
        from console.app.services.team import TeamDatabaseService
        from console.store.activity_log import ActivityLog

        receiver = ReceiverService(
            self.settings, self.profiles, self.credentials, self.data_dir, self.window,
            self.active, form=self.pane,
        )  # fmt: skip
        # Team mode: the pane, reactions and history follow the team database while it is open.
        team = TeamDatabaseService(self.settings, self.credentials, self.window)
        self._service_parts = receiver, team
        receiver.feed.stats_changed.connect(self._on_receiver_status)
        # A real account's tunnel reaches only the receiver's port: it relays the monitor's path.
        receiver.routes[MONITOR_PATH] = self.monitor.forward
        if self._demo_account is not None:
            receiver.set_demo_account(*self._demo_account)
        team.changed.connect(self._on_team_changed)
        receiver.feed.events_committed.connect(team.copy_local)
        if self.data_dir is not None:
            self.activity_log = ActivityLog(self.data_dir / "stream-console.sqlite3")
            self.history.use(self.activity_log)
        return self._service_parts

    @property
    def receiver(self) -> ReceiverService:
        return self._services()[0]

    @property
    def team(self) -> TeamDatabaseService:
        return self._services()[1]

    def _receiver_accounts_changed(self, _profile_id: str) -> None:
        if self._service_parts is not None:  # else it reads them when built
            self.tasks.run("receiver-accounts", self.receiver.refresh_credentials())

    # --- lifetime -------------------------------------------------------------------------------
    async def run(self) -> None:
        """Show the window, connect to the current account, return when the agent closes it."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self.closed = loop.create_future()
        self.hooks.install(loop)
        self.collector.start()
        self.window.show()
        self.calls.refreshed.connect(self.first_calls.set)
        # Not one of `tasks`: it is the console's own start-up, not work to count or report.
        self._services_task = loop.create_task(self._start_services())
        self._services_task.add_done_callback(self._services_started_or_failed)
        initial = DEMO_PROFILE_ID if self.demo else self.profiles.current_id()
        await self.activate(initial)
        await self.closed

    async def _start_services(self) -> None:
        """The receiver, event log, activity history, team connection and monitor start once
        the first calls are listed (they are not needed to list them, and their imports and
        files would hold the list back), or after FIRST_CALLS_WAIT_S if Plivo is slow. No
        callback can come before: a stream is started on a listed call, after this."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.first_calls.wait(), FIRST_CALLS_WAIT_S)
        if self.binding is not None and self.region.showing_calls:
            self.region.show_calls()  # the keyboard in the list, now that it has rows to move in
        self._services()
        self._build_event_side()  # before the receiver: every callback finds its reactions
        await self.receiver.start()  # first: the stream form offers its URL once it listens
        if self.activity_log is not None:
            await self._open_activity_log(self.activity_log)
        self.team.start_in_background()
        self._services_started = True
        profile = self.active.profile  # its settings as saved now, not when it was chosen
        if profile is not None and (profile.demo or profile.public_url):
            await self.monitor.ensure_started()
        if self._settle_heap:
            # Everything started is here to stay: later full collections skip it.
            self.collector.settle()
        self.services_ready.set()

    def _services_started_or_failed(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._task_failed("start-services", task.exception() or RuntimeError())

    def _show_loading(self, label: str, why: str) -> None:
        """The account's title and "Loading calls…" at once, before its client (and, for the
        demo, the simulator) is even imported."""
        self.window.setWindowTitle(label)
        self.calls_view.set_empty_text("Loading calls…", why)
        self.region.show_calls()
        self.window.repaint()  # on screen now: what comes next imports for a while
        self.usable.set()

    async def _open_activity_log(self, log: ActivityLog) -> None:
        try:
            await log.open()
        except Exception as exc:
            self.activity_log = None
            if self.team.activity is None:  # the team history, when open, keeps recording
                self.history.use(None)
            self.notices.problem(
                "activity", Level.WARNING,
                "The activity history could not be opened, so starts and stops are not being "
                "recorded this session.", f"{type(exc).__name__}: {exc}",
            )  # fmt: skip
            return
        if log.recovered_from is not None:
            self.notices.problem(
                "activity", Level.WARNING,
                "The activity history file was damaged; it was set aside and a new one started.",
                f"Old file kept as {log.recovered_from}",
            )  # fmt: skip

    def _on_close_requested(self) -> None:
        self.window.save_layout(self.settings)
        if self.closed is not None and not self.closed.done():
            self.closed.set_result(None)

    async def shutdown(self) -> float:
        """Cancel every task and close every service; returns the seconds it took."""
        started = time.monotonic()
        self.calls.bind(None)
        self.streams.bind(None)
        if self._services_task is not None:
            self._services_task.cancel()  # and let it finish before the services stop
            await asyncio.gather(self._services_task, return_exceptions=True)
        self._shutting_down = True  # the event pane no longer follows the receiver
        if self._event_side is not None:
            _pane, events, reactions = self._event_side
            events.bind(None, None)
            reactions.bind(None, None)
        await self.tasks.cancel_all(timeout_s=SHUTDOWN_BUDGET_S)
        await self.monitor.stop()
        binding, self.binding = self.binding, None
        if binding is not None:
            await binding.client.aclose()
        for client in self._closing_clients:  # their requests were cancelled above
            await client.aclose()
        self._closing_clients = []
        await self.demo_backend.stop()
        if self._service_parts is not None:
            await self.receiver.stop()
            await self.team.stop()
        if self.activity_log is not None:
            await self.activity_log.close()
        self.hooks.uninstall(self._loop)
        self.collector.stop()
        self.window.hide()
        took = time.monotonic() - started
        _log.info("shut down in %.2f s", took)
        return took

    # --- accounts -------------------------------------------------------------------------------
    def select_profile(self, profile_id: str) -> None:
        if self.binding is None or self.binding.profile.profile_id != profile_id:
            self.tasks.run("activate", self.activate(profile_id))

    async def activate(self, profile_id: str | None) -> AccountBinding | None:
        """Connect to `profile_id` ("demo" for the simulator, None for nobody yet)."""
        old, self.binding = self.binding, None
        self.calls.bind(None)
        self.streams.bind(None)
        self._event_pane_account_changed()
        if old is not None:
            await self._retire(old.client)
        tokens: TokenSource
        if profile_id == DEMO_PROFILE_ID:
            self._show_loading(DEMO_LABEL, "Starting the Plivo simulator for the demo account.")
            self.window.set_light("api", Health.BUSY, "starting the simulator…")
            await asyncio.sleep(0)  # whatever waits for the window to be usable runs first
            from console.api import StaticToken  # with httpx: once the window is usable

            profile = await self.demo_backend.start()
            tokens = StaticToken(self.demo_backend.token)
            self._demo_account = (profile.auth_id, self.demo_backend.token)
            if self._service_parts is not None:
                self.receiver.set_demo_account(*self._demo_account)
        else:
            found = self.profiles.get(profile_id) if profile_id else None
            if found is None:
                self.active.choose(None)
                self._refresh_profile_list()
                self.region.show_first_run()
                self.pane.show_call(None)
                self.usable.set()
                self.first_calls.set()  # no calls to list: the services need not wait
                return None
            profile = found
            self._show_loading(found.display_name, f"Asking Plivo for {found.display_name}'s calls")
            tokens = StoredToken(self.credentials, profile.profile_id, profile.auth_id)
            self.profiles.set_current(profile.profile_id)
        from console.api import PlivoClient  # with httpx: once the window is usable

        client = PlivoClient(profile.auth_id, tokens, profile.api_base_url, observer=self.status)
        binding = AccountBinding(
            profile, client, simulator=profile.demo,
            media_sink_url=self.demo_backend.media_sink_url if profile.demo else None,
            broken_example_url=self.demo_backend.refusing_sink_url if profile.demo else None,
        )  # fmt: skip
        self.binding = binding
        if (profile.demo or profile.public_url) and self._services_started:
            await self.monitor.ensure_started()
        self.pane.set_recent_service_urls(self._recent_urls(binding))
        # Demo: a stream URL that works out of the box (the simulator's own media sink), kept
        # by Restore defaults. Each account gets its own last form and setups.
        self.setups.switch_to(
            profile.profile_id, binding.target, default_service_url=binding.media_sink_url or ""
        )
        self.active.choose(profile)
        self.streams.bind(binding)
        self.calls.bind(binding)
        self.region.show_calls()
        self._refresh_profile_list()
        self.window.set_light("api", Health.BUSY, "connecting…")
        return binding

    async def _retire(self, client: PlivoClient) -> None:
        """The account switched from: its requests under way (a start, a stop, a read) still
        end with their answers, then its connections close. Shutdown waits for a close still to
        come."""
        await client.aclose()
        self._closing_clients = [c for c in self._closing_clients if not c.shut]
        if not client.shut:
            self._closing_clients.append(client)

    def _follow_account(self, profile: Profile | None) -> None:
        """Another account, or the same one's settings saved: the monitor's address and the last
        test callback's verdict (about the old address) follow at once."""
        self._event_pane_account_changed()
        public_url = profile.public_url if profile is not None and profile.public_url else None
        if profile is not None and (profile.demo or public_url) and self._services_started:
            self.tasks.run("monitor-start", self.monitor.ensure_started())
        self.monitor.set_demo(bool(profile and profile.demo))
        self.monitor.set_public_url(public_url)

    def _set_profile_entries(self) -> None:
        entries = [(p.profile_id, p.display_name) for p in self.profiles.list()]
        entries.append((DEMO_PROFILE_ID, DEMO_LABEL))
        current = self.binding.profile.profile_id if self.binding else None
        self.window.set_profiles(entries, current)

    def _refresh_profile_list(self) -> None:
        self._set_profile_entries()
        # "Support EU — Stream Console": Qt adds the application's name to any other title.
        self.window.setWindowTitle(self.binding.profile.display_name if self.binding else APP_TITLE)
        if self.binding is None:
            self.window.set_light(
                "account", Health.WARNING, "none", "Add an account, or try the demo account"
            )
            self.window.set_light("api", Health.UNKNOWN, "not connected")
            return
        profile = self.binding.profile
        where = "the embedded simulator" if profile.demo else profile.api_base_url
        self.window.set_light(
            "account", Health.OK, profile.display_name, f"{profile.auth_id} at {where}"
        )

    def _on_profiles_changed(self, changed: str) -> None:
        """Edited or re-entered credentials take effect at once; a removed profile disconnects.
        Another account added, edited or removed leaves the one in use, and the call the agent
        has selected, alone."""
        current = self.binding.profile.profile_id if self.binding else None
        if current == DEMO_PROFILE_ID or (current is not None and changed != current):
            self._refresh_profile_list()
            return
        wanted = current if current and self.profiles.get(current) else self.profiles.current_id()
        self.tasks.run("activate", self.activate(wanted))

    def _reenter(self) -> None:
        binding = self.binding
        current = binding.profile.profile_id if binding and not binding.profile.demo else None
        self.accounts.open_for_reentry(current, self.status.last_error)

    def _recent_urls(self, binding: AccountBinding) -> list[str]:
        stored = self.settings.value(f"recent_service_urls/{binding.profile.profile_id}", [])
        urls = (
            [str(u) for u in stored]
            if isinstance(stored, list)
            else ([str(stored)] if stored else [])
        )
        for example in (binding.broken_example_url, binding.media_sink_url):
            if example and example not in urls:  # the demo's good (first) and broken examples
                urls.insert(0, example)
        return urls

    def _save_recent_urls(self, urls: list[str]) -> None:
        """Kept per account, without the monitor's URL: it carries this session's key (a new one
        every start), which never goes to the settings file."""
        if self.binding is not None:
            kept = [u for u in urls if not is_monitor_url(u)]
            self.settings.setValue(f"recent_service_urls/{self.binding.profile.profile_id}", kept)

    def _on_receiver_status(self, _status: object) -> None:
        """The event pane reads the receiver's log once it is open, and follows its commits
        (unless the team database is open: then it follows that)."""
        if self.team.log is not None:
            return
        log = self.receiver.log
        if log is not self.events.reader and not self._shutting_down:
            self.events.bind(log, self.receiver.feed if log is not None else None)
            self.reactions.bind(log, self.receiver.feed if log is not None else None)

    def _on_team_changed(self) -> None:
        """The team database opened or closed: the pane, the reactions and the activity history
        switch to it, or back to this computer's files."""
        if self._shutting_down:
            return
        team_log = self.team.log
        if team_log is not None:
            self.events.bind(team_log, self.team.feed, export_all=self.team.export_events)
            self.reactions.bind(team_log, self.team.feed)
            team = self.team.activity
            history: ActivityHistory | None = (
                TeamHistory(team, self.activity_log) if team is not None else None
            )
        else:
            log = self.receiver.log
            feed = self.receiver.feed if log is not None else None
            self.events.bind(log, feed)
            self.reactions.bind(log, feed)
            history = self.activity_log
        self.history.use(history)
        if self.activity.dialog is not None and self.activity.dialog.isVisible():
            self.activity.reload()

    # --- the event pane -------------------------------------------------------------------------
    def _build_event_side(self) -> None:
        """The event pane, its controller and the callback reactions: built with the services,
        once the first calls are listed (their imports would hold the window back), or when
        first asked for. Until then the first paint's placeholder says events appear once the
        receiver runs, and nothing can call back: the receiver starts after this."""
        if self._event_side is not None:
            return
        from console.app.controllers.callback_reactions import CallbackReactions
        from console.app.controllers.events import EventsController
        from console.ui.events_pane import EventsPane

        pane = EventsPane()
        self.window.set_events_region(pane)
        events = EventsController(pane, self.tasks, self.dialogs, self._callback_target)
        events.bind(None, None)  # no receiver yet: the pane says so
        self.calls_view.call_selected.connect(pane.set_selected_call)
        pane.set_selected_call(self.calls_view.selected_call())
        # Callbacks move the streams table, the counts, banners and the call's timeline.
        reactions = CallbackReactions(
            self.pane, self.calls_view, self.streams, self.notices, self.tasks
        )
        self._event_side = (pane, events, reactions)

    @property
    def events_pane(self) -> EventsPane:
        self._build_event_side()
        assert self._event_side is not None
        return self._event_side[0]

    @property
    def events(self) -> EventsController:
        self._build_event_side()
        assert self._event_side is not None
        return self._event_side[1]

    @property
    def reactions(self) -> CallbackReactions:
        self._build_event_side()
        assert self._event_side is not None
        return self._event_side[2]

    def _event_pane_account_changed(self) -> None:
        if self._event_side is not None:  # else there is no verdict to clear yet
            self._event_side[1].account_changed()

    async def _callback_target(self) -> CallbackTarget | str:
        """Where "Send test callback" posts, signed with the current account's token."""
        binding = self.binding
        if binding is None:
            return "Choose an account first: the test callback is signed with its token."
        if self._service_parts is None or self.receiver.receiver is None:
            return "The callback receiver is not running, so there is nowhere to send a test."
        url = self.receiver.callback_url_for(self.active.profile)
        if not url:
            return (
                "This account has no public URL yet: click Receiver in the status bar and enter "
                "your tunnel's address."
            )
        if binding.profile.demo:
            token = self.demo_backend.token
        else:
            profile = binding.profile
            token = await StoredToken(self.credentials, profile.profile_id, profile.auth_id).token()
        if not token:
            return "This account has no token stored; enter it in Manage accounts."
        from console.app.controllers.events import CallbackTarget

        return CallbackTarget(url, token)

    def refresh_now(self) -> None:
        self.calls.refresh_now()
        call = self.pane.call
        if call is not None:
            self.streams.reload(call.call_uuid)

    # --- errors ---------------------------------------------------------------------------------
    def report_error(self, message: str, detail: str) -> None:
        self.notices.problem("unexpected", Level.ERROR, message, detail)

    def _task_failed(self, name: str, exc: BaseException) -> None:
        self.hooks.handle(exc, f"background task {name}")

    # --- help -----------------------------------------------------------------------------------
    def _open_logs(self) -> None:
        if self.log_dir is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_dir)))
