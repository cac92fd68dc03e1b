"""Where the console keeps its non-secret settings: one INI file per user (QSettings), so an
agent or a test can see exactly what is on disk. Tokens are never written here."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QStandardPaths

from console.domain.accounts import DEFAULT_API_BASE_URL, Profile

ORGANISATION = "StreamConsole"
APPLICATION = "stream-console"


def open_settings() -> QSettings:
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
    )


def app_data_dir() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)


class ProfileRepository:
    """Profile metadata (name, Auth ID, API base URL) and which profile is current."""

    def __init__(self, settings: QSettings) -> None:
        self._s = settings

    def list(self) -> list[Profile]:
        self._s.beginGroup("profiles")
        ids = self._s.childGroups()
        self._s.endGroup()
        profiles = [p for p in (self.get(i) for i in ids) if p is not None]
        return sorted(profiles, key=lambda p: p.display_name.lower())

    def get(self, profile_id: str) -> Profile | None:
        key = f"profiles/{profile_id}"
        auth_id = self._s.value(f"{key}/auth_id")
        if not auth_id:
            return None
        return Profile(
            profile_id=profile_id,
            display_name=str(self._s.value(f"{key}/display_name", auth_id)),
            auth_id=str(auth_id),
            api_base_url=str(self._s.value(f"{key}/api_base_url", DEFAULT_API_BASE_URL)),
            public_url=str(self._s.value(f"{key}/public_url", "") or ""),
        )

    def set_public_url(self, profile_id: str, url: str) -> None:
        """The profile's public callback base URL (kept apart from `save`, which the account
        dialog calls, so editing an account never clears it)."""
        self._s.setValue(f"profiles/{profile_id}/public_url", url.strip())
        self._s.sync()

    def save(self, profile: Profile) -> Profile:
        """Insert or update; a profile without an id gets a fresh one."""
        if not profile.profile_id:
            import uuid  # not at import time: it is not needed to draw the window

            profile = Profile(
                profile_id=uuid.uuid4().hex[:12],
                display_name=profile.display_name,
                auth_id=profile.auth_id,
                api_base_url=profile.api_base_url,
            )
        key = f"profiles/{profile.profile_id}"
        self._s.setValue(f"{key}/display_name", profile.display_name)
        self._s.setValue(f"{key}/auth_id", profile.auth_id)
        self._s.setValue(f"{key}/api_base_url", profile.api_base_url)
        self._s.sync()
        return profile

    def remove(self, profile_id: str) -> None:
        """The profile and what belonged to it (its recent stream URLs)."""
        self._s.remove(f"profiles/{profile_id}")
        self._s.remove(f"recent_service_urls/{profile_id}")
        if self.current_id() == profile_id:
            self._s.remove("current_profile")
        self._s.sync()

    def current_id(self) -> str | None:
        value = self._s.value("current_profile")
        return str(value) if value else None

    def set_current(self, profile_id: str | None) -> None:
        if profile_id:
            self._s.setValue("current_profile", profile_id)
        else:
            self._s.remove("current_profile")
        self._s.sync()
