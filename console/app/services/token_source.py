"""The API client's token, read from the credential store once and kept in memory."""

from __future__ import annotations

from console.credentials import CredentialStore
from console.domain.redaction import REDACTOR
from console.domain.secret import Secret


class StoredToken:
    """A `console.api.TokenSource` backed by the credential store (the OS keyring). The first
    request reads the keyring (off the GUI thread); later requests reuse the token. `forget()`
    after the agent re-enters it."""

    def __init__(self, store: CredentialStore, profile_id: str, auth_id: str) -> None:
        self._store = store
        self._profile_id = profile_id
        self._auth_id = auth_id
        self._cached: Secret | None = None

    def __repr__(self) -> str:
        return f"StoredToken(profile={self._profile_id!r})"

    async def token(self) -> str:
        if self._cached is None:
            secret = await self._store.get(self._profile_id)
            if secret is None:
                return ""
            REDACTOR.add_basic_auth(self._auth_id, secret.reveal())
            self._cached = secret
        return self._cached.reveal()

    def forget(self) -> None:
        self._cached = None
