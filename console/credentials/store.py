"""The credential seam: where the console gets and keeps auth tokens, one per profile."""

from __future__ import annotations

from typing import Protocol

from console.domain.secret import Secret


class CredentialStore(Protocol):
    """Async because the real store (the OS keyring) may block: it must never run on the GUI
    thread. `get` returns None only when the store positively knows there is no token; a store
    that cannot tell (locked, unavailable) raises a `CredentialError` instead."""

    async def get(self, profile_id: str) -> Secret | None: ...

    async def set(self, profile_id: str, token: Secret) -> None: ...

    async def delete(self, profile_id: str) -> None: ...


class MemoryCredentialStore:
    """Session-only tokens, kept in this process's memory and gone when it exits. Used when the
    agent chooses "this session only" because the keyring is unavailable, for the demo account,
    and as the fake in tests."""

    def __init__(self) -> None:
        self._tokens: dict[str, Secret] = {}

    async def get(self, profile_id: str) -> Secret | None:
        return self._tokens.get(profile_id)

    async def set(self, profile_id: str, token: Secret) -> None:
        self._tokens[profile_id] = token

    async def delete(self, profile_id: str) -> None:
        self._tokens.pop(profile_id, None)

    def __contains__(self, profile_id: object) -> bool:
        return profile_id in self._tokens


class LayeredCredentialStore:
    """Session tokens first, then the persistent store: what the app uses. Writing a session token
    never touches the keyring, so a locked keyring is never overwritten."""

    def __init__(self, persistent: CredentialStore, session: MemoryCredentialStore) -> None:
        self.persistent = persistent
        self.session = session

    @property
    def warning(self) -> str | None:
        """What the UI should say about where tokens are kept (an opted-in keyring backend)."""
        value = getattr(self.persistent, "warning", None)
        return value if isinstance(value, str) else None

    async def get(self, profile_id: str) -> Secret | None:
        token = await self.session.get(profile_id)
        if token is not None:
            return token
        return await self.persistent.get(profile_id)

    async def set(self, profile_id: str, token: Secret) -> None:
        await self.persistent.set(profile_id, token)
        await self.session.delete(profile_id)

    async def set_for_session(self, profile_id: str, token: Secret) -> None:
        await self.session.set(profile_id, token)

    async def delete(self, profile_id: str) -> None:
        await self.session.delete(profile_id)
        await self.persistent.delete(profile_id)
