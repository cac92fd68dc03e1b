"""Faults on a real socket: stalls, drip-feeds, resets, refused
connections, proxy pages, bad and huge bodies. Each asserts the exact number of attempts the
server saw and the error the agent gets; timings use short policies and generous upper bounds."""

from __future__ import annotations

import re
import socket
import time

import pytest

from console.api import (
    AmbiguousStart,
    AuthenticationFailed,
    ClientPolicy,
    ConnectFailed,
    ConnectionLost,
    DeadlineExceeded,
    PlivoClient,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    StaticToken,
    UnexpectedResponse,
)
from console.domain.stream_request import StreamRequest
from tests.api.evil import MiB, evil_server, header_dripper
from tests.api.fakes import AUTH_ID, FAST, TOKEN

QUICK_RETRIES = RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_cap_s=0.02)


def policy(**changes: object) -> ClientPolicy:
    base: dict[str, object] = dict(
        connect_timeout_s=1.0,
        read_timeout_s=0.3,
        write_timeout_s=1.0,
        pool_timeout_s=1.0,
        deadline_s=5.0,
        backstop_grace_s=0.5,
        retry=QUICK_RETRIES,
        rate=FAST,
    )
    base.update(changes)
    return ClientPolicy(**base)  # type: ignore[arg-type]


def client_for(base_url: str, **changes: object) -> PlivoClient:
    return PlivoClient(AUTH_ID, StaticToken(TOKEN), base_url, policy=policy(**changes))


@pytest.mark.parametrize("fault", ["stall-headers", "stall-body"])
@pytest.mark.asyncio
async def test_read_stall_get_is_retried_then_times_out(fault: str) -> None:
    async with evil_server() as server, client_for(server.base_url) as client:
        started = time.monotonic()
        with pytest.raises(RequestTimeout) as caught:
            await client.get_live_call(fault)
        elapsed = time.monotonic() - started
    assert server.count(fault, "GET") == 3
    assert caught.value.detail.attempts == 3
    assert "did not answer within 0.3 s" in caught.value.message
    assert 0.9 <= elapsed < 3.0


@pytest.mark.asyncio
async def test_read_stall_on_start_is_sent_once_then_reconciled() -> None:
    async with evil_server() as server, client_for(server.base_url) as client:
        with pytest.raises(AmbiguousStart) as caught:
            await client.start_stream("stall-headers", StreamRequest("wss://x.test/a"))
    assert server.count("stall-headers", "POST") == 1
    assert caught.value.checked and isinstance(caught.value.cause, RequestTimeout)
    assert caught.value.message.startswith("No stream was started")


@pytest.mark.asyncio
async def test_drip_fed_body_is_cut_at_the_deadline() -> None:
    async with evil_server() as server, client_for(server.base_url, deadline_s=1.0) as client:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded) as caught:
            await client.get_live_call("drip")
        elapsed = time.monotonic() - started
    assert server.count("drip") == 1  # the time budget is spent: no second attempt
    assert 1.0 <= elapsed < 2.0
    assert "longer than 1 s" in caught.value.message


@pytest.mark.asyncio
async def test_drip_fed_headers_are_cut_by_the_backstop() -> None:
    async with header_dripper() as base_url, client_for(base_url, deadline_s=1.0) as client:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            await client.get_live_call("anything")
        elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 1.0 + 0.5 + 0.5


@pytest.mark.asyncio
async def test_connection_reset_mid_body_is_a_network_error_and_retried() -> None:
    async with evil_server() as server, client_for(server.base_url) as client:
        with pytest.raises(ConnectionLost) as caught:
            await client.get_live_call("reset")
        assert server.count("reset") == 3
        with pytest.raises(AmbiguousStart):
            await client.start_stream("reset", StreamRequest("wss://x.test/a"))
    assert server.count("reset", "POST") == 1
    assert "broke off" in caught.value.message


