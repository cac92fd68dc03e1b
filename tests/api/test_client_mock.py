"""The client's wire format and policy decisions, with `httpx.MockTransport` standing in for
Plivo where the behaviour is about our decisions, not about bytes on a socket (those are in
test_wire_faults.py against real local servers) and a fake clock so backoff delays and attempt
counts are exact without waiting."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from console import __version__
from console.api import (
    AmbiguousStart,
    AuthenticationFailed,
    BadRequest,
    ClientPolicy,
    ConnectFailed,
    CredentialsUnavailable,
    Forbidden,
    NotFound,
    PlivoClient,
    Priority,
    RateLimited,
    RetryPolicy,
    ServerError,
    StaticToken,
    UnexpectedResponse,
    WaitReason,
)
from console.api.ratelimit import Grant
from console.domain.stream_params import AudioTrack, ContentType
from console.domain.stream_request import StreamRequest
from console.domain.streams import StopOutcome
from tests.api.fakes import (
    AUTH_ID,
    FAST,
    TOKEN,
    FakeClock,
    RecordingObserver,
    expected_backoffs,
    json_response,
    mock_client,
    plivo_error,
)

PREFIX = f"/v1/Account/{AUTH_ID}/"
CALL = "b6f3b0f2-6d1e-4a5c-9d59-2f3f1b7e0a11"
STREAM = "c436abf8-e8a1-4d96-9aa8-b9143f7f3517"


def live_list(ids: list[str]):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == PREFIX + "Call/":
            offset = int(request.url.params["offset"])
            limit = int(request.url.params["limit"])
            return json_response(200, {"api_id": "a", "calls": ids[offset : offset + limit]})
        uuid = path.removeprefix(PREFIX + "Call/").strip("/")
        return json_response(200, {"call_uuid": uuid, "from": "+15550001", "to": "+15550002"})

    return handler


# --- what goes on the wire ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_requests_carry_sdk_paths_headers_and_basic_auth() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return json_response(201, {"api_id": "a", "message": "ok", "stream_id": STREAM})
        if request.method == "DELETE":
            return httpx.Response(204)
        if request.url.path.endswith("/Stream/"):
            return json_response(200, {"api_id": "a", "meta": {"count": 0}, "objects": []})
        if "/Stream/" in request.url.path:
            return json_response(200, {"stream_id": STREAM, "call_uuid": CALL})
        return json_response(200, {"call_uuid": CALL, "calls": []})

    client, rec, _ = mock_client(handler)
    request = StreamRequest(
        "wss://example.test/audio",
        bidirectional=False,
        audio_track=AudioTrack.BOTH,
        content_type=ContentType.MULAW_8K,
    )
    async with client:
        await client.list_live_call_ids(
            direction="inbound", from_number="+1555", to_number=["1", "2"]
        )
        await client.get_live_call(CALL)
        await client.list_queued_call_ids()
        await client.get_queued_call(CALL)
        await client.start_stream(CALL, request)
        await client.list_streams(CALL)
        await client.get_stream(CALL, STREAM)
        await client.stop_stream(CALL, STREAM)
        await client.stop_all_streams(CALL)

    seen = [(r.method, r.url.path, dict(r.url.params)) for r in rec.requests]
    assert seen == [
        ("GET", PREFIX + "Call/", {"status": "live", "call_direction": "inbound",
                                   "from_number": "+1555", "to_number": "1<2",
                                   "limit": "20", "offset": "0"}),
        ("GET", PREFIX + f"Call/{CALL}/", {"status": "live"}),
        ("GET", PREFIX + "Call/", {"status": "queued", "limit": "20", "offset": "0"}),
        ("GET", PREFIX + f"Call/{CALL}/", {"status": "queued"}),
        ("POST", PREFIX + f"Call/{CALL}/Stream/", {}),
        ("GET", PREFIX + f"Call/{CALL}/Stream/", {}),
        ("GET", PREFIX + f"Call/{CALL}/Stream/{STREAM}/", {}),
        ("DELETE", PREFIX + f"Call/{CALL}/Stream/{STREAM}/", {}),
        ("DELETE", PREFIX + f"Call/{CALL}/Stream/", {}),
    ]  # fmt: skip
    expected_auth = "Basic " + base64.b64encode(f"{AUTH_ID}:{TOKEN}".encode()).decode()
    for r in rec.requests:
        assert r.headers["authorization"] == expected_auth
        assert r.headers["user-agent"] == f"stream-console/{__version__}"
        assert r.headers["accept"] == "application/json"
    post = rec.requests[4]
    assert post.headers["content-type"] == "application/json"
    assert json.loads(post.content) == request.to_body()
    assert rec.requests[7].content == b""


@pytest.mark.parametrize(("n", "pages"), [(0, 1), (1, 1), (19, 1), (20, 2), (40, 3), (45, 3)])
@pytest.mark.asyncio
async def test_listing_reads_pages_until_a_short_one(n: int, pages: int) -> None:
    ids = [f"call-{i:04d}" for i in range(n)]
    client, rec, _ = mock_client(live_list(ids))
    async with client:
        assert await client.list_live_call_ids() == ids
    assert rec.count() == pages
    offsets = [r.url.params["offset"] for r in rec.requests]
    assert offsets == [str(20 * i) for i in range(pages)]


@pytest.mark.asyncio
async def test_listing_stops_when_the_server_ignores_offset() -> None:
    ids = [f"call-{i}" for i in range(20)]
    client, rec, _ = mock_client(lambda r: json_response(200, {"calls": ids}))
    async with client:
        assert await client.list_live_call_ids() == ids
    assert rec.count() == 2


# --- incremental refresh (request counts; against the simulator in test_simulator.py) ------


@pytest.mark.asyncio
async def test_refresh_fetches_details_only_for_new_calls() -> None:
    ids = [f"call-{i:03d}" for i in range(45)]
    client, rec, _ = mock_client(live_list(ids))
    async with client:
        cold = await client.refresh_live_calls()
        assert (cold.requests, len(cold.calls), len(cold.added), cold.removed) == (
            48,
            45,
            45,
            set(),
        )
        assert [c.call_uuid for c in cold.calls] == ids
        assert cold.calls[0].from_number == "+15550001"
        warm = await client.refresh_live_calls()
        assert (warm.requests, warm.added, warm.removed) == (3, set(), set())
        del ids[10:13]
        ids += ["new-1", "new-2"]
        changed = await client.refresh_live_calls()
        assert changed.requests == 3 + 2
        assert changed.added == {"new-1", "new-2"}
        assert changed.removed == {"call-010", "call-011", "call-012"}
        assert [c.call_uuid for c in changed.calls] == ids
    assert rec.count() == 48 + 3 + 5


@pytest.mark.asyncio
async def test_refresh_skips_a_call_that_ended_before_its_details_were_read() -> None:
    ids = ["a", "b", "c"]
    inner = live_list(ids)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/b/"):
            return plivo_error(404, "call not found")
        return inner(request)

    client, _, _ = mock_client(handler)
    async with client:
        result = await client.refresh_live_calls()
    assert [c.call_uuid for c in result.calls] == ["a", "c"]
    assert result.added == {"a", "c"}


@pytest.mark.asyncio
async def test_refresh_failure_keeps_details_already_fetched() -> None:
    ids = [f"c{i}" for i in range(10)]
    inner = live_list(ids)
    broken = {"c7"}

    def handler(request: httpx.Request) -> httpx.Response:
        if any(request.url.path.endswith(f"/{b}/") for b in broken):
            return plivo_error(403, "nope")
        return inner(request)

    client, rec, _ = mock_client(handler)
    async with client:
        with pytest.raises(Forbidden):
            await client.refresh_live_calls()
        broken.clear()
        first = rec.count()
        result = await client.refresh_live_calls()
    assert len(result.calls) == 10
    assert rec.count() - first == 1 + 1  # one page, only the failed call's details


# --- retries and their waits --------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.asyncio
async def test_get_5xx_is_tried_four_times_with_full_jitter_backoff(status: int) -> None:
    observer = RecordingObserver()
    client, rec, clock = mock_client(lambda r: plivo_error(status, "boom"), observer=observer)
    async with client:
        with pytest.raises(ServerError) as caught:
            await client.get_live_call(CALL)
    assert rec.count() == 4
    assert clock.sleeps == pytest.approx(expected_backoffs(3))
    assert all(0 <= s <= c for s, c in zip(clock.sleeps, [0.5, 1.0, 2.0], strict=True))
    error = caught.value
    assert error.detail.status == status
    assert error.detail.attempts == 4
    assert error.detail.plivo_error == "boom"
    assert error.detail.api_id == "api-123"
    assert str(status) in error.message and "try again" in error.message.lower()
    assert [retrying for _, retrying in observer.failures] == [True, True, True, False]
    assert [w.reason for w in observer.waits] == [WaitReason.BACKOFF] * 3


@pytest.mark.asyncio
async def test_recovery_after_failures_is_reported_healthy_once() -> None:
    replies = iter([plivo_error(503, "x"), plivo_error(503, "x")])
    observer = RecordingObserver()

    def handler(request: httpx.Request) -> httpx.Response:
        return next(replies, None) or json_response(200, {"call_uuid": CALL})

    client, rec, _ = mock_client(handler, observer=observer)
    async with client:
        await client.get_live_call(CALL)
        await client.get_live_call(CALL)
    assert rec.count() == 4
    assert observer.healthy_calls == 1


@pytest.mark.asyncio
async def test_429_retry_after_seconds_is_obeyed_exactly() -> None:
    replies = iter([plivo_error(429, "too many", **{"retry-after": "2"})])
    observer = RecordingObserver()
    client, rec, clock = mock_client(
        lambda r: next(replies, None) or json_response(200, {"call_uuid": CALL}), observer=observer
    )
    async with client:
        call = await client.get_live_call(CALL)
    assert call.call_uuid == CALL
    assert rec.count() == 2
    assert clock.sleeps[0] == 2.0
    assert observer.waits[0].reason is WaitReason.RETRY_AFTER
    assert observer.waits[0].until == pytest.approx(clock.time())


@pytest.mark.asyncio
async def test_429_retry_after_http_date_is_obeyed() -> None:
    clock = FakeClock()
    when = datetime.fromtimestamp(clock.time() + 7, UTC)
    replies = iter(
        [plivo_error(429, "slow down", **{"retry-after": format_datetime(when, usegmt=True)})]
    )
    client, rec, clock = mock_client(
        lambda r: next(replies, None) or json_response(200, {"call_uuid": CALL}), clock=clock
    )
    async with client:
        await client.get_live_call(CALL)
    assert rec.count() == 2
    assert clock.sleeps[0] == pytest.approx(7.0, abs=1.0)  # HTTP dates have 1 s resolution


@pytest.mark.asyncio
async def test_429_with_garbage_retry_after_falls_back_to_backoff() -> None:
    client, rec, clock = mock_client(lambda r: plivo_error(429, "x", **{"retry-after": "soon-ish"}))
    async with client:
        with pytest.raises(RateLimited) as caught:
            await client.get_live_call(CALL)
    assert rec.count() == 4
    assert clock.sleeps == pytest.approx(expected_backoffs(3))
    assert caught.value.retry_after is None and caught.value.retry_at is None
    assert "rate limit" in caught.value.message


@pytest.mark.asyncio
async def test_a_long_retry_after_is_shown_not_slept_and_pauses_the_account() -> None:
    client, rec, clock = mock_client(lambda r: plivo_error(429, "x", **{"retry-after": "120"}))
    async with client:
        with pytest.raises(RateLimited) as caught:
            await client.get_live_call(CALL)
        assert rec.count() == 1 and clock.sleeps == []
        assert caught.value.retry_after == 120
        assert caught.value.retry_at == pytest.approx(clock.time() + 120)
        assert "wait 2 min, until" in caught.value.message
        with pytest.raises(RateLimited) as again:  # nothing is sent while Plivo asked to pause
            await client.start_stream(CALL, StreamRequest("wss://x.test/a"))
        assert rec.count() == 1
        assert again.value.retry_after == pytest.approx(120)


@pytest.mark.asyncio
async def test_post_is_retried_when_nothing_was_sent() -> None:
    attempts = iter([httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])

    def handler(request: httpx.Request) -> httpx.Response:
        failure = next(attempts, None)
        if failure is not None:
            raise failure
        return json_response(201, {"api_id": "a", "stream_id": STREAM})

    client, rec, _ = mock_client(handler)
    async with client:
        started = await client.start_stream(CALL, StreamRequest("wss://x.test/a"))
    assert started.stream_id == STREAM and not started.reconciled
    assert rec.count("POST") == 3


@pytest.mark.asyncio
async def test_connect_refused_everywhere_gives_up_after_four_attempts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    client, rec, _ = mock_client(handler)
    async with client:
        with pytest.raises(ConnectFailed) as caught:
            await client.list_streams(CALL)
    assert rec.count() == 4
    assert "api.plivo.com" in caught.value.message
    assert "Connection refused" in (caught.value.detail.cause or "")


# --- start: never repeated once it may have been sent; reconcile --------------------------


def start_scenario(failure: httpx.Response | Exception, listed: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            if isinstance(failure, Exception):
                raise failure
            return failure
        return json_response(
            200, {"api_id": "l", "meta": {"total_count": len(listed)}, "objects": listed}
        )

    return handler


@pytest.mark.parametrize(
    "failure",
    [
        plivo_error(500, "internal"),
        httpx.Response(502, text="<html><title>502 Bad Gateway</title></html>"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.Response(201, text="not json"),
    ],
    ids=["500", "html-502", "read-timeout", "reset", "bad-2xx"],
)
@pytest.mark.asyncio
async def test_ambiguous_start_is_reconciled_to_the_new_stream(failure: object) -> None:
    listed = [
        {"stream_id": "old", "service_url": "wss://x.test/a", "status": "stopped",
         "end_time": "2024-01-01 10:00:00"},
        {"stream_id": "new", "service_url": "wss://X.test/a/", "status": "in-progress",
         "end_time": None},
    ]  # fmt: skip
    client, rec, _ = mock_client(start_scenario(failure, listed))  # type: ignore[arg-type]
    async with client:
        started = await client.start_stream(CALL, StreamRequest("wss://x.test/a"))
    assert rec.count("POST") == 1
    assert rec.count("GET") == 1
    assert started.stream_id == "new" and started.reconciled
    assert "Plivo now lists an active stream to this URL: new" in (started.message or "")


@pytest.mark.asyncio
async def test_ambiguous_start_with_no_stream_found_says_none_was_started() -> None:
    listed = [
        {"stream_id": "other", "service_url": "wss://elsewhere.test/", "status": "in-progress"}
    ]
    client, rec, _ = mock_client(start_scenario(plivo_error(503, "busy"), listed))
    async with client:
        with pytest.raises(AmbiguousStart) as caught:
            await client.start_stream(CALL, StreamRequest("wss://x.test/a"))
    assert rec.count("POST") == 1
    assert caught.value.checked and caught.value.stream is None
    assert caught.value.message.startswith("No stream was started")
    assert isinstance(caught.value.cause, ServerError)


@pytest.mark.asyncio
async def test_ambiguous_start_that_cannot_be_checked_says_so() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.ReadTimeout("timed out")
        return plivo_error(500, "down")

    client, rec, _ = mock_client(handler)
    async with client:
        with pytest.raises(AmbiguousStart) as caught:
            await client.start_stream(CALL, StreamRequest("wss://x.test/a"))
    assert rec.count("POST") == 1 and rec.count("GET") == 4
    assert not caught.value.checked
    assert "before starting again" in caught.value.message


@pytest.mark.asyncio
async def test_start_refused_by_plivo_is_not_reconciled_and_shows_plivo_text() -> None:
    client, rec, _ = mock_client(
        lambda r: plivo_error(400, "active stream already exists for the given service_url")
    )
    async with client:
        with pytest.raises(BadRequest) as caught:
            await client.start_stream(CALL, StreamRequest("wss://x.test/a"))
    assert rec.count() == 1
    assert "active stream already exists for the given service_url" in caught.value.message


# --- stop: already stopped and gone-on-retry count as done --------------------------------


@pytest.mark.asyncio
async def test_stop_outcomes() -> None:
    replies: list[httpx.Response] = []
    client, rec, _ = mock_client(lambda r: replies.pop(0))
    async with client:
        replies[:] = [httpx.Response(204)]
        assert (await client.stop_stream(CALL, STREAM)).outcome is StopOutcome.STOPPED
        replies[:] = [plivo_error(400, "No active stream found")]
        done = await client.stop_stream(CALL, STREAM)
        assert done.outcome is StopOutcome.ALREADY_STOPPED
        assert "No active stream found" in done.message
        replies[:] = [plivo_error(502, "gw"), plivo_error(404, "not found")]
        gone = await client.stop_stream(CALL, STREAM)
        assert gone.outcome is StopOutcome.GONE_AFTER_RETRY
        replies[:] = [json_response(204, {})]
        assert (await client.stop_all_streams(CALL)).outcome is StopOutcome.STOPPED
        replies[:] = [plivo_error(404, "not found")]
        with pytest.raises(NotFound):
            await client.stop_stream(CALL, STREAM)
        replies[:] = [plivo_error(400, "stream_id is not valid")]
        with pytest.raises(BadRequest):
            await client.stop_stream(CALL, STREAM)
    assert rec.count("DELETE") == 1 + 1 + 2 + 1 + 1 + 1


# --- answers that are not what they should be ---------------------------------------------


@pytest.mark.parametrize(
    ("response", "why"),
    [
        (httpx.Response(200, text="{not json"), "not valid JSON"),
        (httpx.Response(200, content=b""), "empty"),
        (httpx.Response(200, text="<!DOCTYPE html><title>Login</title>"), "web page"),
        (json_response(200, ["a"]), "not an object"),
        (json_response(200, {"api_id": "x"}), "does not look like Plivo's answer"),
    ],
)
@pytest.mark.asyncio
async def test_unreadable_answers_are_one_clear_error(response: httpx.Response, why: str) -> None:
    client, rec, _ = mock_client(lambda r: response)
    async with client:
        with pytest.raises(UnexpectedResponse) as caught:
            await client.get_stream(CALL, STREAM)
    assert rec.count() == 1
    assert why in caught.value.message
    assert caught.value.detail.path == PREFIX + f"Call/{CALL}/Stream/{STREAM}/"


@pytest.mark.asyncio
async def test_401_is_not_retried_and_asks_for_the_token() -> None:
    observer = RecordingObserver()
    client, rec, _ = mock_client(
        lambda r: plivo_error(401, "authentication failed"), observer=observer
    )
    async with client:
        with pytest.raises(AuthenticationFailed) as caught:
            await client.list_live_call_ids()
    assert rec.count() == 1
    assert "Re-enter the Auth Token" in caught.value.message
    assert observer.failures[0][1] is False


@pytest.mark.asyncio
async def test_403_and_404_messages() -> None:
    client, _, _ = mock_client(lambda r: plivo_error(403, "subaccount mismatch"))
    async with client:
        with pytest.raises(Forbidden) as forbidden:
            await client.get_live_call(CALL)
    assert "subaccount mismatch" in forbidden.value.message
    client, rec, _ = mock_client(lambda r: plivo_error(404, "Call not found"))
    async with client:
        with pytest.raises(NotFound) as missing:
            await client.get_live_call(CALL)
    assert rec.count() == 1
    assert "this live call" in missing.value.message


@pytest.mark.asyncio
async def test_a_failing_token_source_is_a_clear_error() -> None:
    class LockedKeyring:
        async def token(self) -> str:
            raise RuntimeError("Failed to unlock the collection!")

    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    client = PlivoClient(
        AUTH_ID,
        LockedKeyring(),
        transport=httpx.MockTransport(handler),
        policy=ClientPolicy(rate=FAST),
        clock=FakeClock(),
    )
    async with client:
        with pytest.raises(CredentialsUnavailable) as caught:
            await client.list_streams(CALL)
    assert sent == []
    assert "keyring" in caught.value.message


@pytest.mark.asyncio
async def test_pool_watchdog_rebuilds_the_client() -> None:
    made: list[int] = []

    def factory() -> httpx.AsyncBaseTransport:
        generation = len(made)
        made.append(generation)

        def handler(request: httpx.Request) -> httpx.Response:
            if generation == 0:
                raise httpx.PoolTimeout("no connection available")
            return json_response(200, {"call_uuid": CALL})

        return httpx.MockTransport(handler)

    client = PlivoClient(
        AUTH_ID,
        StaticToken(TOKEN),
        transport_factory=factory,
        policy=ClientPolicy(rate=FAST),
        clock=FakeClock(),
    )
    async with client:
        call = await client.get_live_call(CALL)
    assert call.call_uuid == CALL
    assert client.rebuilds == 1 and made == [0, 1]
    assert client.attempts == 3


def test_bad_arguments_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="starts with MA"):
        PlivoClient("XX123", StaticToken(TOKEN))
    with pytest.raises(ValueError):
        ClientPolicy(background_slots=18, operator_slots=2, max_connections=20)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


@pytest.mark.asyncio
async def test_operations_default_to_the_right_lane() -> None:
    client, _, _ = mock_client(lambda r: httpx.Response(204))
    seen: list[Priority] = []
    original = client.bucket.acquire

    async def spy(priority: Priority = Priority.BACKGROUND) -> Grant:
        seen.append(priority)
        return await original(priority)

    client.bucket.acquire = spy  # type: ignore[method-assign]
    async with client:
        await client.stop_stream(CALL, STREAM)
        await client.stop_all_streams(CALL)
        with pytest.raises(UnexpectedResponse):
            await client.get_stream(CALL, STREAM)
    assert seen == [Priority.OPERATOR, Priority.OPERATOR, Priority.BACKGROUND]


@pytest.mark.asyncio
async def test_cancelled_refresh_keeps_its_progress_and_leaves_no_task() -> None:
    ids = [f"c{i:03d}" for i in range(60)]
    inner = live_list(ids)
    details_seen: list[str] = []
    gate = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != PREFIX + "Call/":
            details_seen.append(request.url.path)
            if len(details_seen) > 20:
                await gate.wait()  # the rest hang until the refresh is cancelled
        return inner(request)

    client = PlivoClient(
        AUTH_ID,
        StaticToken(TOKEN),
        transport=httpx.MockTransport(handler),
        policy=ClientPolicy(rate=FAST),
    )
    async with client:
        before = set(asyncio.all_tasks())
        refresh = asyncio.ensure_future(client.refresh_live_calls())
        while len(details_seen) <= 20:
            await asyncio.sleep(0.005)
        refresh.cancel()
        with pytest.raises(asyncio.CancelledError):
            await refresh
        assert set(asyncio.all_tasks()) - before == set()
        gate.set()
        second = await client.refresh_live_calls()
    assert len(second.calls) == 60
    assert second.requests == 4 + (60 - 20)  # pages, then only the details not fetched before
