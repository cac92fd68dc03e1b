"""The one mapping from statuses and transport exceptions to the error tree, and the texts an
agent sees."""

from __future__ import annotations

import httpx
import pytest

from console.api import (
    ApiError,
    AuthenticationFailed,
    BadRequest,
    ConfigurationError,
    ConnectFailed,
    ConnectionLost,
    Forbidden,
    HttpStatusError,
    NotFound,
    PoolExhausted,
    RateLimited,
    RequestTimeout,
    ServerError,
    UnexpectedResponse,
    UnexpectedStatus,
)
from console.api.errors import error_for_exception, error_for_status, excerpt, unexpected_response

BODY = b'{"api_id": "a-1", "error": "something specific"}'


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequest),
        (401, AuthenticationFailed),
        (403, Forbidden),
        (404, NotFound),
        (405, UnexpectedStatus),
        (409, UnexpectedStatus),
        (422, UnexpectedStatus),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (599, ServerError),
        (302, UnexpectedStatus),
    ],
)
def test_status_mapping(status: int, kind: type[HttpStatusError]) -> None:
    error = error_for_status(status, method="GET", path="/v1/x/", body=BODY)
    assert type(error) is kind
    assert error.status == status
    assert (error.detail.plivo_error, error.detail.api_id) == ("something specific", "a-1")
    assert error.detail.body_excerpt is None  # Plivo's own fields say it all
    if kind not in (AuthenticationFailed, RateLimited):
        assert "something specific" in error.message
    assert str(error) == error.message and "Traceback" not in error.message


def test_html_error_page_keeps_an_excerpt() -> None:
    page = b"<html><head><title>503 Service Unavailable</title></head><body>" + b"x" * 5000
    error = error_for_status(503, method="GET", path="/p", content_type="text/html", body=page)
    assert "web page instead of data" in error.message
    assert error.detail.body_excerpt is not None
    assert len(error.detail.body_excerpt) == 200
    assert error.detail.plivo_error is None


def test_rate_limited_carries_the_time() -> None:
    error = error_for_status(429, method="GET", path="/p", retry_after=30, now=1000.0)
    assert isinstance(error, RateLimited)
    assert (error.retry_after, error.retry_at) == (30, 1030.0)
    assert "wait 30 s, until" in error.message


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("refused"), ConnectFailed),
        (httpx.ConnectTimeout("slow"), ConnectFailed),
        (httpx.PoolTimeout("full"), PoolExhausted),
        (httpx.ReadTimeout("slow"), RequestTimeout),
        (httpx.WriteTimeout("slow"), RequestTimeout),
        (httpx.ReadError("reset"), ConnectionLost),
        (httpx.RemoteProtocolError("peer closed"), ConnectionLost),
        (httpx.DecodingError("bad gzip"), UnexpectedResponse),
        (httpx.UnsupportedProtocol("ftp"), ConfigurationError),
        (ConnectionResetError(104, "reset"), ConnectionLost),
    ],
)
def test_exception_mapping(exc: Exception, kind: type[ApiError]) -> None:
    error = error_for_exception(exc, method="GET", path="/p", host="api.plivo.com", timeout_s=5)
    assert type(error) is kind
    assert error.detail.cause is not None and type(exc).__name__ in error.detail.cause


def test_excerpt_is_printable_and_short() -> None:
    assert excerpt(b"a\x00b\n\tc  d" + b"\xff" * 3) == "a b c d\ufffd\ufffd\ufffd"
    assert len(excerpt(b"y" * 10_000)) == 200


def test_unexpected_response_names_the_page_title() -> None:
    error = unexpected_response(
        "it is a web page (HTML), not data",
        method="GET",
        path="/p",
        status=200,
        content_type="text/html",
        body=b"<html><title>Captive portal login</title>",
    )
    assert 'page title: "Captive portal login"' in error.message


def test_detail_lines_for_a_details_pane() -> None:
    error = error_for_status(400, method="POST", path="/v1/A/Call/c/Stream/", body=BODY)
    error.annotate(attempts=1, elapsed_s=0.25)
    assert error.detail.lines() == [
        "method: POST",
        "path: /v1/A/Call/c/Stream/",
        "status: 400",
        "plivo_error: something specific",
        "api_id: a-1",
        "attempts: 1",
        "elapsed_s: 0.250",
    ]
