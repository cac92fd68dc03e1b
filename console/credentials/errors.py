"""Why a token could not be read or written, each with a fix-it sentence for the agent.

CredentialError             base: .message (what happened) and .fix (what to do)
├── KeyringUnavailable      no usable OS keyring (none, or only backends not on the allowlist)
├── KeyringLocked           the keyring exists but is locked: never read as "no token"
├── KeyringTimeout          the keyring did not answer in time (e.g. an unanswered unlock prompt)
└── KeyringFailure          the backend failed in another way (D-Bus error, ...)
"""

from __future__ import annotations

from console.domain.durations import format_seconds

SESSION_HINT = "You can also use the token for this session only: it is then kept in memory and forgotten when the console closes."  # noqa: E501


class CredentialError(Exception):
    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} {self.fix}"


class KeyringUnavailable(CredentialError):
    """`refused` names a storing backend that is not on the allowlist: the fix then says how to
    allow it explicitly, for a user who trusts it."""

    def __init__(self, backend: str = "", refused: str | None = None) -> None:
        found = f" (found: {backend})" if backend else ""
        allow = (
            f"If you trust {refused} to protect the token, start the console with "
            f"STREAM_CONSOLE_ALLOW_KEYRING_BACKEND={refused} (a warning then stays shown). "
            if refused
            else ""
        )
        super().__init__(
            f"No safe system keyring is available{found}. Stream Console keeps auth tokens only "
            "in an OS keyring it knows, never in a plain file.",
            "Install and start a Secret Service keyring (Debian/Ubuntu: `apt install "
            "gnome-keyring`, then log out and in), or use KWallet, macOS Keychain or Windows "
            "Credential Manager. " + allow + SESSION_HINT,
        )


class KeyringLocked(CredentialError):
    def __init__(self) -> None:
        super().__init__(
            "The system keyring is locked. Your saved token was left untouched.",
            "Unlock it (log in to your desktop session, or open your keyring manager such as "
            "Passwords and Keys) and try again. " + SESSION_HINT,
        )


class KeyringTimeout(CredentialError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The system keyring did not answer within {format_seconds(seconds)}. It may be "
            "waiting for an unlock prompt that is hidden behind another window.",
            "Answer or dismiss the keyring prompt and try again. " + SESSION_HINT,
        )


class KeyringFailure(CredentialError):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"The system keyring reported an error ({what}).",
            "Check that your keyring service is running, then try again. " + SESSION_HINT,
        )
