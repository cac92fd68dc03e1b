"""Team mode: this console reads callbacks from, and records its activity in, the team's shared
PostgreSQL (docs/team-console.md). Collectors write the callbacks; the event log's listeners (fed
by PostgreSQL LISTEN/NOTIFY) drive the same `CallbackFeed.events_committed` path the local
receiver drives, so the event pane, the streams table, banners and timelines follow it unchanged.

The address is kept in settings (`team/url`, `team/enabled`), the password in the credential
store under `PASSWORD_KEY`, never in settings or the log. Failing to connect is a status, never
an exception: the console keeps working on its own files and retries in the background."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Signal

from console.app.services.receiver import CallbackFeed
from console.app.services.team_settings import ENABLED_KEY, URL_KEY, team_switched_on, team_url
from console.credentials import CredentialError, CredentialStore
from console.domain.events import EventFilter, StoredEvent, kept_nonce
from console.domain.redaction import REDACTOR, redact_db_text, remember_url_passwords
from console.domain.secret import Secret
from console.domain.team_db import describe_team_url, readiness_verdict, team_url_problem
from console.ui.status_indicator import Health

if TYPE_CHECKING:
    from console.store.pg.activity_log import PgActivityLog
    from console.store.pg.event_log import PgEventLog
    from console.ui.main_window import MainWindow
    from console.ui.team_dialog import TeamDatabaseDialog  # loaded when first opened

_log = logging.getLogger(__name__)
PASSWORD_KEY = "team-database"  # the credential store's key (profile ids are 12 hex digits)
CONNECT_TIMEOUT_S = 10.0
RETRY_S = 5.0
HEALTH_INTERVAL_S = 1.0


@dataclass(frozen=True, slots=True)
class TeamStatus:
    """What the status bar and the dialog show."""

    health: Health
    short: str  # "connected", "reconnecting: <cause>", "off" (the status bar's text)
    text: str  # the whole sentence


def cause(reason: str, width: int = 48) -> str:
    """The last, most specific part of a driver's chain of reasons ("connection failed: …:
    Connection refused" -> "Connection refused"), scrubbed and cut to fit the status bar."""
    text = REDACTOR.redact(" ".join(reason.split()))
    last = text.rsplit(": ", 1)[-1].strip() or text
    return last if len(last) <= width else last[: width - 1] + "…"


def failure_text(exc: BaseException, url: str) -> str:
    """A driver or network failure in plain words, password scrubbed (docs/team-console.md):
    the URL's own password however a parser read it, and every registered secret."""
    raw = redact_db_text(" ".join(str(exc).split()), url)[:300]
    lowered = raw.lower()
    where = describe_team_url(url)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError) or "timeout" in lowered:
        return (
            f"No answer from {where} within {CONNECT_TIMEOUT_S:.0f} seconds: check the address, "
            "and whether a firewall drops the connection."
        )
    if "password" in lowered or "authentication" in lowered:
        return f"The server at {where} refused the user name or password: check both."
    if (
        isinstance(exc, ConnectionRefusedError)
        or "refused" in lowered
        or "connect call failed" in lowered
    ):
        return f"Nothing answers at {where}: is PostgreSQL running there, on that port?"
    unknown_name = any(
        words in lowered for words in ("translate host name", "resolve host", "name or service")
    )
    if (isinstance(exc, socket.gaierror) or unknown_name) and "does not exist" not in lowered:
        return f"The server name in {where} could not be found: check the address."
    if "does not exist" in lowered:
        return f"The server answered, but: {raw}."
    return f"Could not use {where}: {raw or type(exc).__name__}."


