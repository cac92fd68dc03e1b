"""The Plivo REST client (httpx): the one place that talks to Plivo's API.

`PlivoClient` gives every live-call and stream operation as `console.domain` objects; errors are
the `ApiError` tree of `console.api.errors`; the app learns about waits and health through a
`ClientObserver`. The token reaches httpx only through `PlivoAuth`, fed by a `TokenSource`.
"""

from console.api.auth import PlivoAuth, StaticToken, TokenSource
from console.api.client import PlivoClient
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
from console.api.retry import RetryPolicy
from console.api.session import USER_AGENT, ClientPolicy

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
