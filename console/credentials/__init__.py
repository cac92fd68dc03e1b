"""Where auth tokens live: the OS keyring only (or memory, for a session)."""

from console.credentials.errors import (
    CredentialError,
    KeyringFailure,
    KeyringLocked,
    KeyringTimeout,
    KeyringUnavailable,
)
from console.credentials.keyring_store import KeyringCredentialStore
from console.credentials.store import (
    CredentialStore,
    LayeredCredentialStore,
    MemoryCredentialStore,
)
from console.domain.secret import Secret

__all__ = [
    "CredentialError",
    "CredentialStore",
    "KeyringCredentialStore",
    "KeyringFailure",
    "KeyringLocked",
    "KeyringTimeout",
    "KeyringUnavailable",
    "LayeredCredentialStore",
    "MemoryCredentialStore",
    "Secret",
]
