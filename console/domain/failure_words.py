"""A stream's failure reason in words an agent understands, the text as received kept beside it.

Plivo's DroppedStream `Error` (and the simulator's) is library text: "could not connect to
service_url after 3 attempts (ClientConnectorDNSError: Cannot connect to host …)". An agent needs
what went wrong and what to check; support needs the original. `explain` gives both. The table of
texts and sentences is documented in docs/failure-words.md. Everything here is outside text: it is
made one plain line and bounded before any sentence quotes it. Pure: no Qt, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

REASON_MAX = 600  # characters of the text as received that are kept
HOST_MAX = 80  # characters of a host name quoted in a sentence

_CHECK_SERVICE = "check that the service is running and reachable from the internet"


@dataclass(frozen=True, slots=True)
class FailureWords:
    """`plain` is read first; `technical` is the reason as received ('' when `plain` is it)."""

    plain: str
    technical: str = ""

    @property
    def one_line(self) -> str:
        """Both on one line, for places with no room for a "Show technical detail" toggle."""
        return (
            f"{self.plain} (technical detail: {self.technical})" if self.technical else self.plain
        )


def one_line(text: object, limit: int = REASON_MAX) -> str:
    """Outside text as one plain line: control and format characters gone, cut to `limit`."""
    kept = "".join(ch if ch.isprintable() else " " for ch in str(text))
    line = " ".join(kept.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# Plivo's own error strings (docs/failure-words.md), matched as the whole reason.
PLIVO_CODES: dict[str, str] = {
    "connection_failed": (
        "Plivo could not connect to the stream URL: check the URL, and " + _CHECK_SERVICE
    ),
    "authentication_failed": (
        "The stream URL's service turned Plivo away as not authorised: check the credentials "
        "or token it expects (for example in the extra headers)"
    ),
    "invalid_content_type": (
        "Plivo does not accept the stream's audio content type: choose one of the form's "
        "content types (audio/x-l16 at 8000 or 16000 Hz, audio/x-mulaw at 8000 Hz)"
    ),
    "buffer_overflow": (
        "The service did not read the audio fast enough, Plivo's buffer filled up and the "
        "stream was dropped: check that the service keeps up"
    ),
}

_CLOSE_CODES = {
    1000: "a normal close",
    1001: "going away",
    1002: "a protocol error",
    1003: "data it does not accept",
    1007: "data it could not read",
    1008: "a policy violation, often a failed authentication",
    1009: "a message too big",
    1011: "an error inside the service",
}

_HOST = re.compile(r"Cannot connect to host (\[[^\]]{1,100}\]|[^\s:\[\]]{1,255}):(\d{1,5})")
_URL_HOST = re.compile(r"(?:wss?|https?)://(\[[^\]]{1,100}\]|[^\s:/'\"?#]{1,255})")
_STATUS = re.compile(r"(?:WSServerHandshakeError|WSS?HandshakeError|InvalidStatus\w*)\W+(\d{3})")


def _host(text: str) -> str:
    match = _HOST.search(text) or _URL_HOST.search(text)
    return one_line(match.group(1), HOST_MAX) if match else ""


def _of(text: str) -> str:
    host = _host(text)
    return f" ({host})" if host else ""


def _dns(text: str) -> str:
    return f"Plivo could not find the stream URL's host{_of(text)}: check the URL"


def _certificate(text: str) -> str:
    return (
        f"Plivo did not trust the certificate of the stream URL's host{_of(text)}: the service "
        "needs a valid, unexpired certificate for that name (not a self-signed one)"
    )


def _tls(text: str) -> str:
    return (
        f"The secure (TLS) connection to the stream URL's host{_of(text)} failed: check that "
        "the service speaks TLS on that port for a wss:// URL"
    )


def _refused(text: str) -> str:
    match = _HOST.search(text)
    port = f" on port {match.group(2)}" if match else ""
    return (
        f"The stream URL's host{_of(text)} refused the connection: check that the service is "
        f"running and listening{port}"
    )


def _timeout(text: str) -> str:
    return f"The stream URL's host{_of(text)} did not answer in time: {_CHECK_SERVICE}"


def _status(text: str) -> str:
    match = _STATUS.search(text)
    status = int(match.group(1)) if match else 0
    if status in (401, 403):
        return (
            f"The stream URL's service turned Plivo away as not authorised (HTTP {status}): "
            "check the credentials or token it expects (for example in the extra headers)"
        )
    answered = f"answered HTTP {status}" if status else "answered"
    return (
        f"The stream URL {answered} instead of accepting a WebSocket: check the URL's path and "
        "that the service accepts WebSocket connections there"
    )


def _closed(text: str) -> str:
    match = re.search(r"code (\d{1,5})", text)
    code = int(match.group(1)) if match else None
    why = _CLOSE_CODES.get(code, "") if code is not None else ""
    said = f" (WebSocket code {code}{': ' + why if why else ''})" if code is not None else ""
    return f"The service at the stream URL closed the connection{said}: check the service's logs"


def _lost(_text: str) -> str:
    return (
        "The connection to the stream URL's service broke off: check that the service is still "
        "running and its network is stable"
    )


def _buffer(_text: str) -> str:
    return PLIVO_CODES["buffer_overflow"]


# First match wins: specific kinds (DNS, certificate) before the general ones they look like.
_RULES: tuple[tuple[re.Pattern[str], Callable[[str], str]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), words)
    for pattern, words in (
        (
            r"ClientConnectorDNSError|Name or service not known|nodename nor servname"
            r"|getaddrinfo failed|Temporary failure in name resolution|No address associated"
            r"|gaierror",
            _dns,
        ),
        (
            r"CertificateError|CERTIFICATE_VERIFY_FAILED|certificate verify failed"
            r"|SSLCertVerification|certificate has expired|self.signed certificate",
            _certificate,
        ),
        (r"ClientSSLError|SSLError|\[SSL|WRONG_VERSION_NUMBER|TLS handshake", _tls),
        (r"Connection refused|Connect call failed|ECONNREFUSED|Errno 111\b", _refused),
        (r"TimeoutError|Connection timeout|connect(?:ion)? timed out", _timeout),
        (r"HandshakeError|Invalid response status|InvalidStatus", _status),
        (r"closed by the service|closed by the server", _closed),
        (r"connection lost|connection reset|ServerDisconnected|broken pipe", _lost),
        (r"did not keep up|buffer (?:is )?full|buffer overflow", _buffer),
    )
)


def explain(reason: str) -> FailureWords:
    """Plain words for `reason`, with the text as received as the technical detail; a text not
    recognised stays as it is (one plain, bounded line) with no detail."""
    text = one_line(reason)
    if not text:
        return FailureWords("")
    code = PLIVO_CODES.get(text.casefold())
    if code is not None:
        return FailureWords(code, text)
    for pattern, words in _RULES:
        if pattern.search(text):
            return FailureWords(words(text), text)
    return FailureWords(text)
