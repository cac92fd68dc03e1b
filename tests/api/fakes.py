"""Test doubles for the API layer: a clock that never really waits, a recording observer, and
helpers to build a client around an `httpx.MockTransport` (used where no server is needed)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from console.api import (
    ApiError,
    ClientPolicy,
    PlivoClient,
    RateLimit,
    RetryPolicy,
    StaticToken,
    Wait,
)

AUTH_ID = "MAZDEXAMPLEACCOUNT01"
TOKEN = "test-token-not-secret"
SEED = 7
FAST = RateLimit(limit=10**9)  # pacing out of the way


class FakeClock:
    """Monotonic and wall time move only when someone sleeps; sleeps are recorded."""

    def __init__(self, start: float = 1_000.0, wall: float = 1_700_000_000.0) -> None:
        self.now = start
        self.wall_offset = wall - start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now + self.wall_offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@dataclass
class RecordingObserver:
    waits: list[Wait] = field(default_factory=list)
    failures: list[tuple[ApiError, bool]] = field(default_factory=list)
    healthy_calls: int = 0

    def waiting(self, wait: Wait) -> None:
        self.waits.append(wait)

    def request_failed(self, error: ApiError, *, retrying: bool) -> None:
        self.failures.append((error, retrying))

    def healthy(self) -> None:
        self.healthy_calls += 1


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorder:
    """Wraps a handler and keeps every request it saw."""

    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def count(self, method: str | None = None) -> int:
        return sum(1 for r in self.requests if method is None or r.method == method)


def mock_client(
    handler: Handler,
    *,
    clock: FakeClock | None = None,
    observer: RecordingObserver | None = None,
    policy: ClientPolicy | None = None,
    base_url: str = "https://api.plivo.com",
) -> tuple[PlivoClient, Recorder, FakeClock]:
    clock = clock or FakeClock()
    recorder = Recorder(handler)
    client = PlivoClient(
        AUTH_ID,
        StaticToken(TOKEN),
        base_url,
        transport=httpx.MockTransport(recorder),
        policy=policy or ClientPolicy(rate=FAST),
        observer=observer,
        clock=clock,
        rng=random.Random(SEED),
    )
    return client, recorder, clock


def expected_backoffs(n: int, policy: RetryPolicy | None = None) -> list[float]:
    """The first `n` full-jitter delays the client draws with the test seed."""
    policy = policy or RetryPolicy()
    rng = random.Random(SEED)
    return [policy.backoff(attempt, rng) for attempt in range(1, n + 1)]


def json_response(status: int, data: object, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(data).encode(),
        headers={"content-type": "application/json", **headers},
    )


def plivo_error(status: int, message: str, **headers: str) -> httpx.Response:
    return json_response(status, {"api_id": "api-123", "error": message}, **headers)
