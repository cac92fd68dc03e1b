"""The one place that says which account the window acts for, and when its settings change.

Every part that uses the account's settings (the stream form's callback toggle, the monitor's
public address, Send test callback, the Receiver dialog) listens to `changed` instead of keeping
its own copy of the profile: a tunnel's address saved in the Receiver dialog reaches all of them
at once, so none of them goes on using yesterday's address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from console.domain.accounts import Profile

if TYPE_CHECKING:
    from console.app.runtime.settings import ProfileRepository


class ActiveAccount(QObject):
    """`changed(Profile | None)`: another account was chosen, or the chosen one's settings were
    saved (listeners compare what they need; an unchanged profile is not announced again)."""

    changed = Signal(object)

    def __init__(self, profiles: ProfileRepository) -> None:
        super().__init__()
        self.profiles = profiles
        self._profile: Profile | None = None

    @property
    def profile(self) -> Profile | None:
        return self._profile

    def choose(self, profile: Profile | None) -> None:
        """The window now acts for `profile` (None: for nobody)."""
        self._profile = profile
        self.changed.emit(profile)

    def reload(self) -> None:
        """Read the active account's saved settings again (after a dialog saved them)."""
        current = self._profile
        if current is None or current.demo:
            return
        fresh = self.profiles.get(current.profile_id)
        if fresh is not None and fresh != current:
            self.choose(fresh)
