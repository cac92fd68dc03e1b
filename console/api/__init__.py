"""The Plivo REST client (httpx): the one place that talks to Plivo's API.

`PlivoClient` gives every live-call and stream operation as `console.domain` objects; errors are
the `ApiError` tree of `console.api.errors`; the app learns about waits and health through a
`ClientObserver`. The token reaches httpx only through `PlivoAuth`, fed by a `TokenSource`.

What needs httpx (the client, its session and auth) and the retry policy (email's date parser)
load with their first use: the controllers import the error tree at start-up, and httpx (~100 ms)
need not hold the window back for that.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from console.api.clock import Clock, SystemClock
from console.api.errors import (
    AmbiguousStart,
    ApiError,
    AuthenticationFailed,
    BadRequest,
    ConfigurationError,
    ConnectFailed,
    ConnectionLost,
    CredentialsUnavailable,
    DeadlineExceeded,
    ErrorDetail,
    Forbidden,
    HttpStatusError,
    NetworkError,
    NotFound,
    PoolExhausted,
    RateLimited,
    RequestTimeout,
    ServerError,
    UnexpectedResponse,
    UnexpectedStatus,
)
from console.api.observer import ClientObserver, NullObserver, Wait, WaitReason
from console.api.ratelimit import Priority, RateLimit, TokenBucket
from console.lazy import lazy_attributes

if TYPE_CHECKING:
    from console.api.auth import PlivoAuth, StaticToken, TokenSource
    from console.api.client import PlivoClient
    from console.api.retry import RetryPolicy
    from console.api.session import USER_AGENT, ClientPolicy

_ON_FIRST_USE: dict[str, str] = {
    "PlivoAuth": "console.api.auth",
    "StaticToken": "console.api.auth",
    "TokenSource": "console.api.auth",
    "PlivoClient": "console.api.client",
    "USER_AGENT": "console.api.session",
    "ClientPolicy": "console.api.session",
    "RetryPolicy": "console.api.retry",  # email.utils for Retry-After dates: with the client
}


__getattr__ = lazy_attributes(__name__, _ON_FIRST_USE)


def _leave_out_httpx_command_line() -> None:
    """httpx's package tries to import its command-line module for `httpx.main`, which imports
    click, pygments and rich: where click is installed (a test tool brings it here), that cost
    ~15-30 ms on the way to the first calls, even when rich was missing and the import failed.
    The console never runs httpx's command line: marked as not importable before httpx first
    loads, the module is skipped and httpx falls back to its own `main`, which says the command
    line is not installed."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


_leave_out_httpx_command_line()


__all__ = [
    "USER_AGENT",
    "AmbiguousStart",
    "ApiError",
    "AuthenticationFailed",
    "BadRequest",
    "ClientObserver",
    "ClientPolicy",
    "Clock",
    "ConfigurationError",
    "ConnectFailed",
    "ConnectionLost",
    "CredentialsUnavailable",
    "DeadlineExceeded",
    "ErrorDetail",
    "Forbidden",
    "HttpStatusError",
    "NetworkError",
    "NotFound",
    "NullObserver",
    "PlivoAuth",
    "PlivoClient",
    "PoolExhausted",
    "Priority",
    "RateLimit",
    "RateLimited",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "StaticToken",
    "SystemClock",
    "TokenBucket",
    "TokenSource",
    "UnexpectedResponse",
    "UnexpectedStatus",
    "Wait",
    "WaitReason",
]