@pytest.mark.asyncio
async def test_refused_connection_is_retried_for_every_method() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"  # nothing listens here any more
    async with client_for(base_url) as client:
        with pytest.raises(ConnectFailed) as caught:
            await client.list_live_call_ids()
        assert client.attempts == 3
        with pytest.raises(ConnectFailed):  # nothing was sent, so even a start may be repeated
            await client.start_stream("ok", StreamRequest("wss://x.test/a"))
        assert client.attempts == 6
    assert "Could not connect to Plivo at 127.0.0.1" in caught.value.message


@pytest.mark.asyncio
async def test_html_502_page_is_a_server_error_with_its_excerpt() -> None:
    async with evil_server() as server, client_for(server.base_url) as client:
        with pytest.raises(ServerError) as caught:
            await client.get_live_call("html502")
    assert server.count("html502") == 3
    assert "502 Bad Gateway with a web page instead of data" in caught.value.message
    assert caught.value.detail.content_type is not None
    assert "text/html" in caught.value.detail.content_type
    assert "502 Bad Gateway" in (caught.value.detail.body_excerpt or "")


@pytest.mark.asyncio
async def test_invalid_json_is_one_attempt_and_a_clear_error() -> None:
    async with evil_server() as server, client_for(server.base_url) as client:
        with pytest.raises(UnexpectedResponse) as caught:
            await client.get_live_call("badjson")
    assert server.count("badjson") == 1
    assert "not valid JSON" in caught.value.message
    assert caught.value.detail.body_excerpt == '{"call_uuid": "x",'


@pytest.mark.parametrize("fault", ["huge", "huge-declared"])
@pytest.mark.asyncio
async def test_a_50_mib_body_is_refused_after_at_most_5_mib(fault: str) -> None:
    async with evil_server() as server, client_for(server.base_url) as client:
        started = time.monotonic()
        with pytest.raises(UnexpectedResponse) as caught:
            await client.get_live_call(fault)
        elapsed = time.monotonic() - started
    assert server.count(fault) == 1
    assert "larger than the 5 MiB" in caught.value.message
    assert server.huge_written < 20 * MiB  # the client hung up long before 50 MiB
    assert elapsed < 3.0


@pytest.mark.asyncio
async def test_401_from_a_server_is_one_attempt() -> None:
    async with evil_server() as server, client_for(server.base_url) as client:
        with pytest.raises(AuthenticationFailed):
            await client.stop_stream("unauthorized", "s-1")
    assert server.count("unauthorized") == 1


@pytest.mark.asyncio
async def test_every_operation_works_against_a_well_behaved_server() -> None:
    async with evil_server() as server, client_for(server.base_url) as client:
        assert (await client.get_live_call("ok")).from_number == "+1"
        assert (await client.start_stream("ok", StreamRequest("wss://x.test/a"))).stream_id == "s-1"
        await client.stop_stream("ok", "s-1")
    assert server.count("ok") == 3


@pytest.mark.asyncio
async def test_a_stalled_start_leaves_its_reconcile_time_within_one_deadline() -> None:
    """The POST may use 60 % of the start's deadline (its 10 s read timeout is clamped to that),
    so the check that follows fits in the same deadline instead of starting a fresh one."""
    async with (
        evil_server() as server,
        client_for(server.base_url, deadline_s=2.0, read_timeout_s=10.0) as client,
    ):
        started = time.monotonic()
        with pytest.raises(AmbiguousStart) as caught:
            await client.start_stream("stall-headers", StreamRequest("wss://x.test/a"))
        elapsed = time.monotonic() - started
    assert server.count("stall-headers", "POST") == 1
    assert caught.value.checked and caught.value.message.startswith("No stream was started")
    assert 1.2 <= elapsed < 2.0
    # The POST's own share (1.2 s less the moments before it left), rounded for people.
    assert re.search(r"did not answer within 1\.\d s\b", caught.value.message), caught.value.message
