"""Retry-After parsing and the retry decisions, per method and failure kind."""

from __future__ import annotations

import random

import pytest

from console.api import (
    BadRequest,
    ConnectFailed,
    ConnectionLost,
    DeadlineExceeded,
    PoolExhausted,
    RateLimited,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    UnexpectedResponse,
)
from console.api.retry import RetryAfter, delay_before_retry, may_retry, parse_retry_after

NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", RetryAfter(2.0)),
        (" 120 ", RetryAfter(120.0)),
        ("0", RetryAfter(1.0)),  # "now" still waits the minimum: no burst of four requests
        ("1.5", RetryAfter(1.5)),
        ("3600", RetryAfter(3600.0)),
        ("3601", RetryAfter(3600.0, capped=True)),
        ("Tue, 14 Nov 2023 22:13:30 GMT", RetryAfter(10.0)),
        ("Tuesday, 14-Nov-23 22:13:25 GMT", RetryAfter(5.0)),
        ("Tue Nov 14 22:13:27 2023", RetryAfter(7.0)),
        ("Tue, 14 Nov 2023 22:00:00 GMT", RetryAfter(1.0)),  # in the past: the minimum wait
        ("Fri, 31 Dec 9999 23:59:59 GMT", RetryAfter(3600.0, capped=True)),
        ("", None),
        (None, None),
        ("soon", None),
        ("-5", None),
        ("1e3", None),
        ("nan", None),
        ("Tue, 99 Nov 2023 25:61:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: RetryAfter | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_backoff_is_full_jitter_under_an_exponential_ceiling() -> None:
    policy = RetryPolicy(backoff_base_s=0.5, backoff_cap_s=8.0)
    rng = random.Random(3)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        draws = [policy.backoff(attempt, rng) for _ in range(200)]
        assert min(draws) >= 0.0 and max(draws) <= ceiling
        assert max(draws) > ceiling * 0.8  # spread over the whole range


@pytest.mark.parametrize(
    ("error", "get", "post"),
    [
        (ConnectFailed("x"), True, True),
        (PoolExhausted("x"), True, True),
        (RateLimited("x"), True, True),
        (RequestTimeout("x"), True, False),
        (ConnectionLost("x"), True, False),
        (ServerError("x"), True, False),
        (DeadlineExceeded("x"), False, False),
        (BadRequest("x"), False, False),
        (UnexpectedResponse("x"), False, False),
    ],
)
def test_what_may_be_repeated(error: Exception, get: bool, post: bool) -> None:
    assert may_retry(error, "GET") is get  # type: ignore[arg-type]
    assert may_retry(error, "DELETE") is get  # type: ignore[arg-type]
    assert may_retry(error, "POST") is post  # type: ignore[arg-type]


def test_retry_after_is_used_up_to_the_cap_and_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3, retry_after_cap_s=30)
    rng = random.Random(0)
    short = RateLimited("x", retry_after=3.0)
    long = RateLimited("x", retry_after=31.0)
    assert delay_before_retry(short, method="GET", attempt=1, policy=policy, rng=rng) == 3.0
    assert delay_before_retry(long, method="GET", attempt=1, policy=policy, rng=rng) is None
    assert delay_before_retry(short, method="GET", attempt=3, policy=policy, rng=rng) is None
