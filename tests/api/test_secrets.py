"""The token never shows: not in reprs, not in error texts or details, not in log records, not
on stdout/stderr, in raw or Basic-auth (base64) form (with a canary)."""

from __future__ import annotations

import base64
import logging
import pickle
import socket
import uuid

import pytest

from console.api import ApiError, ClientPolicy, PlivoAuth, PlivoClient, RetryPolicy, StaticToken
from console.domain.stream_request import StreamRequest
from tests.api.evil import evil_server
from tests.api.fakes import AUTH_ID, FAST


def _texts(error: BaseException) -> list[str]:
    out = [str(error), repr(error)]
    if isinstance(error, ApiError):
        out += [error.message, str(error.detail), repr(error.detail), *error.detail.lines()]
        cause = getattr(error, "cause", None)
        if cause is not None:
            out += _texts(cause)
    return out


@pytest.mark.asyncio
async def test_canary_token_never_appears(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    canary = f"PLIVO-CANARY-{uuid.uuid4()}"
    basic = base64.b64encode(f"{AUTH_ID}:{canary}".encode()).decode()
    tokens = StaticToken(canary)
    policy = ClientPolicy(
        rate=FAST,
        read_timeout_s=0.3,
        retry=RetryPolicy(max_attempts=2, backoff_base_s=0.01, backoff_cap_s=0.01),
    )
    texts: list[str] = [repr(tokens), repr(PlivoAuth(AUTH_ID, tokens))]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    caplog.set_level(logging.DEBUG)
    async with evil_server() as server:
        for base in (server.base_url, f"http://127.0.0.1:{dead_port}"):
            async with PlivoClient(AUTH_ID, tokens, base, policy=policy) as client:
                texts += [repr(client), str(client)]
                if base == server.base_url:
                    await client.get_live_call("ok")
                for fault in ("unauthorized", "echo", "html502", "badjson", "reset", "stall-body"):
                    with pytest.raises(ApiError) as caught:
                        await client.get_live_call(fault)
                    texts += _texts(caught.value)
                with pytest.raises(ApiError) as start_error:
                    await client.start_stream("echo", StreamRequest("wss://x.test/a"))
                texts += _texts(start_error.value)
    assert server.count("echo") == 3  # the echoing server really received the header
    out, err = capfd.readouterr()
    texts += [out, err]
    texts += [r.getMessage() for r in caplog.records]
    texts += [str(r.args) for r in caplog.records]
    assert caplog.records  # the client and httpx did log
    leaks = [t for t in texts if canary in t or basic in t]
    assert leaks == []
    with pytest.raises(TypeError):
        pickle.dumps(tokens)