class TeamDatabaseService(QObject):
    """Owns the team event log and activity log while team mode is on."""

    changed = Signal()  # opened or closed: the composition rebinds the pane, reactions, history

    def __init__(
        self, settings: QSettings, credentials: CredentialStore, window: MainWindow
    ) -> None:
        super().__init__()
        self.settings = settings
        self.credentials = credentials
        self.window = window
        self.feed = CallbackFeed()
        self.log: PgEventLog | None = None
        self.activity: PgActivityLog | None = None
        self.dialog: TeamDatabaseDialog | None = None
        self.problem = ""  # why it is not connected (a sentence for the tooltip and dialog)
        self.problem_short = ""  # the same in a few words, for the status bar
        self._tasks: set[asyncio.Task[None]] = set()
        self._connector: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._last: TeamStatus | None = None
        self.copied = 0  # callbacks of this console's own receiver copied to the team database
        self.copy_failed = 0
        self._publish()

    # --- settings -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return team_url(self.settings)

    @property
    def switched_on(self) -> bool:
        """The On/Off setting as saved."""
        return team_switched_on(self.settings)

    @property
    def enabled(self) -> bool:
        """On, with an address that can work."""
        return self.switched_on and bool(self.url) and team_url_problem(self.url) is None

    async def password(self) -> str | None:
        """The stored password (None: none stored, or the keyring cannot say)."""
        try:
            secret = await self.credentials.get(PASSWORD_KEY)
        except CredentialError as exc:
            _log.warning("team database password not readable: %s", exc)
            return None
        return secret.reveal() if secret is not None else None

    # --- life cycle -----------------------------------------------------------------------------
    def start_in_background(self) -> None:
        if self.enabled:
            self._connector = self._spawn(self._connect_until_open())

    async def _connect_until_open(self) -> None:
        """Open both logs; on failure say why and try again every RETRY_S seconds."""
        while self.enabled and self.log is None:
            try:
                await self._open()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.problem = failure_text(exc, self.url)
                self.problem_short = cause(redact_db_text(str(exc), self.url))
                _log.warning("team database: %s", self.problem)
                self._publish()
                await asyncio.sleep(RETRY_S)
        self._connector = None

    async def _open(self) -> None:
        from console.store.pg.console_stores import open_console_stores

        url, password = self.url, await self.password()
        remember_url_passwords(url)
        # Two connections in all: LISTEN, and one pool both stores share (docs/team-mode.md).
        log, activity = await asyncio.wait_for(
            open_console_stores(url, password=password), CONNECT_TIMEOUT_S
        )
        log.add_listener(self._committed)
        self.log, self.activity, self.problem = log, activity, ""
        _log.info("team database open at %s", describe_team_url(url))
        if self._watch is None:
            self._watch = self._spawn(self._watching())
        self._publish()
        self.changed.emit()

    async def stop(self) -> None:
        """Close the team logs (the composition falls back to this computer's files)."""
        current = asyncio.current_task()  # a Save from the dialog stops, then starts again
        others = [task for task in self._tasks if task is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        self._connector = self._watch = None
        log, activity = self.log, self.activity
        self.log = self.activity = None
        if log is not None:
            log.remove_listener(self._committed)
        if log is not None or activity is not None:
            self.changed.emit()
        await _quietly_close(activity, log)
        self._publish()

    async def export_events(self, target: Path, fmt: str, flt: EventFilter) -> int:
        """Every team event matching `flt`, oldest first, to `target` (the event pane's export)."""
        from console.app.services.events_export import export_matching_team  # on first use

        return await export_matching_team(target, fmt, self.url, await self.password(), flt)

    # --- test and save (the dialog) -------------------------------------------------------------
    async def test(self, url: str, password: str) -> tuple[bool, str]:
        """Connect once with these settings (a typed password, else the stored one) and say in
        plain words how it went. Nothing is saved."""
        from console.store.pg.connect import Target
        from console.store.pg.migrations import LATEST, readiness

        problem = team_url_problem(url)
        if problem or not url:
            return False, problem or "Enter the team database's address."
        if password:
            Secret(password)  # registers it with the redactor: no error text can show it
        else:
            password = await self.password() or ""
        remember_url_passwords(url)
        conn = None
        try:  # read only: trying a database must not create the tables in it
            conn = await asyncio.wait_for(
                Target(url, password=password or None).connect(), CONNECT_TIMEOUT_S
            )
            found = await asyncio.wait_for(readiness(conn), CONNECT_TIMEOUT_S)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return False, failure_text(exc, url)
        finally:
            await _quietly_close(conn)
        return readiness_verdict(
            describe_team_url(url), version=found.version, latest=LATEST,
            events=found.events, can_create=found.can_create, rewrites=found.rewrites,
        )  # fmt: skip

    async def save(self, enabled: bool, url: str, password: str) -> None:
        """Keep the settings (the password in the keyring), then reconnect as asked."""
        note = ""
        if password:
            secret = Secret(password)
            try:
                await self.credentials.set(PASSWORD_KEY, secret)
            except CredentialError as exc:
                session = getattr(self.credentials, "set_for_session", None)
                if session is None:
                    raise
                await session(PASSWORD_KEY, secret)
                note = (
                    f"The keyring could not keep the password ({exc}); "
                    "it is used for this session only."
                )
        self.settings.setValue(URL_KEY, url.strip())
        self.settings.setValue(ENABLED_KEY, bool(enabled and url.strip()))
        self.settings.sync()
        await self.stop()
        if self.enabled:
            self.problem = ""
            self._publish()
            self.start_in_background()
        if self.dialog is not None:
            await self._fill_dialog(self.dialog)
            self.dialog.show_error(note)

    def open_dialog(self) -> TeamDatabaseDialog:
        if self.dialog is None:
            from console.ui.team_dialog import TeamDatabaseDialog

            self.dialog = TeamDatabaseDialog(self.window)
            self.dialog.test_requested.connect(
                lambda url, password: self._spawn(self._test_in_dialog(url, password))
            )
            self.dialog.save_requested.connect(
                lambda enabled, url, password: self._spawn(self.save(enabled, url, password))
            )
        dialog = self.dialog
        dialog.set_settings(self.switched_on, self.url)
        dialog.set_status(self.status().text)
        dialog.show_verdict("")
        self._spawn(self._fill_dialog(dialog))
        dialog.show()
        dialog.raise_()
        return dialog

    async def _fill_dialog(self, dialog: TeamDatabaseDialog) -> None:
        dialog.set_password_stored(bool(await self.password()))
        dialog.set_status(self.status().text)

    async def _test_in_dialog(self, url: str, password: str) -> None:
        if self.dialog is None:
            return
        self.dialog.set_testing(True)
        try:
            _ok, verdict = await self.test(url, password)
        finally:
            if self.dialog is not None:
                self.dialog.set_testing(False)
        if self.dialog is not None:
            self.dialog.show_verdict(verdict)

    # --- this console's own receiver --------------------------------------------------------------
    def copy_local(self, events: list[StoredEvent]) -> None:
        """Callbacks this console's own receiver kept (the demo's, or a stream whose callbacks
        come through this computer's tunnel) are copied into the team database while it is open:
        the pane reads the team database then, so they show here, and in every team console,
        as a collector's would. Each stays in this computer's log whatever happens."""
        log = self.log
        if log is not None and events:
            self._spawn(self._copy(log, events))

    async def _copy(self, log: PgEventLog, events: list[StoredEvent]) -> None:
        copies = []
        for event in events:
            copies.append(log.append(replace(event, id=0), nonce=kept_nonce(event)))
        results = await asyncio.gather(*copies, return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        self.copied += len(results) - len(failures)
        if failures:
            self.copy_failed += len(failures)
            _log.warning(
                "%d callback(s) kept on this computer could not be copied to the team database: "
                "%s", len(failures), failures[0],
            )  # fmt: skip

    # --- reporting ------------------------------------------------------------------------------
    def _committed(self, events: list[StoredEvent]) -> None:
        self.feed.events_committed.emit(events)

    def status(self) -> TeamStatus:
        if not self.enabled:
            return TeamStatus(
                Health.UNKNOWN, "off",
                "Team database: off. This console keeps callbacks and activity on this computer.",
            )  # fmt: skip
        where = describe_team_url(self.url)
        log = self.log
        if log is None:
            if self.problem:
                return TeamStatus(
                    Health.ERROR, f"reconnecting: {self.problem_short}",
                    f"Team database {where}: not connected, retrying. {self.problem}",
                )  # fmt: skip
            return TeamStatus(Health.BUSY, "connecting…", f"Team database {where}: connecting…")
        health = " ".join(str(log.health).split())[:300] or "connected"
        if health.lower().startswith("connected"):
            return TeamStatus(Health.OK, "connected", f"Team database {where}: {health}")
        if health.lower().startswith("not connected"):  # the subscription is on its way
            return TeamStatus(Health.BUSY, "connecting…", f"Team database {where}: connecting…")
        if health.lower().startswith("reconnecting"):
            short = f"reconnecting: {cause(health)}"
        else:
            short = cause(health)
        return TeamStatus(Health.WARNING, short, f"Team database {where}: {health}")

    async def _watching(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_INTERVAL_S)
            self._publish()

    def _publish(self) -> None:
        status = self.status()
        if status == self._last:
            return
        self._last = status
        self.window.set_light(
            "team", status.health, status.short, status.text + " Click for settings."
        )
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.set_status(status.text)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("team database task failed", exc_info=task.exception())


async def _quietly_close(*stores: Any) -> None:
    for store in stores:
        if store is None:
            continue
        try:
            await store.close()
        except Exception as exc:  # closing after a failure: the failure was reported already
            _log.debug("closing a team store: %s", exc)
