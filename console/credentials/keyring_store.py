"""Tokens in the OS keyring (Secret Service, KWallet, Keychain, Windows Credential Manager).

Fail closed, by allowlist: only the OS keyrings in `ALLOWED_BACKENDS` are used (matched by exact
class, so a subclass that stores elsewhere is not), and keyring's chainer only through its allowed
members. Anything else (keyrings.alt's plaintext or "encrypted" files, a custom file backend
named in PYTHON_KEYRING_BACKEND) is refused with a fix-it message, unless the user names that
exact class in STREAM_CONSOLE_ALLOW_KEYRING_BACKEND: then it is used, a warning is logged and
`warning` says so for the UI. `fail` and `null` store nothing and are refused even then. A
locked keyring is an error, never "no token". Every keyring call runs on its own daemon thread
with a deadline, because a backend can hang waiting for an unlock prompt (jaraco/keyring#40); a
daemon thread cannot hold up the GUI loop or the process exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Mapping
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
OPT_IN_VARIABLE = "STREAM_CONSOLE_ALLOW_KEYRING_BACKEND"
ALLOWED_BACKENDS = frozenset(
    {
        "keyring.backends.SecretService.Keyring",  # GNOME Keyring, KeePassXC, ... over D-Bus
        "keyring.backends.libsecret.Keyring",  # the same Secret Service through libsecret
        "keyring.backends.kwallet.DBusKeyring",  # KWallet 5/6
        "keyring.backends.kwallet.DBusKeyringKWallet4",
        "keyring.backends.macOS.Keyring",  # the macOS Keychain
        "keyring.backends.Windows.WinVaultKeyring",  # Windows Credential Manager
    }
)
_CHAINER = "keyring.backends.chainer.ChainerBackend"
_NEVER = ("keyring.backends.fail.", "keyring.backends.null.")  # they store nothing at all
_log = logging.getLogger(__name__)
T = TypeVar("T")


def backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def opted_in(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """The backend classes the user explicitly allowed (comma-separated `module.Class`)."""
    value = (os.environ if environ is None else environ).get(OPT_IN_VARIABLE, "")
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def is_allowed(backend: object, extra: frozenset[str] = frozenset()) -> bool:
    """True for an OS keyring of the allowlist, or a class the user opted in to."""
    name = backend_name(backend)
    if name.startswith(_NEVER):
        return False
    return name in ALLOWED_BACKENDS or name in extra


def is_unsafe_backend(backend: object) -> bool:
    """The opposite of `is_allowed` without any opt-in (kept for callers of the old name)."""
    return not is_allowed(backend)


def choose_backend(
    candidate: Any = None, environ: Mapping[str, str] | None = None
) -> keyring.backend.KeyringBackend:
    """The backend to use, or KeyringUnavailable. A chainer is opened up and its best allowed
    member used directly, so a write can never fall through to a member that is not allowed."""
    import keyring  # imported on first use, on a worker thread: it costs start-up time

    extra = opted_in(environ)
    backend = candidate if candidate is not None else keyring.get_keyring()
    members = getattr(backend, "backends", None)
    if members is not None and backend_name(backend) == _CHAINER:
        allowed = [b for b in members if is_allowed(b, extra)]
        if not allowed:
            raise KeyringUnavailable(
                ", ".join(backend_name(b) for b in members) or "none", _storing(members)
            )
        chosen: keyring.backend.KeyringBackend = max(allowed, key=lambda b: b.priority)
        return chosen
    if not is_allowed(backend, extra):
        raise KeyringUnavailable(backend_name(backend), _storing([backend]))
    result: keyring.backend.KeyringBackend = backend
    return result


def _storing(backends: list[Any]) -> str | None:
    """The best refused backend that would store something (for the opt-in hint)."""
    storing = [b for b in backends if not backend_name(b).startswith(_NEVER)]
    if not storing:
        return None
    return backend_name(max(storing, key=_priority))


def _priority(backend: Any) -> float:
    try:
        return float(backend.priority)
    except Exception:  # a backend's priority probes its service and may raise
        return 0.0


def opt_in_warning(backend: object) -> str | None:
    """The sentence the UI shows while an opted-in, non-OS backend keeps the tokens."""
    name = backend_name(backend)
    if name in ALLOWED_BACKENDS:
        return None
    return (
        f"Tokens are kept by {name}, which is not an OS keyring: it was allowed through "
        f"{OPT_IN_VARIABLE}, and the console cannot vouch for how it protects them."
    )


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
        self.warning: str | None = None  # set while an opted-in non-OS backend is in use

    def __repr__(self) -> str:
        return f"KeyringCredentialStore(service={self.service!r})"

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        """Resolved on first use (it may probe D-Bus), re-checked on every failure."""
        if self._backend is None:
            chosen = choose_backend(self._candidate)
            self.warning = opt_in_warning(chosen)
            if self.warning:
                _log.warning("keyring: %s", self.warning)
            self._backend = chosen
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
