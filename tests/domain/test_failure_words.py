"""Failure reasons in plain words: each kind of text Plivo or the simulator sends, table-driven.

The texts are the ones aiohttp and Plivo produce (docs/failure-words.md); the plain sentence must
name what to check, and the text as received must stay available as the technical detail."""

from __future__ import annotations

import pytest

from console.domain.failure_words import PLIVO_CODES, REASON_MAX, FailureWords, explain

CONNECT = "could not connect to service_url after 3 attempts ({})"

CASES = [
    (
        CONNECT.format(
            "ClientConnectorDNSError: Cannot connect to host nonexistent.invalid:443 "
            "ssl:default [Name or service not known]"
        ),
        "Plivo could not find the stream URL's host (nonexistent.invalid): check the URL",
    ),
    (
        CONNECT.format(
            "ClientConnectorError: Cannot connect to host 127.0.0.1:9 ssl:default "
            "[Connect call failed ('127.0.0.1', 9)]"
        ),
        "The stream URL's host (127.0.0.1) refused the connection: check that the service is "
        "running and listening on port 9",
    ),
    (
        CONNECT.format(
            "ClientConnectorCertificateError: Cannot connect to host ws.example.com:443 "
            "ssl:True [SSLCertVerificationError: (1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
            "certificate verify failed: self-signed certificate (_ssl.c:1006)')]"
        ),
        "Plivo did not trust the certificate of the stream URL's host (ws.example.com): the "
        "service needs a valid, unexpired certificate for that name (not a self-signed one)",
    ),
    (
        CONNECT.format(
            "ClientConnectorSSLError: Cannot connect to host 127.0.0.1:8765 ssl:default "
            "[[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)]"
        ),
        "The secure (TLS) connection to the stream URL's host (127.0.0.1) failed: check that "
        "the service speaks TLS on that port for a wss:// URL",
    ),
    (
        CONNECT.format("TimeoutError"),
        "The stream URL's host did not answer in time: check that the service is running and "
        "reachable from the internet",
    ),
    (
        CONNECT.format(
            "WSServerHandshakeError: 404, message='Invalid response status', "
            "url='wss://media.example.com/nope'"
        ),
        "The stream URL answered HTTP 404 instead of accepting a WebSocket: check the URL's "
        "path and that the service accepts WebSocket connections there",
    ),
    (
        CONNECT.format(
            "WSServerHandshakeError: 401, message='Invalid response status', "
            "url='wss://media.example.com/ws'"
        ),
        "The stream URL's service turned Plivo away as not authorised (HTTP 401): check the "
        "credentials or token it expects (for example in the extra headers)",
    ),
    (
        "WebSocket closed by the service (code 1008)",
        "The service at the stream URL closed the connection (WebSocket code 1008: a policy "
        "violation, often a failed authentication): check the service's logs",
    ),
    (
        "WebSocket closed by the service (code 4000)",
        "The service at the stream URL closed the connection (WebSocket code 4000): check the "
        "service's logs",
    ),
    (
        "WebSocket connection lost (Cannot write to closing transport)",
        "The connection to the stream URL's service broke off: check that the service is still "
        "running and its network is stable",
    ),
    ("the service did not keep up: 40 s of audio buffered", PLIVO_CODES["buffer_overflow"]),
    *((code, sentence) for code, sentence in PLIVO_CODES.items()),
    ("CONNECTION_FAILED", PLIVO_CODES["connection_failed"]),
]


@pytest.mark.parametrize(("reason", "plain"), CASES)
def test_known_reasons_read_as_plain_words_with_the_text_kept(reason: str, plain: str) -> None:
    words = explain(reason)
    assert words.plain == plain
    assert words.technical == reason
    assert words.one_line == f"{plain} (technical detail: {reason})"


@pytest.mark.parametrize(
    "reason",
    [
        "dropped on demand",
        "internal simulator error (OverflowError)",
        "api_request",
        "stream_timeout",
    ],
)
def test_unknown_texts_stay_as_they_are(reason: str) -> None:
    assert explain(reason) == FailureWords(reason)
    assert explain(reason).one_line == reason


def test_outside_text_is_one_bounded_line() -> None:
    words = explain("evil\n<b>line</b>\x1b[31m\u202e" + "x" * 5000)
    assert "\n" not in words.plain and "\x1b" not in words.plain and "\u202e" not in words.plain
    assert len(words.plain) == REASON_MAX
    assert words.plain.startswith("evil <b>line</b>")


def test_a_hostile_host_name_is_cut_before_it_is_quoted() -> None:
    host = "a" * 250
    words = explain(f"Cannot connect to host {host}:443 ssl:default [Name or service not known]")
    assert words.plain.startswith("Plivo could not find the stream URL's host (" + "a" * 79 + "…)")
    assert len(words.plain) < 200


def test_no_reason_gives_no_words() -> None:
    assert explain("") == FailureWords("")
    assert explain("  \n ") == FailureWords("")
