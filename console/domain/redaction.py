"""Scrubbing secrets out of text before it is logged or shown.

The credential layer registers every token it hands out (and the app registers the token's HTTP
Basic form), so a log line or an error text that somehow carries one is scrubbed on the way out.
Pure and thread-safe: logging may happen on any thread.
"""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import unquote

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


_PIECE_SEPARATORS = re.compile(r"[@:/?&#=\s]+")
_KEYWORD_PASSWORD = re.compile(r"(?i)password\s*=\s*")
MIN_PIECE = 4  # shorter pieces of a password are masked only as part of it (else "ss" in "pass")


def url_passwords(url: str) -> list[str]:
    """Every string a database URL's password may be, read the ways a parser may read it, for
    URLs no parser accepts too: the user-info password up to the first and up to the last `@`
    (a password may hold an unescaped `@`), a `password=` value up to the next `&` and to the
    end, quoted or not; each also percent-decoded. Longest first."""
    found: set[str] = set()
    rest = url.split("://", 1)[1] if "://" in url else ""
    for at in {rest.find("@"), rest.rfind("@")} - {-1}:
        userinfo = rest[:at]
        if ":" in userinfo:
            found.add(userinfo.split(":", 1)[1])
    for match in _KEYWORD_PASSWORD.finditer(url):
        value = url[match.end() :]
        if value[:1] in ("'", '"'):
            found.add(value[1:].split(value[0], 1)[0])
            value = value[1:]
        found.update((value, value.split("&", 1)[0], value.split(None, 1)[0] if value else ""))
    found |= {unquote(value) for value in found}
    return sorted((s for s in found if s), key=len, reverse=True)


def redact_db_text(text: str, url: str) -> str:
    """`text` (a parser's or driver's message about `url`) with the URL's password masked however
    it was quoted (one shorter than MIN_PIECE characters only as a whole word), and any piece of
    it (split where a parser may split: `@`, `:`, `/`, `&`, `#`, spaces) of MIN_PIECE characters
    or more, so a message such as `failed to resolve host
    'ssword@db'` for `user:pa@ssword@db` says nothing either; then `redact_url` and the
    registered secrets."""
    secrets = url_passwords(url)
    pieces = {p for s in secrets for p in _PIECE_SEPARATORS.split(s) if len(p) >= MIN_PIECE}
    for secret in sorted(set(secrets) | pieces, key=len, reverse=True):
        if len(secret) >= MIN_PIECE:
            text = text.replace(secret, MASK)
        else:  # a short one only as a whole word: masking every "p" would garble the message
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, text)
    return REDACTOR.redact(redact_url(text))


def remember_url_passwords(url: str) -> None:
    """Register the URL's password candidates with the redactor, before any parser sees the URL,
    so log lines are scrubbed of them whatever the parser makes of it."""
    for secret in url_passwords(url):
        REDACTOR.add(secret)
