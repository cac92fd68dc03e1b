"""Abuse limits the stock aiohttp server lacks: a connection cap, request deadlines, a rate limit.

Measured with aiohttp's defaults, a client that sends one header line a second (slowloris), or
connects and sends nothing, is held open indefinitely, and nothing caps the number of
connections. `GuardedServer` is aiohttp's low-level `Server` with three additions:

- at most `max_connections` open at once; a connection beyond that is closed as it arrives;
- each request's headers must arrive within `header_deadline_s` of the connection opening (or of
  the previous request on it finishing); a sweep once a second aborts connections that are late;
- the handler reads the body under `body_deadline_s` (see `body_deadline`).

With the defaults (5 s + 5 s) a slow client is gone within 10 s of connecting.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web_protocol, web_server

DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_HEADER_DEADLINE_S = 5.0
DEFAULT_BODY_DEADLINE_S = 5.0
SWEEP_INTERVAL_S = 0.5


@dataclass
class _Conn:
    mark: float  # when the connection opened or its last request finished
    active: bool = False  # a request is being handled (the body deadline applies instead)


class GuardedServer(web_server.Server):
    """aiohttp's protocol factory with a connection cap and a header deadline."""

    def __init__(
        self,
        handler: Any,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        header_deadline_s: float = DEFAULT_HEADER_DEADLINE_S,
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self.max_connections = max_connections
        self.header_deadline_s = header_deadline_s
        self._guards: dict[web_protocol.RequestHandler, _Conn] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self.refused = 0  # connections closed on arrival because of the cap
        self.timed_out = 0  # connections aborted for being too slow

    def connection_made(
        self, handler: web_protocol.RequestHandler, transport: asyncio.Transport
    ) -> None:
        if len(self._guards) >= self.max_connections:
            self.refused += 1
            transport.abort()
            return
        super().connection_made(handler, transport)
        self._guards[handler] = _Conn(time.monotonic())
        if self._sweeper is None:
            self._sweeper = self._loop.call_later(SWEEP_INTERVAL_S, self._sweep)

    def connection_lost(
        self, handler: web_protocol.RequestHandler, exc: BaseException | None = None
    ) -> None:
        self._guards.pop(handler, None)
        super().connection_lost(handler, exc)

    def request_started(self, handler: Any) -> None:
        guard = self._guards.get(handler)
        if guard is not None:
            guard.active = True

    def request_finished(self, handler: Any) -> None:
        guard = self._guards.get(handler)
        if guard is not None:
            guard.active = False
            guard.mark = time.monotonic()

    @property
    def open_connections(self) -> int:
        return len(self._guards)

    def _sweep(self) -> None:
        self._sweeper = None
        late = time.monotonic() - self.header_deadline_s
        for handler, guard in list(self._guards.items()):
            if not guard.active and guard.mark < late:
                self.timed_out += 1
                self._guards.pop(handler, None)
                transport = handler.transport
                if transport is not None:
                    transport.abort()
        if self._guards:
            self._sweeper = self._loop.call_later(SWEEP_INTERVAL_S, self._sweep)

    def stop_sweeping(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None


class RateLimiter:
    """A token bucket: `rate` requests a second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else 2 * rate
        self._tokens = self.burst
        self._at = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
