"""The client against the real simulator on loopback: every operation, every documented error,
pagination and incremental-refresh costs counted *at the simulator*, the simulator's own faults,
and the promise that the console never causes a 429 (Plivo's 300 requests / 5 s)."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from console.api import (
    AmbiguousStart,
    ApiError,
    AuthenticationFailed,
    BadRequest,
    ClientPolicy,
    ConnectionLost,
    NotFound,
    PlivoClient,
    RateLimited,
    RetryPolicy,
    ServerError,
    StaticToken,
    WaitReason,
)
from console.domain.stream_params import AudioTrack
from console.domain.stream_request import StreamRequest
from console.domain.streams import StopOutcome
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator, SimulatorConfig
from tests.api.fakes import FakeClock, RecordingObserver

WS = "wss://media.example.test/stream"


def sim_config(**overrides: object) -> SimulatorConfig:
    values: dict[str, object] = dict(
        calls=3, seed=1, churn=False, media=False, rate_limit=True, start_without_media_s=0.01
    )
    values.update(overrides)
    return SimulatorConfig(**values)  # type: ignore[arg-type]


@asynccontextmanager
async def running(**overrides: object) -> AsyncIterator[Simulator]:
    sim = Simulator(sim_config(**overrides))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def client_for(sim: Simulator, token: str = DEMO_AUTH_TOKEN, **kwargs: object) -> PlivoClient:
    return PlivoClient(DEMO_AUTH_ID, StaticToken(token), sim.base_url, **kwargs)  # type: ignore[arg-type]


# --- every operation ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_every_operation_against_the_simulator() -> None:
    async with running(calls=4, queued_calls=2) as sim, client_for(sim) as client:
        live = sim.live_call_uuids()
        assert sorted(await client.list_live_call_ids()) == sorted(live)
        call = await client.get_live_call(live[0])
        record = sim.state.calls[live[0]]
        assert (call.call_uuid, call.from_number, call.to_number, call.direction) == (
            record.call_uuid, record.from_number, record.to_number, record.direction,
        )  # fmt: skip
        assert call.call_status == "in-progress" and call.session_start

        queued = sim.queued_call_uuids()
        assert sorted(await client.list_queued_call_ids()) == sorted(queued)
        assert (await client.get_queued_call(queued[0])).call_status == "queued"

        started = await client.start_stream(live[0], StreamRequest(WS, audio_track=AudioTrack.BOTH))
        assert not started.reconciled and started.api_id
        assert [s.stream_id for s in sim.streams_of(live[0])] == [started.stream_id]
        listed = await client.list_streams(live[0])
        assert [s.stream_id for s in listed] == [started.stream_id]
        stream = await client.get_stream(live[0], started.stream_id)
        assert (stream.service_url, stream.audio_track, stream.is_active) == (WS, "both", True)

        stopped = await client.stop_stream(live[0], started.stream_id)
        assert stopped.outcome is StopOutcome.STOPPED
        assert not sim.streams_of(live[0])[0].active
        again = await client.stop_stream(live[0], started.stream_id)
        assert again.outcome is StopOutcome.ALREADY_STOPPED
        assert "No active stream found" in again.message
        assert not (await client.get_stream(live[0], started.stream_id)).is_active

        await client.start_stream(live[1], StreamRequest(WS))
        await client.start_stream(live[1], StreamRequest(WS + "/2"))
        everything = await client.stop_all_streams(live[1])
        assert everything.outcome is StopOutcome.STOPPED
        assert not any(s.active for s in sim.streams_of(live[1]))

    stats = sim.stats
    assert stats.rate_limited == 0 and stats.unauthorized == 0
    assert (stats.count(kind="start_stream"), stats.count(kind="stop_stream")) == (3, 2)
    assert stats.count(kind="stop_all_streams") == 1


@pytest.mark.asyncio
async def test_filters_reach_the_simulator() -> None:
    async with running(calls=0) as sim, client_for(sim) as client:
        inbound = sim.add_live_calls(3, direction="inbound", from_number="+14155550100")
        outbound = sim.add_live_calls(2, direction="outbound", to_number="+442071838750")
        assert sorted(await client.list_live_call_ids(direction="inbound")) == sorted(inbound)
        assert sorted(await client.list_live_call_ids(to_number=["+442071838750"])) == sorted(
            outbound
        )
        assert await client.list_live_call_ids(from_number="+14155550100") == inbound


@pytest.mark.asyncio
async def test_list_streams_follows_pages() -> None:
    async with running(calls=1) as sim, client_for(sim) as client:
        call = sim.live_call_uuids()[0]
        for n in range(25):
            await client.start_stream(call, StreamRequest(f"{WS}/{n}"))
        sim.stats.reset()
        streams = await client.list_streams(call)
    assert sorted(s.stream_id for s in streams) == sorted(r.stream_id for r in sim.streams_of(call))
    assert len(streams) == 25
    assert sim.stats.count(kind="list_streams") == 2


# --- every documented error --------------------------------------------------------------


@pytest.mark.asyncio
async def test_documented_errors() -> None:
    async with running() as sim:
        async with client_for(sim, token="wrong-token") as stranger:
            with pytest.raises(AuthenticationFailed) as unauthorized:
                await stranger.list_live_call_ids()
        assert sim.stats.unauthorized == 1  # one attempt: a 401 is not retried
        assert "Re-enter the Auth Token" in unauthorized.value.message

        async with client_for(sim) as client:
            call = sim.live_call_uuids()[0]
            with pytest.raises(NotFound) as no_call:
                await client.get_live_call("00000000-0000-0000-0000-000000000000")
            assert no_call.value.detail.plivo_error == "Call not found"
            assert no_call.value.detail.api_id
            with pytest.raises(NotFound):
                await client.get_stream(call, "00000000-0000-0000-0000-000000000000")
            with pytest.raises(NotFound):
                await client.stop_stream(call, "00000000-0000-0000-0000-000000000000")

            with pytest.raises(BadRequest) as invalid:
                await client.start_stream(call, StreamRequest("http://not-a-websocket.test/"))
            assert invalid.value.detail.plivo_error
            assert invalid.value.detail.plivo_error in invalid.value.message

            await client.start_stream(call, StreamRequest(WS))
            with pytest.raises(BadRequest) as duplicate:
                await client.start_stream(call, StreamRequest(WS))
            assert "already exists" in duplicate.value.message
            assert sim.stats.count(kind="start_stream") == 3  # none repeated

            sim.hangup(call)
            with pytest.raises(NotFound):
                await client.get_live_call(call)
            with pytest.raises(NotFound):
                await client.start_stream(call, StreamRequest(WS + "/x"))


@pytest.mark.parametrize("form", ["seconds", "http-date"])
@pytest.mark.asyncio
async def test_simulator_429_retry_after_is_obeyed(form: str) -> None:
    clock = FakeClock(wall=time.time())
    observer = RecordingObserver()
    async with running() as sim:
        sim.faults.force_429 = True
        sim.faults.retry_after = (
            3 if form == "seconds"
            else format_datetime(datetime.fromtimestamp(clock.time() + 3, UTC), usegmt=True)
        )  # fmt: skip

        class LiftAfterFirstWait(RecordingObserver):
            def waiting(self, wait: object) -> None:
                super().waiting(wait)  # type: ignore[arg-type]
                sim.faults.reset()

        observer = LiftAfterFirstWait()
        async with client_for(sim, clock=clock, observer=observer) as client:
            ids = await client.list_live_call_ids()
    assert len(ids) == 3
    assert sim.stats.count(kind="list_calls") == 2
    assert clock.sleeps[0] == pytest.approx(3.0, abs=1.0)
    assert observer.waits[0].reason is WaitReason.RETRY_AFTER


@pytest.mark.asyncio
async def test_simulator_long_retry_after_is_reported_not_waited() -> None:
    async with running() as sim:
        sim.faults.force_429 = True
        sim.faults.retry_after = 90
        async with client_for(sim, clock=FakeClock()) as client:
            with pytest.raises(RateLimited) as caught:
                await client.list_live_call_ids()
    assert sim.stats.count() == 1
    assert caught.value.retry_after == 90


@pytest.mark.asyncio
async def test_simulator_5xx_then_success_and_dropped_connections() -> None:
    async with running() as sim, client_for(sim, clock=FakeClock()) as client:
        sim.faults.error_status, sim.faults.fail_next = 503, 2
        assert len(await client.list_live_call_ids()) == 3
        assert sim.stats.count(kind="list_calls") == 3
        sim.faults.fail_next = 10
        with pytest.raises(ServerError):
            await client.get_live_call(sim.live_call_uuids()[0])
        assert sim.stats.count(kind="get_call") == 4
        sim.faults.reset()
        sim.faults.drop_connection = 1.0
        with pytest.raises(ConnectionLost):
            await client.get_live_call(sim.live_call_uuids()[0])
        assert sim.stats.count(kind="get_call") == 8


QUICK = ClientPolicy(
    read_timeout_s=0.2,
    retry=RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_cap_s=0.02),
)


@pytest.mark.asyncio
async def test_start_that_timed_out_after_plivo_acted_is_reconciled() -> None:
    """The simulator starts the stream, then stalls its answer: a real ambiguous start."""
    async with running() as sim, client_for(sim, policy=QUICK) as client:
        call = sim.live_call_uuids()[0]
        sim.faults.kinds = frozenset({"start_stream"})
        sim.faults.stall_s = 1.0
        started = await client.start_stream(call, StreamRequest(WS))
        assert started.reconciled
        assert started.stream_id == sim.streams_of(call)[0].stream_id
        assert "Plivo now lists an active stream to this URL" in (started.message or "")
        assert sim.stats.count(kind="start_stream") == 1
        assert sim.stats.count(kind="list_streams") == 1

        sim.faults.reset()
        sim.faults.kinds = frozenset({"start_stream"})
        sim.faults.fail_next = 1  # refused before it acted
        with pytest.raises(AmbiguousStart) as caught:
            await client.start_stream(call, StreamRequest(WS + "/other"))
        assert caught.value.checked and caught.value.message.startswith("No stream was started")
        assert len(sim.streams_of(call)) == 1


@pytest.mark.asyncio
async def test_stop_that_timed_out_after_plivo_acted_counts_as_done() -> None:
    async with running() as sim:
        call = sim.live_call_uuids()[0]

        class StallOnce(RecordingObserver):
            def request_failed(self, error: ApiError, *, retrying: bool) -> None:
                super().request_failed(error, retrying=retrying)
                sim.faults.reset()

        observer = StallOnce()
        async with client_for(sim, policy=QUICK, observer=observer) as client:
            started = await client.start_stream(call, StreamRequest(WS))
            sim.faults.kinds = frozenset({"stop_stream"})
            sim.faults.stall_s = 1.0
            stopped = await client.stop_stream(call, started.stream_id)
    assert stopped.outcome is StopOutcome.ALREADY_STOPPED
    assert sim.stats.count(kind="stop_stream") == 2
    assert not sim.streams_of(call)[0].active


# --- pagination and incremental refresh, counted at the simulator -------------------------


@pytest.mark.asyncio
async def test_45_calls_are_three_pages() -> None:
    async with running(calls=45) as sim, client_for(sim) as client:
        ids = await client.list_live_call_ids()
    assert sorted(ids) == sorted(sim.live_call_uuids()) and len(set(ids)) == 45
    assert sim.stats.count(kind="list_calls") == 3


@pytest.mark.asyncio
async def test_incremental_refresh_costs_measured_at_the_simulator() -> None:
    async with running(calls=45) as sim, client_for(sim) as client:
        cold = await client.refresh_live_calls()
        assert sim.stats.count(kind="list_calls") == 3
        assert sim.stats.count(kind="get_call") == 45
        assert cold.requests == sim.stats.total == 48
        assert {c.call_uuid for c in cold.calls} == set(sim.live_call_uuids())

        sim.stats.reset()
        warm = await client.refresh_live_calls()
        assert (sim.stats.count(kind="list_calls"), sim.stats.count(kind="get_call")) == (3, 0)
        assert warm.requests == 3 and not warm.added and not warm.removed

        sim.stats.reset()
        ended = sim.live_call_uuids()[:3]
        for uuid in ended:
            sim.hangup(uuid)
        new = sim.add_live_calls(2)
        changed = await client.refresh_live_calls()
        assert (sim.stats.count(kind="list_calls"), sim.stats.count(kind="get_call")) == (3, 2)
        assert changed.requests == 3 + 2
        assert changed.added == set(new) and changed.removed == set(ended)
        assert {c.call_uuid for c in changed.calls} == set(sim.live_call_uuids())
    assert sim.stats.rate_limited == 0


@contextmanager
def simulator_process(calls: int) -> Iterator[str]:
    """The simulator as its own process (as a developer runs it); yields its base URL."""
    sim = subprocess.Popen(
        [
            sys.executable, "-m", "console", "simulate", "--port", "0", "--calls", str(calls),
            "--seed", "5", "--no-churn", "--no-media",
        ],
        cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert sim.stdout is not None
        line = ""
        while "REST base:" not in line:
            line = sim.stdout.readline()
            assert line, "the simulator ended before listening"
        yield line.split()[-1].partition("/v1/")[0]
    finally:
        sim.terminate()
        sim.communicate(timeout=30)


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.asyncio
async def test_no_429_while_refreshing_1000_calls_and_starting_streams() -> None:
    """The console's own traffic stays under Plivo's limit even when a cold refresh of 1,000
    calls (1,051 requests) and an agent starting and stopping streams run at the same time;
    the agent's actions are served ahead of the refresh. The simulator runs in a process of its
    own, as Plivo does: on this loop, answering the refresh's burst of requests would delay the
    agent's requests on the loop, not in the console's queue."""
    admin = httpx.BasicAuth(DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
    with simulator_process(1000) as base_url:
        async with (
            httpx.AsyncClient(base_url=base_url + "/_sim", auth=admin) as sim,
            PlivoClient(DEMO_AUTH_ID, StaticToken(DEMO_AUTH_TOKEN), base_url) as client,
        ):
            listed = (await sim.get("/calls")).json()["calls"]
            uuids = sorted(c["call_uuid"] for c in listed if c["call_status"] == "in-progress")
            targets = random.Random(5).sample(uuids, 15)
            action_times: list[float] = []

            async def agent() -> None:
                for n, call in enumerate(targets):
                    await asyncio.sleep(0.4)
                    began = time.monotonic()
                    started = await client.start_stream(call, StreamRequest(f"{WS}/{n}"))
                    await client.stop_stream(call, started.stream_id)
                    action_times.append(time.monotonic() - began)

            refresh, _ = await asyncio.gather(client.refresh_live_calls(), agent())
            stats = (await sim.get("/stats")).json()

    counts = {r["kind"]: r["count"] for r in stats["requests"]}
    assert stats["rate_limited"] == 0
    assert len(uuids) == len(refresh.calls) == 1000
    assert counts["start_stream"] == counts["stop_stream"] == 15
    assert stats["total"] == 1051 + 30 + 0  # nothing repeated
    assert max(action_times) < 0.5  # start + stop: two requests, ahead of the queue (~10 ms)
