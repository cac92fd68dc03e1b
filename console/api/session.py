"""How every request to Plivo goes out: one httpx client per account profile, paced, bounded,
timed, read with a size cap, retried by policy, and rebuilt if its pool is ever poisoned.

Per attempt: wait for a slot in the caller's lane (operator or background; together fewer than
the pool's connections, so httpx never queues for a connection and a cancellation cannot leak a
pool slot, encode/httpcore#1093), take a token from the account's bucket, send, read the body in
chunks up to a cap, give the token back (it is usable again one rate-limit window later). The
operation's deadline bounds everything that talks to Plivo: each httpx timeout is clamped to the
time left, the body loop checks the deadline between chunks (so a server dripping one byte a
second cannot hold us), and a backstop `asyncio.timeout` a little after the deadline only fires
for a server that drips its *headers*. Time spent queueing for our own lane or bucket is not
counted against the deadline.

After `pool_timeouts_before_rebuild` consecutive PoolTimeouts the httpx client is replaced by a
fresh one (the watchdog); the old one is closed once its last request has finished.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import random
import ssl
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import httpx

from console import __version__
from console.api.auth import PlivoAuth, TokenSource
from console.api.body import MiB, decode_json, read_capped
from console.api.clock import SYSTEM_CLOCK, Clock
from console.api.errors import (
    ApiError,
    PoolExhausted,
    RateLimited,
    deadline_exceeded,
    error_for_exception,
    error_for_status,
)
from console.api.observer import ClientObserver, SafeObserver, Wait, WaitReason
from console.api.ratelimit import Priority, RateLimit, TokenBucket, shared_bucket
from console.api.retry import RetryPolicy, delay_before_retry, parse_retry_after

log = logging.getLogger("console.api")


def _remember_sniffio_is_absent() -> None:
    """httpcore runs `import sniffio` each time it sets up a lock or event, about seven times a
    request. Without sniffio installed that import fails, and Python does not remember a failed
    import: each one searched every sys.path entry again, a quarter of the client's CPU in a cold
    refresh (docs/performance.md). Recording the absence the way Python marks a module that must
    not load makes those imports fail at once; httpcore then assumes asyncio, as it did anyway."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def tls_verification(base_url: str) -> ssl.SSLContext | bool:
    """How the transport for `base_url` verifies TLS. https: httpx's default, a CA bundle
    (certifi's, or SSL_CERT_FILE's), which takes 25-100 ms to load into a context. Plain http
    (the demo's simulator on loopback) makes no TLS connection, so it gets a context that
    requires a verified certificate and trusts no CA (under a millisecond): were it ever asked
    for https, it would fail rather than trust anything."""
    if httpx.URL(base_url).scheme == "http":
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verification and host check on, no CA
    return True


USER_AGENT = f"stream-console/{__version__}"


@dataclass(frozen=True, slots=True)
class ClientPolicy:
    """Every knob of the client's behaviour; the reasons for the defaults are in
    docs/api-client.md ("Resilience")."""

    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    write_timeout_s: float = 10.0
    pool_timeout_s: float = 2.0
    deadline_s: float = 20.0
    reconcile_share: float = 0.4
    """Of a start's deadline, the part kept for listing the call's streams after an unclear
    answer: the POST gets the rest, so the whole start (reconcile included) fits `deadline_s`."""
    backstop_grace_s: float = 2.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate: RateLimit = field(default_factory=RateLimit)
    max_body_bytes: int = 5 * MiB
    max_error_body_bytes: int = 64 * 1024
    max_connections: int = 20
    background_slots: int = 12
    operator_slots: int = 3
    pool_timeouts_before_rebuild: int = 2

    def __post_init__(self) -> None:
        if self.background_slots < 1 or self.operator_slots < 1:
            raise ValueError("each lane needs at least one slot")
        if self.background_slots + self.operator_slots >= self.max_connections:
            raise ValueError("lanes together must stay below max_connections")
        if not 0.0 < self.reconcile_share < 1.0:
            raise ValueError("reconcile_share must lie strictly between 0 and 1")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    data: Mapping[str, object] | None


@dataclass(slots=True)
class RequestCount:
    """Counts HTTP attempts made on behalf of one caller (e.g. one refresh)."""

    value: int = 0


@dataclass(slots=True)
class _Generation:
    client: httpx.AsyncClient
    number: int
    inflight: int = 0
    retired: bool = False
    closing: bool = False
    closed: bool = False


@dataclass(slots=True)
class _Operation:
    method: str
    path: str  # relative to /v1/Account/{auth_id}/
    shown: str  # full path and query, for details and logs
    params: Mapping[str, str] | None
    body: Mapping[str, object] | None
    priority: Priority
    subject: str
    deadline: float
    counter: RequestCount | None
    budget_s: float  # the time this operation was given, for "took longer than ..."


