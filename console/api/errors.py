"""Everything that can go wrong talking to Plivo, as one tree, mapped in one place.

The tree::

    ApiError                      .message (plain words: what happened, what to do) + .detail
    ├── NetworkError              no usable answer came back
    │   ├── ConnectFailed         refused, DNS failure, connect timeout: nothing was sent
    │   ├── PoolExhausted         no free connection inside the console: nothing was sent
    │   ├── ConnectionLost        the connection broke while sending or reading the answer
    │   ├── RequestTimeout        connected, but Plivo stopped answering (read/write timeout)
    │   └── DeadlineExceeded      the operation ran out of its overall time budget (drip-fed bodies)
    ├── HttpStatusError           Plivo answered with an error status (.status)
    │   ├── BadRequest            400: Plivo's own `error` text is shown
    │   ├── AuthenticationFailed  401: re-enter the Auth Token
    │   ├── Forbidden             403
    │   ├── NotFound              404: the call ended / the stream is gone
    │   ├── RateLimited           429: .retry_after (s) and .retry_at (epoch s) when Plivo said
    │   ├── ServerError           5xx (HTML proxy pages included)
    │   └── UnexpectedStatus      anything else (3xx, 405, 409, 422, ...)
    ├── UnexpectedResponse        2xx but unreadable: empty, HTML, bad JSON, > 5 MiB, wrong shape
    ├── AmbiguousStart            a start may have happened; .checked/.stream say what was found
    ├── CredentialsUnavailable    the token source failed (keyring locked, ...)
    └── ConfigurationError        the base URL cannot be used

`error_for_status` and `error_for_exception` are the only places where HTTP statuses and httpx
exceptions become these classes. `.detail` is for a details pane: method, path, status, Plivo's
`error` text and `api_id`, a short printable excerpt of the body. Request headers are never
recorded, so the Authorization header (the token in base64) cannot leak through an error.

Two class flags drive the retry policy (`console.api.retry`): `nothing_sent` means the request
certainly did not act (safe to repeat even for a POST); `transient` means a repeat may succeed
(used for idempotent GET/DELETE only).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import ClassVar

from console.domain.durations import format_seconds
from console.domain.streams import Stream

EXCERPT_CHARS = 200
_HTML = re.compile(rb"^\s*(<!doctype|<html|<head|<body|<\?xml|<)", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """Technical facts for a details pane. Never holds headers or the token."""

    method: str | None = None
    path: str | None = None
    status: int | None = None
    plivo_error: str | None = None
    api_id: str | None = None
    content_type: str | None = None
    body_excerpt: str | None = None
    cause: str | None = None
    attempts: int | None = None
    elapsed_s: float | None = None

    def lines(self) -> list[str]:
        """`name: value` lines for the fields that are set, in a stable order."""
        out = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, float):
                value = f"{value:.3f}"
            out.append(f"{f.name}: {value}")
        return out

    def __str__(self) -> str:
        return "; ".join(self.lines())


class ApiError(Exception):
    """Base of every error the API layer raises. `str(error)` is the message."""

    nothing_sent: ClassVar[bool] = False
    transient: ClassVar[bool] = False
    affects_health: ClassVar[bool] = True

    def __init__(self, message: str, detail: ErrorDetail | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or ErrorDetail()

    def annotate(self, **changes: object) -> None:
        """Add facts learnt later (attempts, elapsed time) to the detail."""
        self.detail = dataclasses.replace(self.detail, **changes)  # type: ignore[arg-type]

    def scrub(self, clean: Callable[[str], str]) -> None:
        """Pass every text that came from the server through `clean` (secret redaction)."""
        self.message = clean(self.message)
        self.args = (self.message,)
        for name in ("plivo_error", "body_excerpt"):
            value = getattr(self.detail, name)
            if value:
                self.annotate(**{name: clean(value)})

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.detail.status})"


class NetworkError(ApiError):
    transient = True


class ConnectFailed(NetworkError):
    nothing_sent = True


class PoolExhausted(NetworkError):
    nothing_sent = True


class ConnectionLost(NetworkError):
    pass


class RequestTimeout(NetworkError):
    pass


class DeadlineExceeded(NetworkError):
    transient = False


class HttpStatusError(ApiError):
    affects_health = False

    @property
    def status(self) -> int:
        return self.detail.status or 0


class BadRequest(HttpStatusError):
    pass


class AuthenticationFailed(HttpStatusError):
    affects_health = True


class Forbidden(HttpStatusError):
    pass


class NotFound(HttpStatusError):
    pass


class RateLimited(HttpStatusError):
    """429. `retry_after` is the wait Plivo asked for (None when it gave none we could read);
    `retry_at` is the same moment as a wall-clock epoch time, for "try again at 14:03:07";
    `retry_after_capped` says Plivo asked for longer and the console holds it to one hour."""

    nothing_sent = True
    transient = True
    affects_health = True

    def __init__(
        self,
        message: str,
        detail: ErrorDetail | None = None,
        *,
        retry_after: float | None = None,
        retry_at: float | None = None,
        retry_after_capped: bool = False,
    ) -> None:
        super().__init__(message, detail)
        self.retry_after = retry_after
        self.retry_at = retry_at
        self.retry_after_capped = retry_after_capped


class ServerError(HttpStatusError):
    transient = True
    affects_health = True


class UnexpectedStatus(HttpStatusError):
    pass


class UnexpectedResponse(ApiError):
    pass


class AmbiguousStart(ApiError):
    """The start request may have reached Plivo but no clear answer came back. The client then
    lists the call's streams: `checked` says whether that worked, `stream` is an active stream to
    the requested URL if Plivo lists one, `cause` the original failure."""

    def __init__(
        self,
        message: str,
        detail: ErrorDetail | None = None,
        *,
        cause: ApiError,
        checked: bool,
        stream: Stream | None = None,
    ) -> None:
        super().__init__(message, detail)
        self.cause = cause
        self.checked = checked
        self.stream = stream


class CredentialsUnavailable(ApiError):
    pass


class ConfigurationError(ApiError):
    pass


# --- mapping --------------------------------------------------------------------------------


def excerpt(body: bytes, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` printable characters of a body, whitespace collapsed."""
    text = body[: limit * 4].decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())[:limit]


