"""Where team mode's settings live, readable without loading the team database's service (the
window says "team mode on, starting" before the services are built)."""

from __future__ import annotations

from PySide6.QtCore import QSettings

URL_KEY = "team/url"
ENABLED_KEY = "team/enabled"


def team_url(settings: QSettings) -> str:
    return str(settings.value(URL_KEY, "") or "").strip()


def team_switched_on(settings: QSettings) -> bool:
    """The On/Off setting as saved."""
    value = settings.value(ENABLED_KEY, False)
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
