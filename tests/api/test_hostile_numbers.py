"""Numbers from the network are range-checked: any Retry-After a server can send ends in a
bounded wait and a `RateLimited` the agent can read, never a bare OverflowError (from the clock
functions), an OSError misreported as a lost connection, or a burst of zero-wait retries.

The client is real; the server is an `httpx.MockTransport` (no socket needed to deliver a
header) and time is a `FakeClock`, so the waits are asserted exactly without being slept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from console.api import ClientPolicy, RateLimited, RetryPolicy
from console.api.retry import RETRY_AFTER_MAX_S, RETRY_AFTER_MIN_S, parse_retry_after
from tests.api.fakes import FAST, FakeClock, mock_client, plivo_error
from tests.api.test_client_mock import CALL

POLICY = RetryPolicy(max_attempts=4, retry_after_cap_s=30.0)
WALL = 1_700_000_000.0

_http_dates = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
).map(lambda d: format_datetime(d, usegmt=True))
_printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
hostile_values = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.floats(min_value=0, max_value=1e6).map(lambda f: f"{f:f}"),
    _http_dates,
    _printable,
)


@given(st.one_of(hostile_values, st.text()))
@example("99999999999999999999")
@example("100000000000000000")
@example("9" * 5000)
@example("Tue, 14 Nov 2000 22:00:00 GMT")
def test_any_retry_after_parses_to_a_bounded_wait_or_nothing(value: str) -> None:
    parsed = parse_retry_after(value, WALL)
    if parsed is not None:
        assert RETRY_AFTER_MIN_S <= parsed.seconds <= RETRY_AFTER_MAX_S
        if parsed.capped:
            assert parsed.seconds == RETRY_AFTER_MAX_S


def _drive(value: str) -> tuple[BaseException | None, list[float], int]:
    """One GET against a server that always answers 429 with this Retry-After."""

    async def go() -> tuple[BaseException | None, list[float], int]:
        client, rec, clock = mock_client(
            lambda r: plivo_error(429, "slow down", **{"retry-after": value}),
            clock=FakeClock(wall=WALL),
            policy=ClientPolicy(retry=POLICY, rate=FAST, deadline_s=600.0),
        )
        raised: BaseException | None = None
        async with client:
            try:
                await client.get_live_call(CALL)
            except BaseException as exc:  # the class is what is asserted
                raised = exc
        return raised, clock.sleeps, rec.count()

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(go())
    finally:
        loop.close()


@given(hostile_values)
@example("99999999999999999999")  # overflowed time.localtime: a bare OverflowError
@example("100000000000000000")  # an OSError from localtime, reported as a lost connection
@example("Tue, 14 Nov 2000 22:00:00 GMT")  # a past date: four attempts with no wait at all
@example("0")
@example("nan")
@example("-1")
@example("Fri, 31 Dec 9999 23:59:59 GMT")
def test_any_retry_after_ends_in_a_bounded_wait_and_a_rate_limited(value: str) -> None:
    raised, sleeps, attempts = _drive(value)
    assert isinstance(raised, RateLimited), repr(raised)
    assert 1 <= attempts <= POLICY.max_attempts
    assert len(sleeps) == attempts - 1
    assert all(0 < s <= POLICY.retry_after_cap_s for s in sleeps), sleeps
    parsed = parse_retry_after(value, WALL)
    if parsed is not None:
        # Plivo's wait, bounded, is obeyed: never a zero-wait burst.
        assert all(s >= RETRY_AFTER_MIN_S for s in sleeps), sleeps
        assert raised.retry_after is not None
        assert RETRY_AFTER_MIN_S <= raised.retry_after <= RETRY_AFTER_MAX_S
        assert raised.retry_at is not None and raised.retry_at <= WALL + 10 * RETRY_AFTER_MAX_S
    assert "Traceback" not in raised.message and "e+" not in raised.message


@pytest.mark.parametrize(
    "value", ["99999999999999999999", "86400", "Fri, 31 Dec 9999 23:59:59 GMT"]
)
def test_a_retry_after_beyond_an_hour_is_held_to_an_hour_and_the_message_says_so(
    value: str,
) -> None:
    raised, sleeps, attempts = _drive(value)
    assert isinstance(raised, RateLimited)
    assert attempts == 1 and sleeps == []  # beyond the cap: shown to the agent, not slept
    assert raised.retry_after == RETRY_AFTER_MAX_S and raised.retry_after_capped
    assert "asks to wait longer than 1 h; the console waits at most that long" in raised.message


def test_a_past_date_waits_the_minimum_between_attempts() -> None:
    raised, sleeps, attempts = _drive("Tue, 14 Nov 2000 22:00:00 GMT")
    assert isinstance(raised, RateLimited)
    assert attempts == POLICY.max_attempts
    assert sleeps == [RETRY_AFTER_MIN_S] * (POLICY.max_attempts - 1)
