"""Tokens in the OS keyring (Secret Service, KWallet, Keychain, Windows Credential Manager).

Fail closed: plaintext, `fail` and `null` backends are refused rather than used, and a locked
keyring is an error, never "no token". Every keyring call runs on its own daemon thread with a
deadline, because a backend can hang waiting for an unlock prompt (jaraco/keyring#40); a daemon
thread cannot hold up the GUI loop or the process exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from console.credentials.errors import (
    CredentialError,
    KeyringFailure,
    KeyringLocked,
    KeyringTimeout,
    KeyringUnavailable,
)
from console.domain.secret import Secret

if TYPE_CHECKING:
    import keyring.backend

SERVICE = "stream-console"
DEFAULT_TIMEOUT_S = 5.0
_log = logging.getLogger(__name__)
T = TypeVar("T")


def backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def is_unsafe_backend(backend: object) -> bool:
    """True for backends that store nothing (`fail`, `null`) or store secrets in files we do not
    trust (anything from keyrings.alt, any plaintext keyring)."""
    name = backend_name(backend).lower()
    return (
        name.startswith(("keyring.backends.fail.", "keyring.backends.null.", "keyrings.alt."))
        or "plaintext" in name
    )


def choose_backend(candidate: Any = None) -> keyring.backend.KeyringBackend:
    """The safe backend to use, or KeyringUnavailable. A chainer is opened up and its best safe
    member used directly, so a write can never fall through to an unsafe member."""
    import keyring  # imported on first use, on a worker thread: it costs start-up time

    backend = candidate if candidate is not None else keyring.get_keyring()
    members = getattr(backend, "backends", None)
    if members is not None:  # keyring.backends.chainer.ChainerBackend
        safe = [b for b in members if not is_unsafe_backend(b)]
        if not safe:
            raise KeyringUnavailable(", ".join(backend_name(b) for b in members) or "none")
        chosen: keyring.backend.KeyringBackend = max(safe, key=lambda b: b.priority)
        return chosen
    if is_unsafe_backend(backend):
        raise KeyringUnavailable(backend_name(backend))
    result: keyring.backend.KeyringBackend = backend
    return result


class KeyringCredentialStore:
    def __init__(
        self,
        backend: Any = None,
        *,
        service: str = SERVICE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._candidate = backend
        self._backend: keyring.backend.KeyringBackend | None = None
        self.service = service
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"KeyringCredentialStore(service={self.service!r})"

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        """Resolved on first use (it may probe D-Bus), re-checked on every failure."""
        if self._backend is None:
            self._backend = choose_backend(self._candidate)
        return self._backend

    async def get(self, profile_id: str) -> Secret | None:
        value = await self._call(lambda b: b.get_password(self.service, profile_id))
        return None if value is None else Secret(value)

    async def set(self, profile_id: str, token: Secret) -> None:
        await self._call(lambda b: b.set_password(self.service, profile_id, token.reveal()))

    async def delete(self, profile_id: str) -> None:
        try:
            await self._call(lambda b: b.delete_password(self.service, profile_id))
        except KeyringFailure:
            # Deleting what is not there is done; anything else surfaces on the next read.
            if await self.get(profile_id) is not None:
                raise

    async def _call(self, fn: Callable[[keyring.backend.KeyringBackend], T]) -> T:
        backend = await self._run(lambda: self.backend)
        return await self._run(lambda: fn(backend))

    async def _run(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def deliver(ok: bool, value: Any) -> None:
            if future.done():
                return
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

        def work() -> None:
            try:
                result: Any = fn()
                ok = True
            except BaseException as exc:  # handed to the awaiting coroutine, never swallowed
                result, ok = self._translate(exc), False
            # If the loop closed while the backend hung, nobody is waiting for the answer.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(deliver, ok, result)

        threading.Thread(target=work, name="keyring-call", daemon=True).start()
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout_s)
        except TimeoutError:
            future.cancel()  # a late answer from the hung backend is dropped, not left unretrieved
            _log.warning("keyring did not answer within %.1f s", self.timeout_s)
            raise KeyringTimeout(self.timeout_s) from None

    def _translate(self, exc: BaseException) -> BaseException:
        """Backend errors as CredentialErrors (runs on the worker thread, where keyring is
        already imported)."""
        import keyring.errors

        if isinstance(exc, CredentialError):
            return exc
        if isinstance(exc, keyring.errors.KeyringLocked):
            return KeyringLocked()
        if isinstance(exc, keyring.errors.NoKeyringError | keyring.errors.InitError):
            self._backend = None
            return KeyringUnavailable(self._describe())
        if isinstance(exc, Exception):
            # D-Bus and backend errors leak as RuntimeError, GLib errors, ...: only the type is
            # reported, never the text, which could echo arguments.
            self._backend = None
            _log.warning("keyring call failed: %s", type(exc).__name__)
            return KeyringFailure(type(exc).__name__)
        return exc

    def _describe(self) -> str:
        import keyring

        try:
            return backend_name(self._candidate or keyring.get_keyring())
        except Exception:
            return "unknown"
