"""Scrubbing secrets out of text before it is logged or shown.

The credential layer registers every token it hands out (and the app registers the token's HTTP
Basic form), so a log line or an error text that somehow carries one is scrubbed on the way out.
Pure and thread-safe: logging may happen on any thread.
"""

from __future__ import annotations

import base64
import re
import threading

MASK = "********"
_BASIC_HEADER = re.compile(r"(?i)(authorization\s*[:=]\s*basic\s+)[A-Za-z0-9+/=]+")


class Redactor:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()

    def add(self, secret: str) -> None:
        """Remember `secret` (ignored when too short to be a secret: masking "a" would mangle)."""
        if len(secret) < 6:
            return
        with self._lock:
            self._secrets = self._secrets | {secret}

    def add_basic_auth(self, user: str, secret: str) -> None:
        """Remember the token and its `Authorization: Basic` form for `user`."""
        self.add(secret)
        self.add(base64.b64encode(f"{user}:{secret}".encode()).decode("ascii"))

    def redact(self, text: str) -> str:
        secrets = self._secrets
        for secret in sorted(secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return _BASIC_HEADER.sub(lambda m: m.group(1) + MASK, text)


REDACTOR = Redactor()


_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/@:\s]*:)([^@\s/]*)(@)")
_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)([^&\s]*)")


def redact_url(text: str) -> str:
    """`postgresql://user:secret@host/db?password=x` -> the same with both secrets masked; any
    other text passes through (so an error message quoting a URL can go through it too)."""
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    return _QUERY_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
