"""Account management: the dialog's intents turned into keyring and settings work.

Order matters for "loses nothing": a token goes to the keyring first and the profile's metadata
is saved only when that worked, so a failure never leaves a profile that has no token. When the
keyring cannot be used the agent may keep the token for this session only (memory).

Save first asks Plivo whether it accepts the credentials (one request, off the GUI thread's
critical path: the dialog stays responsive) and saves only when it does; otherwise the dialog shows
the verdict and offers "Save anyway" (offline use)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from console.ui.account_dialog import AccountDialog

from console.api import ApiError, AuthenticationFailed
from console.app.runtime.settings import ProfileRepository
from console.app.runtime.tasks import TaskRunner
from console.app.services.notices import Notices
from console.credentials import CredentialError, LayeredCredentialStore
from console.domain.accounts import Profile
from console.domain.secret import Secret
from console.ui.dialogs import Dialogs

_log = logging.getLogger(__name__)
CHECK_DEADLINE_S = 8.0  # a check that takes longer says "could not ask" and offers Save anyway


@dataclass(frozen=True, slots=True)
class CredentialCheck:
    accepted: bool | None  # None: Plivo could not be asked (offline, 5xx, timeout)
    message: str


Verifier = Callable[[Profile, Secret], Awaitable[CredentialCheck]]


async def ask_plivo(profile: Profile, token: Secret) -> CredentialCheck:
    """One authenticated request with these credentials, on a client of its own."""
    from console.api import ClientPolicy, PlivoClient, StaticToken  # httpx: not at start-up

    policy = replace(ClientPolicy(), deadline_s=CHECK_DEADLINE_S)
    client = PlivoClient(
        profile.auth_id, StaticToken(token.reveal()), profile.api_base_url, policy=policy
    )
    try:
        await client.check_credentials()
    except AuthenticationFailed:
        return CredentialCheck(
            False,
            "Plivo did not accept this Auth ID and Auth Token (401). Copy both again from the "
            "Plivo console; the token is shown next to the Auth ID on the overview page.",
        )
    except ApiError as exc:
        return CredentialCheck(None, f"Plivo could not be asked whether it accepts them: "
                               f"{exc.message}")  # fmt: skip
    finally:
        await client.aclose()
    return CredentialCheck(True, "Plivo accepted these credentials.")


class AccountsController(QObject):
    profiles_changed = Signal(str)  # the id of the profile saved or removed

    def __init__(
        self,
        profiles: ProfileRepository,
        credentials: LayeredCredentialStore,
        tasks: TaskRunner,
        parent_window: QWidget | None = None,
        *,
        notices: Notices,
        verify: Verifier | None = ask_plivo,
    ) -> None:
        super().__init__()
        self.profiles = profiles
        self.credentials = credentials
        self.tasks = tasks
        self._parent_window = parent_window
        self.verify = verify
        self.notices = notices
        self.dialog: AccountDialog | None = None
        self.asker: Dialogs | None = None  # the question open over the dialog (tests read it)

    def open_dialog(self, *, new: bool = False) -> AccountDialog:
        if self.dialog is None:
            from console.ui.account_dialog import AccountDialog  # not needed for the first paint

            self.dialog = AccountDialog(self._parent_window)
            self.dialog.save_requested.connect(self._on_save)
            self.dialog.save_anyway_requested.connect(self._on_save_anyway)
            self.dialog.session_token_requested.connect(self._on_session_only)
            self.dialog.remove_requested.connect(self._on_remove)
        self.dialog.set_profiles(self.profiles.list(), select=self.profiles.current_id())
        if new or not self.profiles.list():
            self.dialog.start_new()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def open_for_reentry(self, profile_id: str | None, error: ApiError | None) -> AccountDialog:
        """From a banner: select the account, say why the dialog opened, focus the token."""
        dialog = self.open_dialog()
        profile = self.profiles.get(profile_id) if profile_id else None
        if profile is None:
            return dialog
        dialog.set_profiles(self.profiles.list(), select=profile.profile_id)
        if isinstance(error, AuthenticationFailed):
            reason = (
                f"Plivo refused the Auth Token saved for “{profile.display_name}” (401). Paste "
                "the current token from the Plivo console and press Enter."
            )
        elif error is not None:
            reason = f"{error.message} Enter the Auth Token for “{profile.display_name}”."
        else:
            reason = f"Enter the Auth Token for “{profile.display_name}”."
        dialog.explain(reason)
        dialog.focus_token()
        return dialog

    # --- intents --------------------------------------------------------------------------------
    def _on_save(self, draft: Profile, token: str | None) -> None:
        self.tasks.run("accounts", self.check_and_save(draft, Secret(token) if token else None))

    def _on_save_anyway(self, draft: Profile, token: str | None) -> None:
        self.tasks.run("accounts", self.save(draft, Secret(token) if token else None))

    def _on_session_only(self, draft: Profile, token: str) -> None:
        self.tasks.run("accounts", self.save_for_session(draft, Secret(token)))

    def _on_remove(self, profile_id: str) -> None:
        self.tasks.run("accounts", self.confirm_and_remove(profile_id))

    async def confirm_and_remove(self, profile_id: str) -> bool:
        """Ask first (a removed account's token is gone from the keyring for good)."""
        profile = self.profiles.get(profile_id)
        if profile is None:
            return False
        self.asker = Dialogs(self.dialog)
        removing = await self.asker.confirm(
            "Remove account",
            f"Remove the account {profile.display_name} ({profile.auth_id})?",
            "Remove",
            detail="Its Auth Token is deleted from the OS keyring. Streams already running "
            "on its calls go on; the activity history keeps its entries.",
        )
        if removing:
            await self.remove(profile_id)
        return removing

    # --- work -----------------------------------------------------------------------------------
    async def check_and_save(self, draft: Profile, token: Secret | None) -> Profile | None:
        """Ask Plivo first; save (and close the dialog) only when it accepts the credentials."""
        dialog = self.dialog
        secret = token
        if secret is None and draft.profile_id:
            try:
                secret = await self.credentials.get(draft.profile_id)
            except CredentialError:
                secret = None  # the keyring step below reports the keyring's trouble
        if secret is None or self.verify is None:
            return await self.save(draft, token)
        if dialog is not None:
            dialog.set_checking(True)
        try:
            verdict = await self.verify(draft, secret)
        finally:
            if dialog is not None:
                dialog.set_checking(False)
        if dialog is not None and not dialog.isVisible():
            _log.info("credential check for %s ended after the dialog closed", draft.auth_id)
            return None
        if verdict.accepted is not True:
            _log.info("credentials for %s not confirmed: %s", draft.auth_id, verdict.message)
            if dialog is not None:
                dialog.show_verdict(verdict.accepted, verdict.message)
            return None
        saved = await self.save(draft, token)
        if saved is not None:
            self.notices.status(f"{saved.display_name}: {verdict.message} Saved.")
            if dialog is not None:
                dialog.show_verdict(True, f"{verdict.message} Saved.")
                dialog.accept()
        return saved

    async def save(self, draft: Profile, token: Secret | None) -> Profile | None:
        profile = draft if draft.profile_id else replace(draft, profile_id=new_profile_id())
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
        self.profiles_changed.emit(saved.profile_id)
        return saved

    async def save_for_session(self, draft: Profile, token: Secret) -> Profile:
        profile = draft if draft.profile_id else replace(draft, profile_id=new_profile_id())
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
        self.profiles_changed.emit(saved.profile_id)
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
            # The removed account's fields go: never a form whose Save would re-create it.
            self.dialog.set_profiles(self.profiles.list(), select=self.profiles.current_id())
            if not self.dialog.editing_id:
                self.dialog.start_new()
            name = profile.display_name if profile else "Account"
            self.dialog.show_message(f"{name} removed.{note}", error=bool(note))
        self.profiles_changed.emit(profile_id)


def new_profile_id() -> str:
    """A fresh profile's id: random, short, never shown as a secret."""
    import uuid  # with its first use, not at start-up

    return uuid.uuid4().hex[:12]
