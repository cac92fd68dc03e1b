"""The composition root: builds the services and the window, wires intents to work, and takes it
all down again. Nothing else constructs services; widgets get only what they present."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox

from console import __version__
from console.app.accounts import AccountsController
from console.app.error_hooks import ErrorHooks
from console.app.gc_guard import MainThreadCollector
from console.app.settings import ProfileRepository
from console.app.shell import build_main_window
from console.app.tasks import TaskRunner
from console.credentials import (
    CredentialStore,
    KeyringCredentialStore,
    LayeredCredentialStore,
    MemoryCredentialStore,
)
from console.ui.banners import Level
from console.ui.main_window import MainWindow
from console.ui.status_indicator import Health

_log = logging.getLogger(__name__)
SHUTDOWN_BUDGET_S = 2.5


class ConsoleApp:
    """One running console: window, controllers, services, and their lifetime."""

    def __init__(
        self,
        settings: QSettings,
        *,
        demo: bool = False,
        log_dir: Path | None = None,
        keyring_store: CredentialStore | None = None,
        window: MainWindow | None = None,
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
        self.credentials = LayeredCredentialStore(
            keyring_store if keyring_store is not None else KeyringCredentialStore(),
            MemoryCredentialStore(),
        )
        self.closed: asyncio.Future[None] | None = None
        self.collector = MainThreadCollector()
        self._loop: asyncio.AbstractEventLoop | None = None

        self.window = window if window is not None else build_main_window(demo=demo)
        self.accounts = AccountsController(self.profiles, self.credentials, self.tasks, self.window)
        self.window.manage_accounts_requested.connect(lambda: self.accounts.open_dialog())
        self.window.profile_selected.connect(self._on_profile_selected)
        self.window.open_logs_requested.connect(self._open_logs)
        self.window.about_requested.connect(self._about)
        self.window.close_requested.connect(self._on_close_requested)
        self.accounts.profiles_changed.connect(self._refresh_profiles)
        for button in getattr(self.window.calls_region, "buttons", []):
            if button.text() == "Add account…":
                button.clicked.connect(lambda: self.accounts.open_dialog(new=True))
        self.window.restore_layout(settings)
        self._refresh_profiles()
        self.window.receiver_status.set_state(
            Health.UNKNOWN, "off", "The status-callback receiver is not running."
        )

    # --- lifetime -------------------------------------------------------------------------------
    async def run(self) -> None:
        """Show the window and return when the agent closes it."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self.closed = loop.create_future()
        self.hooks.install(loop)
        self.collector.start()
        self.window.show()
        await self.closed

    def _on_close_requested(self) -> None:
        self.window.save_layout(self.settings)
        if self.closed is not None and not self.closed.done():
            self.closed.set_result(None)

    async def shutdown(self) -> float:
        """Cancel every task and close every service; returns the seconds it took."""
        started = time.monotonic()
        await self.tasks.cancel_all(timeout_s=SHUTDOWN_BUDGET_S)
        self.hooks.uninstall(self._loop)
        self.collector.stop()
        self.window.hide()
        took = time.monotonic() - started
        _log.info("shut down in %.2f s", took)
        return took

    # --- errors ---------------------------------------------------------------------------------
    def report_error(self, message: str, detail: str) -> None:
        self.window.banners.show_banner("unexpected", Level.ERROR, message, detail)

    def _task_failed(self, name: str, exc: BaseException) -> None:
        self.hooks.handle(exc, f"background task {name}")

    # --- accounts -------------------------------------------------------------------------------
    def _refresh_profiles(self) -> None:
        profiles = self.profiles.list()
        current = self.profiles.current_id()
        if self.demo:
            self.window.set_profiles([("demo", "Demo account (simulator)")], "demo")
            self.window.account_status.set_state(Health.OK, "Demo account")
            self.window.api_status.set_state(Health.UNKNOWN, "simulator")
            return
        self.window.set_profiles([(p.profile_id, p.display_name) for p in profiles], current)
        chosen = next((p for p in profiles if p.profile_id == current), None)
        if chosen is None:
            self.window.account_status.set_state(Health.WARNING, "none", "Add an account first")
            self.window.api_status.set_state(Health.UNKNOWN, "not connected")
        else:
            self.window.account_status.set_state(
                Health.OK, chosen.display_name, f"{chosen.auth_id} at {chosen.api_base_url}"
            )
            self.window.api_status.set_state(Health.UNKNOWN, "not connected")

    def _on_profile_selected(self, profile_id: str) -> None:
        if profile_id != "demo":
            self.profiles.set_current(profile_id)
            self._refresh_profiles()

    # --- help -----------------------------------------------------------------------------------
    def _open_logs(self) -> None:
        if self.log_dir is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_dir)))

    def _about(self) -> None:
        from PySide6 import __version__ as pyside_version

        QMessageBox.about(
            self.window,
            "About Stream Console",
            f"<b>Stream Console {__version__}</b><p>An operator console for Plivo's Audio Stream "
            f"API: start, watch and stop audio streams on live calls.</p><p>Qt for Python "
            f"{pyside_version}. Tokens are kept only in your operating system's keyring.</p>",
        )
