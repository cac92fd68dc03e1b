"""Abuse limits the stock aiohttp server lacks: a connection cap that keeps room for genuine
senders, request deadlines, a rate limit, and trouble logged in a few lines (docs/callbacks.md,
Connections).

Measured with aiohttp's defaults, a client that sends one header line a second (slowloris), or
connects and sends nothing, is held open indefinitely, and nothing caps the number of
connections. `GuardedServer` is aiohttp's low-level `Server` with these additions:

- a cap, `max_connections` (by default sized from the open-file limit, first raised toward its
  hard limit: `connection_cap`). Idle connections (no request being handled; those that sent
  nothing before those part-way through a request) are closed, oldest first, to bring the count
  back to the cap, but only once they had GRACE_S to start a request: asyncio accepts a whole
  backlog of connections at one wake-up, before any of them is read, so closing "the oldest"
  at arrival would close a genuine sender that had no chance to speak yet. Up to OVERSHOOT more
  are let in meanwhile; beyond that a new connection closes an idle one that had its moment, or
  is refused when there is none (every connection is handling a request or has only just
  arrived). Connections held open by someone who never sends a request therefore cannot lock
  Plivo out (measured: 300 such, re-opened as they are closed, against a cap of 32);
- refusal happens in the protocol factory, before aiohttp's handler exists: skipping its
  `connection_made` instead (as before) left its request task to fail an assertion, one
  traceback per refused connection;
- each request's headers must arrive within `header_deadline_s` of the connection opening (or of
  the previous request on it finishing); a sweep twice a second aborts connections that are late;
- the handler reads the body under `body_deadline_s` (see `body_deadline`);
- connections closed or refused are counted and logged once per kind every
  `REPORT_INTERVAL_S` (`TroubleLog`), never once per connection.

With the defaults (5 s + 5 s) a slow client is gone within 10 s of connecting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

from aiohttp import web_protocol, web_server

from console.domain.durations import format_seconds
from console.receiver.lean import LeanAnswer, LeanProtocol

try:
    import resource
except ImportError:  # Windows: no such limit to raise
    resource = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

DEFAULT_MAX_CONNECTIONS = 0  # 0: sized from the open-file limit at start (`connection_cap`)
DEFAULT_HEADER_DEADLINE_S = 5.0
DEFAULT_BODY_DEADLINE_S = 5.0
SWEEP_INTERVAL_S = 0.5
REPORT_INTERVAL_S = 60.0

OVERSHOOT = 512  # asyncio accepts up to the listen backlog (512) at one wake-up
GRACE_S = 0.05  # a new or just-answered connection's moment to start a request
MIN_CONNECTIONS = 256
MAX_CONNECTIONS = 8_192  # ~10-20 KB of buffers each: a busy receiver, not a console's memory
WANTED_OPEN_FILES = 16_384
FALLBACK_OPEN_FILES = 1_024  # where the limit cannot be read (Windows)
MACOS_OPEN_MAX = 10_240


def raise_open_file_limit(wanted: int = WANTED_OPEN_FILES) -> int:
    """Raise the soft RLIMIT_NOFILE toward `wanted` (never past the hard limit, never lower);
    returns the soft limit now in force. Unprivileged and process-wide, done at receiver start."""
    if resource is None:
        return FALLBACK_OPEN_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    for target in (limit, min(limit, MACOS_OPEN_MAX)):  # macOS refuses more than OPEN_MAX
        if soft >= target:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:  # a sandbox or a container may refuse
            log.info("the open-file limit could not be raised to %d: %s", target, exc)
        else:
            soft = target
    return int(soft)


def connection_cap(open_files: int) -> int:
    """Half the descriptors for connections, the cap plus its OVERSHOOT (the other half for the
    event log, the monitor and its relay's sockets), within [MIN_CONNECTIONS, MAX_CONNECTIONS]."""
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, open_files // 2 - OVERSHOOT))


class TroubleLog:
    """Counts each kind of trouble and logs one line per kind per interval: a siege of a million
    connections must not write a million lines (or fill the disk with them)."""

    def __init__(
        self,
        messages: dict[str, tuple[int, str]],
        *,
        interval_s: float = REPORT_INTERVAL_S,
        logger: logging.Logger = log,
    ) -> None:
        self.messages = messages  # kind -> (level, "... {n} ... {span} ...")
        self.interval_s = interval_s
        self.logger = logger
        self._counts: dict[str, int] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._since = 0.0

    def note(self, kind: str) -> bool:
        """Count one; True when it is the first of its kind this interval (a caller may say
        more about that one, e.g. its reason or traceback, once)."""
        first = kind not in self._counts
        self._counts[kind] = self._counts.get(kind, 0) + 1
        if self._timer is None:
            self._since = time.monotonic()
            self._timer = asyncio.get_running_loop().call_later(self.interval_s, self.flush)
        return first

    def flush(self) -> None:
        """Log what was counted since the last flush (also called when the receiver stops)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        counts, self._counts = self._counts, {}
        span = format_seconds(time.monotonic() - self._since)
        for kind, n in counts.items():
            level, text = self.messages[kind]
            self.logger.log(level, text.format(n=f"{n:,}", span=span))


class _State(Enum):
    SILENT = "no byte since it opened or since its last request"
    HEARD = "part of a request arrived"
    BUSY = "a request is being handled"


@dataclass(slots=True)
class _Conn:
    mark: float  # when the connection opened or its last request finished
    state: _State = _State.SILENT


class _Handler(web_protocol.RequestHandler):
    """aiohttp's handler, telling the guard when the first bytes of a request arrive (so a
    sender in mid-request is not closed to make room while silent connections remain)."""

    __slots__ = ("_guard", "_heard")

    def __init__(
        self, guard: _Conn, heard: Callable[[_Handler], None], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._guard = guard
        self._heard = heard

    def data_received(self, data: bytes) -> None:
        if self._guard.state is _State.SILENT:
            self._heard(self)
        super().data_received(data)


class _Refused(web_protocol.RequestHandler):
    """What a connection gets when no idle connection can make room: closed at once, before
    aiohttp's request task exists (so nothing is left to fail)."""

    __slots__ = ()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.Transport, transport).abort()

    def connection_lost(self, exc: BaseException | None) -> None:
        pass

    def data_received(self, data: bytes) -> None:
        pass


