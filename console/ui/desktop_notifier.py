"""Desktop notifications through the system tray, for trouble the agent should hear of while
looking elsewhere (docs/callbacks.md), with the agent's on/off setting."""

from __future__ import annotations

import html
import logging
import sys

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QSystemTrayIcon

_log = logging.getLogger(__name__)
NOTIFY_KEY = "notifications/desktop"

SHOW = "show"
OFF = "turned off"
WINDOW_ACTIVE = "window active"
NO_TRAY = "no system tray"


def notification_decision(*, enabled: bool, window_active: bool, tray_available: bool) -> str:
    """SHOW, or why not: the agent turned them off, is looking at the window already, or the
    desktop has no system tray to show them (offscreen, some window managers)."""
    if not enabled:
        return OFF
    if window_active:
        return WINDOW_ACTIVE
    if not tray_available:
        return NO_TRAY
    return SHOW


def notification_body(text: str, platform: str = sys.platform) -> str:
    """`text` as the notification server will show it literally. On Linux and the BSDs Qt hands
    the body to a freedesktop notification server, which renders a subset of HTML (the spec
    asks clients to escape `&`, `<` and `>`): a drop's error text from a callback must not be
    taken for markup there. Windows and macOS show the body as plain text already."""
    if platform.startswith(("win", "darwin")):
        return text
    return html.escape(text, quote=False)


class DesktopNotifier:
    """Desktop notifications through the system tray, with the agent's on/off setting (a
    checkable menu action, kept in QSettings)."""

    def __init__(self, settings: QSettings, window: QMainWindow) -> None:
        self.settings = settings
        self.window = window
        self.action = QAction("Desktop &notifications for stream trouble", window)
        self.action.setObjectName("toggle_notifications")
        self.action.setCheckable(True)
        self.action.setChecked(_as_bool(settings.value(NOTIFY_KEY, True)))
        self.action.toggled.connect(lambda on: settings.setValue(NOTIFY_KEY, bool(on)))
        self.last_decision = ""
        self.shown: list[tuple[str, str]] = []  # (title, body) actually handed to the tray
        self._tray: QSystemTrayIcon | None = None

    def toggle_action(self) -> QAction:
        """The checkable on/off action, for a menu."""
        return self.action

    @property
    def enabled(self) -> bool:
        return self.action.isChecked()

    def notify(self, title: str, text: str) -> str:
        """Show `title`/`text` when the decision says so; returns the decision."""
        decision = notification_decision(
            enabled=self.enabled,
            window_active=self.window.isActiveWindow(),
            tray_available=QSystemTrayIcon.isSystemTrayAvailable(),
        )
        self.last_decision = decision
        if decision != SHOW:
            _log.debug("desktop notification not shown: %s", decision)
            return decision
        if self._tray is None:
            self._tray = QSystemTrayIcon(self.window.windowIcon(), self.window)
            self._tray.activated.connect(lambda _reason: self._raise())
            self._tray.messageClicked.connect(self._raise)
        self._tray.show()
        body = notification_body(text)
        self._tray.showMessage(title, body, QSystemTrayIcon.MessageIcon.Warning, 10_000)
        self.shown.append((title, body))
        return decision

    def _raise(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()


def _as_bool(value: object) -> bool:
    """QSettings' INI files give "true"/"false" strings back."""
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "")
    return bool(value)
