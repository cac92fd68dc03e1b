"""Closing a client (an account switch, a removed account, the window closing) while its requests
are on the wire: each request still ends with its answer, and no connection to Plivo is left
open for the garbage collector to find (real HTTP to the simulator on loopback)."""

from __future__ import annotations

import asyncio
import gc
import warnings
from pathlib import Path

import pytest

from console.api import PlivoClient, StaticToken
from console.domain.stream_params import AudioTrack
from console.domain.stream_request import StreamRequest
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN
from tests.api.test_simulator import running
from tests.simulator.conftest import wait_for

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

ESTABLISHED = "01"


def connections_to(port: int) -> int:
    """This process's TCP connections in ESTABLISHED state whose far end is `port` (the
    client's side of each connection to the simulator), read from the kernel's table."""
    count = 0
    for table in (Path("/proc/self/net/tcp"), Path("/proc/self/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == ESTABLISHED:
                count += 1
    return count


def port_of(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1].split("/", 1)[0])


async def test_requests_in_flight_finish_and_no_connection_outlives_the_closed_client() -> None:
    async with running(calls=6) as sim:
        base_url = sim.base_url
        port = port_of(base_url)
        client = PlivoClient(DEMO_AUTH_ID, StaticToken(DEMO_AUTH_TOKEN), base_url)
        ids = await client.list_live_call_ids()
        sim.faults.latency_s = 0.3  # every answer from now on: on the wire when the close comes
        before = sim.stats.total
        reads = [asyncio.ensure_future(client.get_live_call(i)) for i in ids[:4]]
        start = asyncio.ensure_future(
            client.start_stream(
                ids[4], StreamRequest("wss://media.example.test/s", audio_track=AudioTrack.INBOUND)
            )
        )
        await wait_for(lambda: sim.stats.total >= before + 5, what="requests on the wire")

        await client.aclose()

        # What was asked before the close gets its answer: a start's outcome is known.
        calls = await asyncio.gather(*reads)
        assert [c.call_uuid for c in calls] == ids[:4]
        assert (await start).stream_id
        with pytest.raises(RuntimeError, match="closed"):
            await client.get_live_call(ids[0])
        await wait_for(lambda: connections_to(port) == 0, what="the client's connections closed")
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            gc.collect()
        assert [str(w.message) for w in seen if w.category is ResourceWarning] == []


async def test_a_client_closed_with_nothing_in_flight_closes_at_once() -> None:
    async with running() as sim:
        port = port_of(sim.base_url)
        client = PlivoClient(DEMO_AUTH_ID, StaticToken(DEMO_AUTH_TOKEN), sim.base_url)
        await client.list_live_call_ids()
        assert connections_to(port) >= 1  # a kept-alive connection, closed by aclose
        await client.aclose()
        assert connections_to(port) == 0