class Session:
    def __init__(
        self,
        auth_id: str,
        tokens: TokenSource,
        base_url: str,
        *,
        policy: ClientPolicy,
        transport: httpx.AsyncBaseTransport | None = None,
        transport_factory: Callable[[], httpx.AsyncBaseTransport] | None = None,
        observer: ClientObserver | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        bucket: TokenBucket | None = None,
    ) -> None:
        _remember_sniffio_is_absent()
        self.policy = policy
        self.base_url = base_url.rstrip("/")
        self.host = httpx.URL(self.base_url).host or self.base_url
        self.prefix = f"/v1/Account/{quote(auth_id, safe='')}/"
        self._auth = PlivoAuth(auth_id, tokens)
        self._clock = clock or SYSTEM_CLOCK
        self._rng = rng or random.Random()
        self._observer = SafeObserver(observer)
        if bucket is None:
            bucket = (
                shared_bucket(self.base_url, auth_id, policy.rate)
                if clock is None
                else TokenBucket(policy.rate, self._clock)
            )
        self.bucket = bucket
        self._lanes = {
            Priority.OPERATOR: asyncio.Semaphore(policy.operator_slots),
            Priority.BACKGROUND: asyncio.Semaphore(policy.background_slots),
        }
        if transport is not None and transport_factory is not None:
            raise ValueError("pass transport or transport_factory, not both")
        self._shared_transport = transport
        self._factory = transport_factory
        self._verify = tls_verification(self.base_url)
        self._current = _Generation(self._new_client(), 1)
        self._pool_timeouts = 0
        self._closed = False
        self._operations = 0  # under way: the client closes when the last one ends
        self.attempts = 0
        self.rebuilds = 0

    # --- the httpx client and its watchdog ---------------------------------------------------

    def _new_client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(
            max_connections=self.policy.max_connections,
            max_keepalive_connections=self.policy.max_connections,
        )
        transport = self._shared_transport
        if transport is None:
            transport = (
                self._factory()
                if self._factory
                else httpx.AsyncHTTPTransport(limits=limits, verify=self._verify)
            )
        return httpx.AsyncClient(
            base_url=self.base_url + self.prefix,
            auth=self._auth,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=httpx.Timeout(
                connect=self.policy.connect_timeout_s,
                read=self.policy.read_timeout_s,
                write=self.policy.write_timeout_s,
                pool=self.policy.pool_timeout_s,
            ),
            limits=limits,
            transport=transport,
            follow_redirects=False,
        )

    async def _watch_pool(self, error: ApiError | None) -> None:
        if not isinstance(error, PoolExhausted):
            self._pool_timeouts = 0
            return
        self._pool_timeouts += 1
        if self._pool_timeouts >= self.policy.pool_timeouts_before_rebuild and not self._closed:
            await self._rebuild()

    async def _rebuild(self) -> None:
        old = self._current
        old.retired = True
        self._current = _Generation(self._new_client(), old.number + 1)
        self._pool_timeouts = 0
        self.rebuilds += 1
        log.warning("httpx pool kept timing out: rebuilt the client (generation %d)", old.number)
        if old.inflight == 0:
            await self._close(old)

    async def aclose(self) -> None:
        """No new operation from now on. Operations already under way (on the wire, queued or
        between retries) run to their end on the open client, so a start or stop still learns
        its outcome; the last one to end closes the client. Closing it under them instead made
        httpx fail them and leave their sockets for the garbage collector."""
        self._closed = True
        if self._operations == 0:
            await self._close(self._current)

    async def _close(self, generation: _Generation) -> None:
        """Closes `generation`'s client once. Always awaited in the coroutine that ends its last
        request, never in a task of its own: on qasync a task's steps run from Qt timers, which
        Qt may fire while the asyncio loop is not running (events processed after it stopped, or
        between tests); anyio then finds no loop and httpcore leaves its connections open."""
        if generation.closing:
            return
        generation.closing = True
        try:
            if self._shared_transport is None:  # the caller's transport stays open
                await generation.client.aclose()
        finally:
            generation.closed = True

    @property
    def shut(self) -> bool:
        """Closed, with no operation under way and its connections closed."""
        return self._closed and self._operations == 0 and self._current.closed

    # --- one operation -----------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, object] | None = None,
        priority: Priority = Priority.BACKGROUND,
        subject: str = "the resource",
        counter: RequestCount | None = None,
        deadline: float | None = None,
    ) -> Reply:
        """Run one operation: attempts and waits per the retry policy, within the deadline
        (`policy.deadline_s` from now, or the monotonic time `deadline` when a caller shares one
        budget between several requests)."""
        if self._closed:
            raise RuntimeError("the Plivo client is closed")
        shown = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        started = self._clock.monotonic()
        end = started + self.policy.deadline_s if deadline is None else deadline
        op = _Operation(
            method, path, shown, params, body, priority, subject, end, counter,
            max(0.0, end - started),
        )  # fmt: skip
        self._operations += 1
        try:
            return await self._run(op, started)
        finally:
            if self._closed and self._operations == 1:  # the last one after aclose(): closes
                await self._close(self._current)
            self._operations -= 1

    async def _run(self, op: _Operation, started: float) -> Reply:
        method, shown = op.method, op.shown
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = await self._attempt(op)
            except ApiError as error:
                await self._watch_pool(error)
                error.annotate(attempts=attempt, elapsed_s=self._clock.monotonic() - started)
                delay = self._delay(error, op, attempt)
                if isinstance(error, RateLimited):
                    pause = delay if delay is not None else error.retry_after
                    self.bucket.pause_until(self._clock.monotonic() + (pause or 0.0))
                self._observer.request_failed(error, retrying=delay is not None)
                log.info(
                    "%s %s failed (attempt %d%s): %s | %s",
                    method, shown, attempt, ", will retry" if delay is not None else "",
                    type(error).__name__, error.detail,
                )  # fmt: skip
                if delay is None:
                    raise
                reason = WaitReason.BACKOFF
                if isinstance(error, RateLimited) and error.retry_after is not None:
                    reason = WaitReason.RETRY_AFTER
                until = self._clock.time() + delay
                self._observer.waiting(
                    Wait(reason, delay, until, f"{method} /{op.path}", attempt, error)
                )
                await self._clock.sleep(delay)
                continue
            await self._watch_pool(None)
            self._observer.succeeded()
            return reply

    def now(self) -> float:
        """The monotonic clock deadlines are measured on."""
        return self._clock.monotonic()

    def _delay(self, error: ApiError, op: _Operation, attempt: int) -> float | None:
        delay = delay_before_retry(
            error, method=op.method, attempt=attempt, policy=self.policy.retry, rng=self._rng
        )
        if delay is not None and self._clock.monotonic() + delay >= op.deadline:
            return None  # the next attempt could not finish in time: report this failure now
        return delay

    def _paused_error(self, op: _Operation) -> RateLimited | None:
        left = self.bucket.paused_until - self._clock.monotonic()
        if left <= self.policy.retry.retry_after_cap_s:
            return None
        error = error_for_status(
            429, method=op.method, path=op.shown, retry_after=left, now=self._clock.time()
        )
        error.annotate(cause="not sent: Plivo asked this account to pause after an earlier 429")
        assert isinstance(error, RateLimited)
        return error

    async def _attempt(self, op: _Operation) -> Reply:
        queued = self._clock.monotonic()
        async with self._lanes[op.priority]:
            paused = self._paused_error(op)
            if paused is not None:
                raise paused
            grant = await self.bucket.acquire(op.priority)
            op.deadline += self._clock.monotonic() - queued
            if op.counter is not None:
                op.counter.value += 1
            self.attempts += 1
            generation = self._current
            generation.inflight += 1
            try:
                return await self._send(generation.client, op)
            finally:
                self.bucket.release(grant)  # answered (or given up): the window starts now
                generation.inflight -= 1
                if generation.retired and generation.inflight == 0:
                    await self._close(generation)

    async def _send(self, client: httpx.AsyncClient, op: _Operation) -> Reply:
        p = self.policy
        left = op.deadline - self._clock.monotonic()
        if left <= 0:
            raise deadline_exceeded(method=op.method, path=op.shown, budget_s=op.budget_s)
        timeout = httpx.Timeout(
            connect=min(p.connect_timeout_s, left),
            read=min(p.read_timeout_s, left),
            write=min(p.write_timeout_s, left),
            pool=min(p.pool_timeout_s, left),
        )
        backstop = asyncio.timeout(left + p.backstop_grace_s)
        try:
            async with (
                backstop,
                client.stream(
                    op.method, op.path, params=op.params, json=op.body, timeout=timeout
                ) as response,
            ):
                return await self._read(response, op)
        except ApiError as error:
            self._redact(error)
            raise
        except (httpx.HTTPError, OSError) as exc:
            if isinstance(exc, TimeoutError) and backstop.expired():
                raise deadline_exceeded(
                    method=op.method, path=op.shown, budget_s=op.budget_s
                ) from None
            raise error_for_exception(
                exc, method=op.method, path=op.shown, host=self.host, timeout_s=timeout.read
            ) from None

    def _redact(self, error: ApiError) -> None:
        error.scrub(self._auth.redact)

    async def _read(self, response: httpx.Response, op: _Operation) -> Reply:
        status = response.status_code
        content_type = response.headers.get("content-type", "")
        ok = 200 <= status < 300
        cap = self.policy.max_body_bytes if ok else self.policy.max_error_body_bytes
        body = await read_capped(
            response, cap=cap, strict=ok, clock=self._clock, deadline=op.deadline,
            overdue=lambda: deadline_exceeded(
                method=op.method, path=op.shown, budget_s=op.budget_s
            ),
        )  # fmt: skip
        if not ok:
            asked = (
                parse_retry_after(response.headers.get("retry-after"), self._clock.time())
                if status == 429
                else None
            )
            raise error_for_status(
                status,
                method=op.method,
                path=op.shown,
                content_type=content_type,
                body=body,
                subject=op.subject,
                retry_after=asked.seconds if asked is not None else None,
                retry_after_capped=asked is not None and asked.capped,
                now=self._clock.time(),
            )
        log.debug("%s %s -> %d (%d bytes)", op.method, op.shown, status, len(body))
        data = decode_json(
            body, status=status, content_type=content_type, method=op.method, path=op.shown
        )
        return Reply(status, data)
