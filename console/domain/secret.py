"""A token that does not leak: masked in repr/str, refuses to be pickled, and registered with the
redactor the moment it exists so logs scrub it even if someone formats it by mistake."""

from __future__ import annotations

import hmac
from typing import NoReturn

from console.domain.redaction import MASK, REDACTOR


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        REDACTOR.add(value)

    def reveal(self) -> str:
        """The plain token: call it only at the point of use (the HTTP auth flow, the keyring)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or copied to disk")
