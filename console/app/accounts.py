"""Account management: the dialog's intents turned into keyring and settings work.

Order matters for "loses nothing": a token goes to the keyring first and the profile's metadata
is saved only when that worked, so a failure never leaves a profile that has no token. When the
keyring cannot be used the agent may keep the token for this session only (memory)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from console.ui.account_dialog import AccountDialog

from console.app.settings import ProfileRepository
from console.app.tasks import TaskRunner
from console.credentials import CredentialError, LayeredCredentialStore
from console.domain.accounts import Profile
from console.domain.secret import Secret

_log = logging.getLogger(__name__)


class AccountsController(QObject):
    profiles_changed = Signal()

    def __init__(
        self,
        profiles: ProfileRepository,
        credentials: LayeredCredentialStore,
        tasks: TaskRunner,
        parent_window: QWidget | None = None,
    ) -> None:
        super().__init__()
        self.profiles = profiles
        self.credentials = credentials
        self.tasks = tasks
        self._parent_window = parent_window
        self.dialog: AccountDialog | None = None

    def open_dialog(self, *, new: bool = False) -> AccountDialog:
        if self.dialog is None:
            from console.ui.account_dialog import AccountDialog  # not needed for the first paint

            self.dialog = AccountDialog(self._parent_window)
            self.dialog.save_requested.connect(self._on_save)
            self.dialog.session_token_requested.connect(self._on_session_only)
            self.dialog.remove_requested.connect(self._on_remove)
        self.dialog.set_profiles(self.profiles.list(), select=self.profiles.current_id())
        if new or not self.profiles.list():
            self.dialog.start_new()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    # --- intents --------------------------------------------------------------------------------
    def _on_save(self, draft: Profile, token: str | None) -> None:
        self.tasks.run("accounts", self.save(draft, Secret(token) if token else None))

    def _on_session_only(self, draft: Profile, token: str) -> None:
        self.tasks.run("accounts", self.save_for_session(draft, Secret(token)))

    def _on_remove(self, profile_id: str) -> None:
        self.tasks.run("accounts", self.remove(profile_id))

    # --- work -----------------------------------------------------------------------------------
    async def save(self, draft: Profile, token: Secret | None) -> Profile | None:
        profile = draft if draft.profile_id else replace(draft, profile_id=uuid.uuid4().hex[:12])
        dialog = self.dialog
        if dialog is not None:
            dialog.set_busy(True)
        try:
            if token is not None:
                await self.credentials.set(profile.profile_id, token)
        except CredentialError as exc:
            _log.warning("token for %s not saved: %s", profile.display_name, exc.message)
            if dialog is not None:
                dialog.set_busy(False)
                dialog.show_message(f"{exc.message} {exc.fix}", error=True, offer_session=True)
            return None
        saved = self.profiles.save(profile)
        if self.profiles.current_id() is None:
            self.profiles.set_current(saved.profile_id)
        _log.info("account %s (%s) saved", saved.display_name, saved.auth_id)
        if dialog is not None:
            dialog.set_busy(False)
            dialog.set_profiles(self.profiles.list(), select=saved.profile_id)
            dialog.token_saved()
            where = "Token stored in the OS keyring." if token is not None else "Saved."
            caution = self.credentials.warning if token is not None else None
            if caution:
                where = f"Token stored. {caution}"
            dialog.show_message(f"{saved.display_name}: {where}", error=bool(caution))
        self.profiles_changed.emit()
        return saved

    async def save_for_session(self, draft: Profile, token: Secret) -> Profile:
        profile = draft if draft.profile_id else replace(draft, profile_id=uuid.uuid4().hex[:12])
        await self.credentials.set_for_session(profile.profile_id, token)
        saved = self.profiles.save(profile)
        if self.profiles.current_id() is None:
            self.profiles.set_current(saved.profile_id)
        if self.dialog is not None:
            self.dialog.set_profiles(self.profiles.list(), select=saved.profile_id)
            self.dialog.token_saved()
            self.dialog.show_message(
                f"{saved.display_name}: token kept in memory for this session only. You will "
                "be asked for it again next time.",
                error=False,
            )
        self.profiles_changed.emit()
        return saved

    async def remove(self, profile_id: str) -> None:
        profile = self.profiles.get(profile_id)
        note = ""
        try:
            await self.credentials.delete(profile_id)
        except CredentialError as exc:
            note = f" The token could not be removed from the keyring: {exc.message}"
        self.profiles.remove(profile_id)
        if self.dialog is not None:
            self.dialog.set_profiles(self.profiles.list())
            name = profile.display_name if profile else "Account"
            self.dialog.show_message(f"{name} removed.{note}", error=bool(note))
        self.profiles_changed.emit()
