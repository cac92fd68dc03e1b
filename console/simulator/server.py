"""`Simulator`: the local Plivo, embeddable on any running asyncio loop (qasync included).

    sim = Simulator(SimulatorConfig(churn=False, seed=1))
    base_url = await sim.start()          # "http://127.0.0.1:PORT", port 0 = a free one
    ...                                   # point a client at base_url + "/v1/Account/..."
    await sim.stop()                      # cancels every task, closes sessions and the server

Binds 127.0.0.1 unless told otherwise (aiohttp's host=None would mean every interface).
"""

from __future__ import annotations

import logging
import random
from typing import Any

from aiohttp import web

from console.listening import to_the_end
from console.simulator.admin import REFUSING_SINK_PATH, SINK_PATH, AdminApi
from console.simulator.config import SimulatorConfig
from console.simulator.engine import Engine
from console.simulator.errors import QuietServerLog, guard
from console.simulator.faults import Faults, Stats
from console.simulator.ratelimit import SlidingWindowLimiter
from console.simulator.rest import RestApi
from console.simulator.state import LIVE, QUEUED, SimState, StreamRecord


class Simulator:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config if config is not None else SimulatorConfig()
        cfg = self.config
        rng = random.Random(cfg.seed)
        self.state = SimState(rng, cfg.utc_offset_minutes)
        self.state.add_account(cfg.auth_id, cfg.auth_token)
        self.stats = Stats()
        self.faults = Faults(rng=random.Random(cfg.seed))
        self.limiter = SlidingWindowLimiter(cfg.rate_limit_requests, cfg.rate_limit_window_s)
        self.engine = Engine(cfg, self.state, self.stats)
        self.sinks: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._ws_base: str | None = None
        for _ in range(cfg.calls):
            self.state.new_call(cfg.auth_id, LIVE, started_ago_s=rng.uniform(5, 420))
        for _ in range(cfg.queued_calls):
            self.state.new_call(cfg.auth_id, QUEUED)

    # ---- server ----------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        if not host:
            raise ValueError("give an explicit host: an empty host would listen on every interface")
        cfg = self.config
        rest = RestApi(self)
        app = web.Application(
            middlewares=[guard, rest.middleware], client_max_size=cfg.max_body_bytes
        )
        rest.add_routes(app)
        AdminApi(self).add_routes(app)
        access_log = logging.getLogger("aiohttp.access") if cfg.access_log else None
        # keepalive_timeout is also aiohttp's only deadline for a request head: a connection
        # that has not sent one in time (held open, or a slowloris trickle) is closed then.
        runner = web.AppRunner(
            app,
            access_log=access_log,
            handle_signals=False,
            shutdown_timeout=1.0,
            keepalive_timeout=cfg.idle_timeout_s,
            lingering_time=min(cfg.body_timeout_s, 2.0),
            auto_decompress=False,  # console.simulator.bodies inflates, within the size limit
            logger=QuietServerLog(),
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await to_the_end(site.start())  # console/listening.py
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        real_port = runner.addresses[0][1]
        shown = f"[{host}]" if ":" in host else host
        self._base_url = f"http://{shown}:{real_port}"
        self._ws_base = f"ws://{shown}:{real_port}"
        self.engine.start()
        return self._base_url

    async def stop(self) -> None:
        """Cancel every task, close client sessions, sockets and the server. Idempotent."""
        await self.engine.close()
        for ws in list(self.sinks):
            await ws.close()
        self.sinks.clear()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the simulator has not been started")
        return self._base_url

    @property
    def media_sink_url(self) -> str:
        """A WebSocket the simulator serves itself: demo streams have somewhere real to go.
        Any suffix (`/a`, `?n=2`) works, so one call can stream to it more than once."""
        if self._ws_base is None:
            raise RuntimeError("the simulator has not been started")
        return self._ws_base + SINK_PATH

    @property
    def refusing_sink_url(self) -> str:
        """A WebSocket that closes at `start` (1008): the demo's broken example URL."""
        if self._ws_base is None:
            raise RuntimeError("the simulator has not been started")
        return self._ws_base + REFUSING_SINK_PATH

    # ---- test and trainer helpers (sync, immediate) -----------------------------------------
    def add_live_calls(self, n: int, **overrides: Any) -> list[str]:
        """Add n live calls; overrides set fields (auth_id, direction, from/from_number,
        to/to_number, caller_name, ...). With churn they hang up in due course."""
        auth_id = overrides.pop("auth_id", self.config.auth_id)
        if not isinstance(auth_id, str):
            raise TypeError("auth_id must be a string")
        if auth_id not in self.state.accounts:
            raise ValueError(f"unknown account: {auth_id}")
        uuids = []
        for _ in range(n):
            call = self.state.new_call(auth_id, LIVE, **overrides)
            if self.config.churn and self.running:
                self.engine.schedule_hangup(call)
            uuids.append(call.call_uuid)
        return uuids

    def add_queued_calls(self, n: int) -> list[str]:
        return [self.state.new_call(self.config.auth_id, QUEUED).call_uuid for _ in range(n)]

    def answer(self, call_uuid: str) -> None:
        """Turn a queued call into a live one now."""
        call = self.state.calls[call_uuid]
        if call.status != QUEUED:
            raise ValueError("call is not queued")
        self.engine.answer(call)

    def hangup(self, call_uuid: str) -> None:
        """End the call and its streams (no StopStream callback, as at Plivo). KeyError if
        unknown; a call that already ended stays ended."""
        self.engine.hangup(self.state.calls[call_uuid])

    def live_call_uuids(self) -> list[str]:
        return [c.call_uuid for c in self.state.calls.values() if c.status == LIVE]

    def queued_call_uuids(self) -> list[str]:
        return [c.call_uuid for c in self.state.calls.values() if c.status == QUEUED]

    def streams_of(self, call_uuid: str) -> list[StreamRecord]:
        """The call's streams as the simulator holds them (status, params, times...)."""
        return self.state.streams_of(call_uuid)

    def stream(self, stream_id: str) -> StreamRecord:
        return self.state.streams[stream_id]

    def add_subaccount(self, auth_id: str, auth_token: str) -> None:
        """A subaccount (SA...) of the main account: its own credentials, calls and streams;
        its callbacks are signed with its token (-V3) and the main token (-Ma-V3)."""
        if not auth_id.startswith("SA") or len(auth_id) != 20:
            raise ValueError("a subaccount auth_id is 20 characters starting with SA")
        self.state.add_account(auth_id, auth_token, parent_id=self.config.auth_id)

    async def drop_stream(self, stream_id: str, error: str = "dropped on demand") -> None:
        """DroppedStream on demand: the socket is cut and the callback sent. KeyError if unknown,
        ValueError if the stream is not active."""
        record = self.state.streams[stream_id]
        if not record.active:
            raise ValueError("stream is not active")
        await self.engine.drop_stream(record, error)

    def silence_stream(self, stream_id: str, tracks: list[str]) -> None:
        """From now on send digital silence on these tracks of the stream (an empty list brings
        the speech back): one-way audio on demand. KeyError if the stream has no media session."""
        unknown = set(tracks) - {"inbound", "outbound"}
        if unknown:
            raise ValueError(f"unknown tracks: {', '.join(sorted(unknown))}")
        self.engine.sessions[stream_id].silent_tracks = set(tracks)

    async def drain_callbacks(self, timeout_s: float = 5.0) -> None:
        """Wait (bounded) until the status callbacks in flight are delivered or given up."""
        await self.engine.drain_callbacks(timeout_s)