def looks_like_html(body: bytes, content_type: str) -> bool:
    return "html" in content_type.lower() or _HTML.match(body[:512]) is not None


def _plivo_fields(body: bytes) -> tuple[str | None, str | None]:
    """Plivo's `{"api_id": ..., "error": ...}` from an error body, if it is one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    error, api_id = data.get("error"), data.get("api_id")
    if isinstance(error, dict | list):
        error = json.dumps(error, ensure_ascii=False)
    return (
        str(error) if error not in (None, "") else None,
        str(api_id) if api_id not in (None, "") else None,
    )


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def clock_time(epoch: float) -> str:
    """ "14:03:07" for a wall-clock epoch time; "later" for one the platform cannot show (C's
    localtime overflows or fails beyond its range), so no number can make a message raise."""
    try:
        return time.strftime("%H:%M:%S", time.localtime(epoch))
    except (OverflowError, OSError, ValueError):
        return "later"


def error_for_status(
    status: int,
    *,
    method: str,
    path: str,
    content_type: str = "",
    body: bytes = b"",
    subject: str = "the resource",
    retry_after: float | None = None,
    retry_after_capped: bool = False,
    now: float | None = None,
) -> HttpStatusError:
    """The one mapping from an HTTP error status to an error class and message. `retry_after`
    is the parsed, bounded Retry-After in seconds (None if absent or unreadable), `capped` when
    Plivo asked for more; `now` is the wall clock used to turn it into a time of day."""
    plivo_error, api_id = _plivo_fields(body)
    html = looks_like_html(body, content_type) if body else False
    detail = ErrorDetail(
        method=method,
        path=path,
        status=status,
        plivo_error=plivo_error,
        api_id=api_id,
        content_type=content_type or None,
        body_excerpt=excerpt(body) if body and plivo_error is None else None,
    )
    said = f' Plivo said: "{plivo_error}".' if plivo_error else ""
    refused = _client_error(status, said, subject, detail)
    if refused is not None:
        return refused
    if status == 429:
        return _rate_limited(detail, retry_after, retry_after_capped, now)
    if 500 <= status <= 599:
        page = (
            " with a web page instead of data (probably a proxy or load balancer in between)"
            if html
            else ""
        )
        return ServerError(
            f"Plivo had a server problem: it answered {_status_text(status)}{page}.{said} "
            "Try again in a minute; if it keeps happening, check status.plivo.com.",
            detail,
        )
    return UnexpectedStatus(
        f"Plivo answered with an unexpected status, {_status_text(status)}.{said} "
        "The request was not carried out as asked.",
        detail,
    )


def _client_error(
    status: int, said: str, subject: str, detail: ErrorDetail
) -> HttpStatusError | None:
    """400, 401, 403 and 404 (None for any other status)."""
    if status == 400:
        return BadRequest(
            f"Plivo refused the request as invalid.{said or ' It gave no reason.'} "
            "Check the values and try again.",
            detail,
        )
    if status == 401:
        return AuthenticationFailed(
            "Plivo did not accept the Auth ID and Auth Token (401). Re-enter the Auth Token for "
            "this account profile; if it was changed on the Plivo console, copy the new one.",
            detail,
        )
    if status == 403:
        return Forbidden(
            f"Plivo says this account may not do that (403 Forbidden).{said} Check the account's "
            "permissions, or whether a subaccount is being used for another account's call.",
            detail,
        )
    if status == 404:
        return NotFound(
            f"Plivo does not know {subject} (404): the call may have ended or the stream may "
            f"be gone.{said} Refresh the list.",
            detail,
        )
    return None


def _rate_limited(
    detail: ErrorDetail, retry_after: float | None, retry_after_capped: bool, now: float | None
) -> RateLimited:
    """429, with when Plivo asks the console to try again (as a time of day)."""
    at = (now if now is not None else time.time()) + retry_after if retry_after else None
    if at is not None and retry_after is not None:
        asked = (
            f"longer than {format_seconds(retry_after)}; the console waits at most that long"
            if retry_after_capped
            else format_seconds(retry_after)
        )
        when = f" Plivo asks to wait {asked}, until {clock_time(at)}."
    else:
        when = " Wait a little and try again."
    return RateLimited(
        f"Plivo's rate limit for this account was reached (429 Too Many Requests).{when} "
        "Another program using the same account may be sending many requests.",
        detail,
        retry_after=retry_after,
        retry_at=at,
        retry_after_capped=retry_after_capped,
    )


def unexpected_response(
    why: str,
    *,
    method: str,
    path: str,
    status: int | None = None,
    content_type: str = "",
    body: bytes = b"",
) -> UnexpectedResponse:
    """A 2xx answer the console cannot read. `why` completes "Plivo's answer ..."."""
    title = None
    if body and looks_like_html(body, content_type):
        found = _TITLE.search(body[:65536].decode("utf-8", "replace"))
        title = excerpt(found.group(1).encode(), 80) if found else None
    page = f' (page title: "{title}")' if title else ""
    return UnexpectedResponse(
        f"Plivo's answer could not be read: {why}{page}. Nothing was changed by reading it; "
        "try again, and if it repeats, a proxy or firewall may be rewriting Plivo's answers.",
        ErrorDetail(
            method=method,
            path=path,
            status=status,
            content_type=content_type or None,
            body_excerpt=excerpt(body) if body else None,
        ),
    )


def _cause(exc: BaseException) -> str:
    text = excerpt(str(exc).encode(), 160)
    return f"{type(exc).__module__}.{type(exc).__qualname__}" + (f": {text}" if text else "")


def error_for_exception(
    exc: BaseException, *, method: str, path: str, host: str, timeout_s: float | None = None
) -> ApiError:
    """The one mapping from an httpx/transport exception to an error class and message. The
    cause is recorded as text only: the httpx exception (which holds the request and its
    headers) is not kept."""
    import httpx  # here: the error tree is imported at start-up, the client (and httpx) later

    detail = ErrorDetail(method=method, path=path, cause=_cause(exc))
    waited = f" within {format_seconds(timeout_s)}" if timeout_s else ""
    if isinstance(exc, httpx.PoolTimeout):
        return PoolExhausted(
            "The console had no free connection to Plivo for a while; it will reset its "
            "connections. Try again.",
            detail,
        )
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return ConnectFailed(
            f"Could not connect to Plivo at {host}. Check the network connection (and any proxy "
            "or firewall), then try again.",
            detail,
        )
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout | httpx.TimeoutException):
        return RequestTimeout(
            f"Plivo did not answer{waited}. The network or Plivo may be slow; try again.",
            detail,
        )
    if isinstance(exc, httpx.DecodingError):
        corrupt = unexpected_response("its compressed body was corrupt", method=method, path=path)
        corrupt.annotate(cause=detail.cause)
        return corrupt
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ConfigurationError(
            f"The Plivo API address {host!r} cannot be used. Check the account profile's API "
            "base URL (normally https://api.plivo.com).",
            detail,
        )
    if isinstance(exc, httpx.TransportError | OSError):
        return ConnectionLost(
            "The connection to Plivo broke off before a complete answer arrived. Check the "
            "network connection, then try again.",
            detail,
        )
    return ConnectionLost(
        "The request to Plivo failed unexpectedly. Try again; the details say what happened.",
        detail,
    )


def deadline_exceeded(*, method: str, path: str, budget_s: float) -> DeadlineExceeded:
    return DeadlineExceeded(
        f"Plivo's answer took longer than {format_seconds(budget_s)} and was abandoned (the "
        "answer was arriving too slowly or not at all). Check the network connection, then try "
        "again.",
        ErrorDetail(method=method, path=path),
    )
