"""HTTP Basic auth for Plivo, fed by a token source at request time.

The API layer never imports keyring or the credential store: the app hands the client a
`TokenSource` (backed by the OS keyring) and the token travels from there straight into the
Authorization header inside `PlivoAuth.async_auth_flow`. No object here shows the token in its
repr, and `redact()` lets error excerpts be scrubbed in case a server echoes the header back.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator, Generator
from typing import Protocol

import httpx

from console.api.errors import CredentialsUnavailable, ErrorDetail


class TokenSource(Protocol):
    """Where the auth token comes from. Called once per HTTP attempt, so a source that reads
    the keyring should keep the token in memory after the first read."""

    async def token(self) -> str: ...


class StaticToken:
    """A token held in memory (tests, the demo simulator, a session-only token)."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        self._token = token

    async def token(self) -> str:
        return self._token

    def __repr__(self) -> str:
        return "StaticToken(<hidden>)"

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a StaticToken cannot be pickled: it holds a secret")


class PlivoAuth(httpx.Auth):
    """Basic auth `auth_id:token`, the token fetched from the source for every attempt (so a
    token re-entered after a 401 is used at once). Async clients only."""

    def __init__(self, auth_id: str, tokens: TokenSource) -> None:
        self._auth_id = auth_id
        self._tokens = tokens
        self._recent: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"PlivoAuth(auth_id={self._auth_id!r})"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError("PlivoAuth works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        try:
            token = await self._tokens.token()
        except Exception as exc:  # any failure of the source (keyring locked, dismissed, ...)
            raise CredentialsUnavailable(
                "The Auth Token for this account could not be read. Unlock the system keyring "
                "or re-enter the token, then try again.",
                ErrorDetail(cause=type(exc).__qualname__),
            ) from None
        if not token:
            raise CredentialsUnavailable(
                "No Auth Token is stored for this account. Enter it in the account settings."
            )
        pair = base64.b64encode(f"{self._auth_id}:{token}".encode()).decode("ascii")
        self._recent = (token, pair)
        request.headers["Authorization"] = f"Basic {pair}"
        yield request

    def redact(self, text: str) -> str:
        """`text` with the last token used (raw or in its Basic form) replaced by `***`."""
        for secret in self._recent:
            if secret and secret in text:
                text = text.replace(secret, "***")
        return text
