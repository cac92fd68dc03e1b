"""Plivo's health as the agent sees it: the status-bar light, quiet notices for waits, and
problems (banners) that need a decision. The API client's observer calls arrive here, as do the
final errors of background refreshes."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from console.api import (
    ApiError,
    AuthenticationFailed,
    CredentialsUnavailable,
    RateLimited,
    Wait,
    WaitReason,
)
from console.app.services.notices import Notices
from console.ui.banners import Level
from console.ui.main_window import MainWindow
from console.ui.status_indicator import Health

API_BANNER = "api"
AUTH_BANNER = "auth"


class ApiStatus(QObject):
    """Also the API client's `ClientObserver`. Its banners' buttons ask for a retry or for the
    token again through its signals."""

    retry_requested = Signal()
    reenter_token_requested = Signal()

    def __init__(self, window: MainWindow, notices: Notices) -> None:
        super().__init__()
        self.window = window
        self.notices = notices
        self._retry = self.retry_requested.emit
        self._reenter_token = self.reenter_token_requested.emit
        self.last_error: ApiError | None = None

    # --- ClientObserver -------------------------------------------------------------------------
    def waiting(self, wait: Wait) -> None:
        self.notices.status(wait.describe(), timeout_ms=int(max(wait.seconds, 1) * 1000))
        if wait.reason is WaitReason.RETRY_AFTER:
            until = time.strftime("%H:%M:%S", time.localtime(wait.until))
            self.window.set_light(
                "api", Health.WARNING, f"rate-limited until {until}", wait.describe()
            )

    def request_failed(self, error: ApiError, *, retrying: bool) -> None:
        if retrying and error.affects_health:
            self.window.set_light("api", Health.WARNING, "retrying", error.message)

    def healthy(self) -> None:
        self.window.set_light("api", Health.OK, "connected")

    # --- results of refreshes -------------------------------------------------------------------
    def refreshed(self, calls: int, requests: int, elapsed_s: float) -> None:
        self.last_error = None
        self.notices.solved(API_BANNER, AUTH_BANNER)
        self.window.set_light(
            "api",
            Health.OK,
            "connected",
            f"Last refresh: {calls} live calls, {requests} requests, {elapsed_s * 1000:.0f} ms",
        )

    def failed(self, error: ApiError, account: str) -> None:
        """A background refresh failed for good: say so once, in the right place."""
        self.last_error = error
        detail = "\n".join(error.detail.lines())
        if isinstance(error, AuthenticationFailed):
            self.window.set_light("api", Health.ERROR, "token refused", error.message)
            self.notices.problem(
                AUTH_BANNER, Level.ERROR,
                f"Plivo refused the Auth Token for “{account}”. Re-enter the token to continue; "
                "the list shows the calls as they were last seen.",
                detail, [("Re-enter token…", self._reenter_token)],
            )  # fmt: skip
        elif isinstance(error, CredentialsUnavailable):
            self.window.set_light("api", Health.ERROR, "no token", error.message)
            self.notices.problem(
                AUTH_BANNER, Level.ERROR, error.message, detail,
                [("Manage accounts…", self._reenter_token), ("Retry", self._retry)],
            )  # fmt: skip
        elif isinstance(error, RateLimited):
            # Quiet: Plivo asked to slow down; the next refresh waits for it.
            until = (
                time.strftime("%H:%M:%S", time.localtime(error.retry_at))
                if error.retry_at else "shortly"
            )  # fmt: skip
            self.window.set_light(
                "api", Health.WARNING, f"rate-limited until {until}", error.message
            )
            self.notices.status(f"Plivo's rate limit reached; refreshing resumes {until}.")
        else:
            self.window.set_light("api", Health.ERROR, "unreachable", error.message)
            self.notices.problem(
                API_BANNER, Level.WARNING,
                f"Plivo is not answering: {error.message} The list shows the calls as they were "
                "last seen and refreshes again on its own.",
                detail, [("Retry now", self._retry)],
            )  # fmt: skip