Connection = web_protocol.RequestHandler | LeanProtocol


class GuardedServer(web_server.Server):
    """aiohttp's protocol factory with a connection cap that closes idle connections first, and a
    header deadline. With `lean`, connections start on the fast path (lean.py) and are handed to
    aiohttp at the first request that is not a plain callback to `lean_path`."""

    def __init__(
        self,
        handler: Any,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        header_deadline_s: float = DEFAULT_HEADER_DEADLINE_S,
        overshoot: int = OVERSHOOT,
        grace_s: float = GRACE_S,
        report_interval_s: float = REPORT_INTERVAL_S,
        lean: LeanAnswer | None = None,
        lean_path: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(handler, **kwargs)
        self.lean, self.lean_path = lean, lean_path
        self._lean: set[LeanProtocol] = set()
        if max_connections <= 0:
            open_files = raise_open_file_limit()
            max_connections = connection_cap(open_files)
            log.info(
                "callback receiver: at most %d connections kept, %d for a moment (open-file"
                " limit %d)",
                max_connections,
                max_connections + overshoot,
                open_files,
            )
        self.max_connections = max_connections
        self.ceiling = max_connections + overshoot
        self.grace_s = grace_s
        self.header_deadline_s = header_deadline_s
        # Not handling a request, oldest mark first: those that sent nothing, those part-way.
        self._silent: OrderedDict[Connection, _Conn] = OrderedDict()
        self._heard: OrderedDict[Connection, _Conn] = OrderedDict()
        self._busy: dict[Connection, _Conn] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._trimmer: asyncio.TimerHandle | None = None
        self.refused = 0  # connections closed on arrival: no idle one could make room
        self.evicted = 0  # idle connections closed to make room for new ones
        self.timed_out = 0  # connections aborted for being too slow
        cap = f"{max_connections:,}"
        self.trouble = TroubleLog(
            {
                "evicted": (
                    logging.WARNING,
                    f"closed {{n}} idle connections in the last {{span}} to make room for new"
                    f" ones (more than {cap} open)",
                ),
                "refused": (
                    logging.WARNING,
                    f"refused {{n}} connections in the last {{span}}: {self.ceiling:,} were"
                    " open, each handling a request or only just opened",
                ),
                "timed_out": (
                    logging.INFO,
                    "closed {n} connections in the last {span} that sent no complete request"
                    f" within {header_deadline_s:g} s",
                ),
            },
            interval_s=report_interval_s,
        )

    def __call__(self) -> Connection:  # type: ignore[override]
        """A protocol for a connection just accepted. Below the ceiling it is let in (a trim
        follows once it has had `grace_s` to start a request); at the ceiling an idle connection
        that had its moment is closed for it, or, when there is none, it is refused."""
        if self.open_connections >= self.ceiling and not self._evict(1):
            self.refused += 1
            self.trouble.note("refused")
            return _Refused(self, loop=self._loop)
        guard = _Conn(time.monotonic())
        handler: Connection
        if self.lean is not None:
            handler = LeanProtocol(self, self.lean, self.lean_path)
        else:
            handler = _Handler(guard, self._on_heard, self, loop=self._loop, **self._kwargs)
        self._silent[handler] = guard
        if self._sweeper is None:
            self._sweeper = self._loop.call_later(SWEEP_INTERVAL_S, self._sweep)
        if self._trimmer is None and self.open_connections > self.max_connections:
            self._trimmer = self._loop.call_later(self.grace_s, self._trim)
        return handler

    def _trim(self) -> None:
        """Back to the cap: close idle connections that had their moment, oldest first."""
        self._trimmer = None
        self._evict(self.open_connections - self.max_connections)
        if self.open_connections > self.max_connections:  # the rest are busy or just arrived
            self._trimmer = self._loop.call_later(max(self.grace_s, 0.01), self._trim)

    def _evict(self, wanted: int) -> int:
        """Close up to `wanted` idle connections that have been idle for `grace_s` or more,
        oldest first, those that sent nothing before those part-way through a request."""
        ripe = time.monotonic() - self.grace_s
        victims: list[Connection] = []
        for idle in (self._silent, self._heard):
            for handler, guard in idle.items():
                if len(victims) >= wanted or guard.mark > ripe:
                    break
                if handler.transport is not None:
                    victims.append(handler)
        for handler in victims:
            self._forget(handler)
            handler.force_close()  # as aiohttp's own keep-alive expiry does
            self.trouble.note("evicted")
        self.evicted += len(victims)
        return len(victims)

    def _on_heard(self, handler: Connection) -> None:
        guard = self._silent.pop(handler, None)
        if guard is not None:
            guard.state = _State.HEARD
            self._heard[handler] = guard

    def connection_lost(
        self, handler: web_protocol.RequestHandler, exc: BaseException | None = None
    ) -> None:
        self._forget(handler)
        super().connection_lost(handler, exc)

    # --- the fast path's connections (lean.py) -------------------------------------------------
    @property
    def lean_connections(self) -> int:
        """Connections still on the fast path (`connections` are aiohttp's)."""
        return len(self._lean)

    def lean_made(self, protocol: LeanProtocol) -> None:
        self._lean.add(protocol)

    def lean_heard(self, protocol: LeanProtocol) -> None:
        self._on_heard(protocol)

    def lean_lost(self, protocol: LeanProtocol) -> None:
        self._lean.discard(protocol)
        self._forget(protocol)

    def hand_over(self, protocol: LeanProtocol, transport: asyncio.Transport, data: bytes) -> None:
        """The connection goes to aiohttp's handler for good, which reads `data` first; its
        place under the cap and its deadline stay as they were."""
        self._lean.discard(protocol)
        guard = self._forget(protocol) or _Conn(time.monotonic(), _State.HEARD)
        handler = _Handler(guard, self._on_heard, self, loop=self._loop, **self._kwargs)
        (self._heard if guard.state is _State.HEARD else self._silent)[handler] = guard
        transport.set_protocol(handler)
        handler.connection_made(transport)
        handler.data_received(data)

    def pre_shutdown(self) -> None:
        for protocol in list(self._lean):
            protocol.close()
        super().pre_shutdown()

    async def shutdown(self, timeout: float | None = None) -> None:
        lean = [protocol.shutdown(timeout) for protocol in list(self._lean)]
        await asyncio.gather(*lean, super().shutdown(timeout))
        self._lean.clear()

    def _forget(self, handler: Connection) -> _Conn | None:
        for table in (self._silent, self._heard, self._busy):
            guard = table.pop(handler, None)
            if guard is not None:
                return guard
        return None

    def request_started(self, handler: Any) -> None:
        guard = self._forget(handler)
        if guard is not None:
            guard.state = _State.BUSY
            self._busy[handler] = guard

    def request_finished(self, handler: Any) -> None:
        guard = self._busy.pop(handler, None)
        if guard is not None:
            guard.state = _State.SILENT
            guard.mark = time.monotonic()
            self._silent[handler] = guard

    @property
    def open_connections(self) -> int:
        return len(self._silent) + len(self._heard) + len(self._busy)

    def _sweep(self) -> None:
        self._sweeper = None
        late = time.monotonic() - self.header_deadline_s
        expired = []
        for handler, guard in self._silent.items():  # in order of their marks
            if guard.mark >= late:
                break
            expired.append(handler)
        expired += [h for h, g in self._heard.items() if g.mark < late]
        for handler in expired:
            self._forget(handler)
            self.timed_out += 1
            self.trouble.note("timed_out")
            transport = handler.transport
            if transport is not None:
                transport.abort()
        if self.open_connections:
            self._sweeper = self._loop.call_later(SWEEP_INTERVAL_S, self._sweep)

    def stop_sweeping(self) -> None:
        """Stop the timers and log what the trouble log still holds (the receiver is stopping)."""
        for timer in (self._sweeper, self._trimmer):
            if timer is not None:
                timer.cancel()
        self._sweeper = self._trimmer = None
        self.trouble.flush()


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
