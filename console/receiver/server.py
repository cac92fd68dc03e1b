"""The local HTTP endpoint Plivo posts stream status callbacks to (docs/callbacks.md).

Runs on the asyncio loop it is started on: in the console a thread and loop of its own
(`ThreadedReceiver` in thread.py), in `stream-console receive` the command's loop. Binds
127.0.0.1 unless told otherwise: Plivo reaches it through a tunnel, and binding wider only adds
exposure. Every request is hostile until its signature verifies:

- wrong method 405, other path 404, other content type 415, body over 16 KiB 413, not decodable
  400: refused before any signature work, never a 5xx;
- unsigned 403, signature that no known token produces 403: counted and kept, cut short, in the
  rejected table (at most `RECORD_RATE` a second), never stored as an event;
- verified: committed to the event log, THEN answered 200. A nonce is used once: a request under
  a kept nonce that says the same is a replay (200, not stored again), one that says something
  else is forged (403); when the log cannot be written or is full, 503 so Plivo retries;
- the rate limit charges refused requests only (beyond it 429, and they are not recorded): a
  forged flood never gets a verified callback refused; at the connection cap the oldest idle
  connections make room for new ones, slow clients are cut off by the header/body deadlines
  (`guard.py`).

A plain callback is read and answered by the fast path (`lean.py`: aiohttp's per-request
machinery skipped), any other request by aiohttp; both come to the same checks below and get the
same answers (`Answer`).

The signature is checked against the URL Plivo was given (public base URL + path + the query
Plivo sent), never one rebuilt from the request's Host header, with each known account's token in
turn; the Auth ID whose token verified is recorded with the event ('' when the account was
given without one: whether a signature matched never depends on that label).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from ipaddress import ip_address
from typing import Protocol, TypeVar

from aiohttp import web
from multidict import CIMultiDictProxy

from console.domain.events import StoredEvent, Verdict
from console.domain.signature import (
    MAIN_ACCOUNT_SIGNATURE_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    verify_signature,
)
from console.listening import to_the_end
from console.receiver.decode import (
    MAX_BODY_BYTES,
    Malformed,
    body_text,
    content_type_ok,
    flat,
    grouped,
    parse_form,
)
from console.receiver.guard import (
    DEFAULT_BODY_DEADLINE_S,
    DEFAULT_HEADER_DEADLINE_S,
    DEFAULT_MAX_CONNECTIONS,
    GuardedServer,
    RateLimiter,
    TroubleLog,
)
from console.receiver.lean import Answer, LeanRequest

T = TypeVar("T")
log = logging.getLogger(__name__)


class _OneLine(logging.Filter):
    """aiohttp logs malformed HTTP (a 9 KiB header line, 100 headers) as an error with a
    traceback; from the internet that is routine, so it becomes one INFO line, and a flood of
    it at most `PER_INTERVAL` lines a minute (the next one says how many were left out)."""

    PER_INTERVAL = 10

    def __init__(self) -> None:
        super().__init__()
        self._window = 0.0
        self._shown = 0
        self._left_out = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._window >= 60.0:
            self._window, self._shown = now, 0
        if self._shown >= self.PER_INTERVAL:
            self._left_out += 1
            return False
        self._shown += 1
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text = f"{text}: {record.exc_info[1]}"
        if self._left_out:
            text += f" ({self._left_out} more like it not logged)"
            self._left_out = 0
        record.msg, record.args, record.exc_info = text.splitlines()[0], (), None
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


http_log = logging.getLogger("console.receiver.http")
http_log.addFilter(_OneLine())

CALLBACK_PATH = "/plivo/stream-status"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_RATE = 5_000.0  # requests/s on average; bursts of twice that
MAX_SIGNATURE_HEADER = 2_048  # a real header holds a few 44-character signatures
MAX_BACKLOG = 20_000  # writes waiting for the disk: beyond this, 503 rather than queue forever
MAX_REJECTED_BACKLOG = 1_000  # refused requests are recorded only while the disk keeps up
RECORD_RATE = 50.0  # refused requests recorded per second at most (bursts of 4x); the rest counted


@dataclass(frozen=True, slots=True)
class Credential:
    """One account the receiver verifies for: its Auth ID, its token, and the public callback
    URL its streams were given (`<public base URL>/plivo/stream-status`)."""

    auth_id: str
    token: str = field(repr=False)
    callback_url: str


class Incoming(Protocol):
    """What the receiver reads of a request: aiohttp's, or the fast path's (lean.py)."""

    @property
    def method(self) -> str: ...

    @property
    def raw_path(self) -> str: ...

    @property
    def headers(self) -> CIMultiDictProxy[str]: ...

    @property
    def transport(self) -> asyncio.BaseTransport | None: ...


class Kept(Protocol):
    """What the sink says about an append: the stored event (the original one when the nonce
    was used before), and whether the request was a replay of it or a conflicting forgery."""

    @property
    def event(self) -> StoredEvent: ...

    @property
    def replay(self) -> bool: ...

    @property
    def conflict(self) -> bool: ...


class EventSink(Protocol):
    """What the receiver writes to (the event log)."""

    @property
    def pending_writes(self) -> int: ...

    async def append(self, event: StoredEvent, *, nonce: str = "") -> Kept:
        """Returns after the event is durable (or found kept under `nonce`); raises when it
        was not kept (StoreFull when the log has no room)."""
        ...

    async def reject(self, event: StoredEvent) -> int: ...


@dataclass
class ReceiverStats:
    """Counters for the status bar and the tests; `rejected` is every refused request."""

    accepted: int = 0
    replays: int = 0
    forged: int = 0
    unsigned: int = 0
    malformed: int = 0
    rate_limited: int = 0
    unavailable: int = 0  # answered 503 because the log could not be written (or is full)
    unrecorded: int = 0  # refused requests counted but not recorded (beyond RECORD_RATE)
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=100_000))

    @property
    def rejected(self) -> int:
        return self.forged + self.unsigned + self.malformed + self.rate_limited

    def per_minute(self, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        while self.recent and self.recent[0] < now - 60.0:
            self.recent.popleft()
        return len(self.recent)


def normalize_public_url(url: str) -> str:
    """`https://abc.ngrok.app/` -> `https://abc.ngrok.app` (the base the path is added to)."""
    return url.strip().rstrip("/")


def callback_url(public_base_url: str) -> str:
    return normalize_public_url(public_base_url) + CALLBACK_PATH


def _signed_url(credential_url: str, raw_query: str, method: str) -> str:
    """The URL Plivo signed: the configured URL; for POST with the query Plivo sent on it (for GET
    the query holds the parameters, which the signature merges in itself)."""
    if method == "POST" and raw_query:
        return f"{credential_url}?{raw_query}"
    return credential_url


# --- extra routes (the stream monitor) ---------------------------------------------------------
Route = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
"""A handler for another path on the receiver's port. The tunnel to this computer reaches only
the receiver, so whatever else Plivo must reach (the stream monitor's WebSocket) is mounted here
with `routes`: a mapping of exact path to handler, read per request (mount or unmount any time).
Such a request still passes the rate limit and the connection cap, and is not signature-checked
(the handler answers for itself)."""


class CallbackReceiver:
    """Await `start()`, then `stop()`. `credentials` is read per request, so profiles added or
    changed while it runs are picked up; so is `routes` (see `Route`)."""

    def __init__(
        self,
        sink: EventSink,
        credentials: Callable[[], Sequence[Credential]],
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        rate: float = DEFAULT_RATE,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        lean: bool = True,
        header_deadline_s: float = DEFAULT_HEADER_DEADLINE_S,
        body_deadline_s: float = DEFAULT_BODY_DEADLINE_S,
        on_change: Callable[[], None] | None = None,
        routes: Mapping[str, Route] | None = None,
    ) -> None:
        self.sink = sink
        self.routes: Mapping[str, Route] = routes if routes is not None else {}
        self.credentials = credentials
        self.host = host
        self.port = port
        self.stats = ReceiverStats()
        self.limiter = RateLimiter(rate)  # charged by refused requests (and other paths) only
        self.recorder = RateLimiter(RECORD_RATE, 4 * RECORD_RATE)
        # Trouble from requests, a line per kind per interval (the guard does the same for
        # connections): a flood of 503s or refusals is a few lines, never one per request.
        self.trouble = TroubleLog(
            {
                "unavailable": (
                    logging.WARNING,
                    "answered 503 to {n} callbacks in the last {span}",
                ),
                "unrecorded": (
                    logging.INFO,
                    f"counted, not recorded, {{n}} refused requests in the last {{span}} (beyond"
                    f" {RECORD_RATE:g}/s)",
                ),
                "unexpected": (
                    logging.ERROR,
                    "{n} requests in the last {span} failed unexpectedly (answered 400)",
                ),
            },
            logger=log,
        )
        self.body_deadline_s = body_deadline_s
        self._max_connections = max_connections
        self._lean = lean
        self._header_deadline_s = header_deadline_s
        self._server: GuardedServer | None = None
        self._listener: asyncio.Server | None = None
        self._on_change = on_change or (lambda: None)

    @property
    def listening(self) -> bool:
        return self._listener is not None

    @property
    def local_url(self) -> str:
        """`http://127.0.0.1:PORT` (the actual port once started with port 0)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def server(self) -> GuardedServer | None:
        return self._server

    async def start(self) -> None:
        """Bind and listen. Raises OSError when the address is taken or not allowed."""
        if not _is_loopback(self.host):
            log.warning(
                "the callback receiver listens on %s, not loopback: other machines can reach it",
                self.host,
            )
        self._server = GuardedServer(
            self._handle,
            max_connections=self._max_connections,
            header_deadline_s=self._header_deadline_s,
            keepalive_timeout=self._header_deadline_s,
            max_line_size=8190,
            max_field_size=8190,
            max_headers=64,
            auto_decompress=False,
            access_log=None,
            logger=http_log,
            handler_cancellation=False,
            lingering_time=0,  # a refused body (408, 413) is not read on: the connection closes
            lean=self.answer_lean if self._lean else None,
            lean_path=CALLBACK_PATH,
        )
        try:
            await to_the_end(self._bind())  # console/listening.py
        except asyncio.CancelledError:
            await self.stop(drain_s=0)
            raise
        assert self._listener is not None
        sock = self._listener.sockets[0]
        self.port = int(sock.getsockname()[1])
        log.info("callback receiver listening on %s", self.local_url)
        self._on_change()

    async def _bind(self) -> None:
        assert self._server is not None
        self._listener = await asyncio.get_running_loop().create_server(
            self._server, self.host, self.port, backlog=512, reuse_address=True
        )

    async def stop(self, drain_s: float = 5.0) -> None:
        """Stop accepting, let requests in flight finish (their events are committed), close."""
        if self._listener is None:
            return
        listener, self._listener = self._listener, None
        listener.close()
        server = self._server
        self.trouble.flush()
        if server is not None:
            server.stop_sweeping()
            server.pre_shutdown()
            await server.shutdown(drain_s)
        await listener.wait_closed()
        self._on_change()

    # --- one request ---------------------------------------------------------------------------
    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        server = self._server
        if server is not None:
            server.request_started(request.protocol)
        try:
            answer = await self._answer(request)
        except Exception:  # a bug, or input nobody foresaw: still a 4xx, never a traceback page
            answer = self._unexpected()
        finally:
            if server is not None:
                server.request_finished(request.protocol)
        if isinstance(answer, web.StreamResponse):
            return answer
        response = _response(answer)
        if answer.status in (408, 413):
            response.force_close()
        return response

    async def answer_lean(self, request: LeanRequest) -> Answer:
        """A plain callback from the fast path (lean.py): its body is all here, its content
        type, length and encoding already checked as `_read_params` checks them."""
        try:
            try:
                pairs = _decoded(request.body)
            except _Refusal as refusal:
                return await self._refuse(request, refusal.status, refusal.reason, refusal.detail)
            return await self._verify_and_keep(request, pairs)
        except Exception:
            return self._unexpected()

    def _unexpected(self) -> Answer:
        if self.trouble.note("unexpected"):  # a flood of it is one traceback an interval
            log.exception("unexpected failure handling a callback request")
        self.stats.malformed += 1
        self._on_change()
        return Answer(400, "Bad request")

    async def _answer(self, request: web.BaseRequest) -> web.StreamResponse | Answer:
        if request.path != CALLBACK_PATH:
            if not self.limiter.allow():
                return self._too_many()
            mounted = self.routes.get(request.path)
            if mounted is not None:
                return await mounted(request)
            return await self._refuse(request, 404, "Not found", f"unknown path {request.path!r}")
        if request.method not in ("GET", "POST"):
            return await self._refuse(
                request, 405, "Method not allowed", f"method {request.method}",
                headers={"Allow": "GET, POST"},
            )  # fmt: skip
        try:
            pairs = await self._read_params(request)
        except _Refusal as refusal:
            return await self._refuse(request, refusal.status, refusal.reason, refusal.detail)
        return await self._verify_and_keep(request, pairs)

    def _too_many(self) -> Answer:
        self.stats.rate_limited += 1
        self._on_change()
        return Answer(429, "Too many requests", {"Retry-After": "1"})

    async def _read_params(self, request: web.BaseRequest) -> list[tuple[str, str]]:
        if request.method == "GET":
            if request.can_read_body:
                raise _Refusal(415, "Unsupported media type", "a GET with a body")
            return _decoded(request.raw_path.partition("?")[2])
        if request.headers.get("Content-Encoding", "identity").lower() != "identity":
            raise _Refusal(415, "Unsupported media type", "a compressed body")
        if not content_type_ok(request.headers.get("Content-Type")):
            shown = request.headers.get("Content-Type", "none")[:100]
            raise _Refusal(415, "Unsupported media type", f"content type {shown!r}")
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            raise _Refusal(413, "Payload too large", f"a body of {length} bytes")
        content = request.content
        if content.is_eof():  # the usual case: the whole small body came with the headers
            body = bytearray(content.read_nowait())
            if len(body) > MAX_BODY_BYTES:
                raise _Refusal(413, "Payload too large", "a body over 16 KiB")
            return _decoded(bytes(body))
        body = bytearray()
        try:
            async with asyncio.timeout(self.body_deadline_s):
                while chunk := await request.content.read(MAX_BODY_BYTES + 1):
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise _Refusal(413, "Payload too large", "a body over 16 KiB")
        except TimeoutError as exc:  # answered 408, then the connection is closed
            raise _Refusal(408, "Request timeout", "the body was too slow") from exc
        except (ConnectionError, ValueError) as exc:  # the client broke the body off
            raise _Refusal(400, "Bad request", f"the body could not be read: {exc}") from exc
        return _decoded(bytes(body))

    async def _verify_and_keep(self, request: Incoming, pairs: list[tuple[str, str]]) -> Answer:
        nonce = request.headers.get(NONCE_HEADER, "")
        own = request.headers.get(SIGNATURE_HEADER, "")
        main = request.headers.get(MAIN_ACCOUNT_SIGNATURE_HEADER, "")
        params = flat(pairs)
        if not nonce or not (own or main):
            self.stats.unsigned += 1
            return await self._keep_refused(
                _record(request, params), Verdict.UNSIGNED, "no signature or no nonce", 403,
                "Forbidden",
            )  # fmt: skip
        matched: Credential | None = None
        signed_url = ""
        plausible = len(own) + len(main) + len(nonce) <= MAX_SIGNATURE_HEADER
        if plausible and (own + main + nonce).isascii():
            signed = grouped(pairs) if len(params) < len(pairs) else params
            query = request.raw_path.partition("?")[2]
            for credential in self.credentials():
                url = _signed_url(credential.callback_url, query, request.method)
                if verify_signature(
                    credential.token, request.method, url, signed, nonce, (own, main)
                ):
                    matched, signed_url = credential, url
                    break
        if matched is None:
            self.stats.forged += 1
            return await self._keep_refused(
                _record(request, params), Verdict.FORGED,
                "no known account's token gives this signature", 403, "Forbidden",
            )  # fmt: skip
        if self.sink.pending_writes > MAX_BACKLOG:
            return self._unavailable("the event log is behind", "Busy, retry later", 1)
        event = _record(request, params, matched.auth_id, signed_url, Verdict.ACCEPTED)
        try:
            # Not cancelled when the client hangs up (handler_cancellation is off); once queued,
            # the write is committed even if stop() comes first (the log finishes its queue).
            kept = await self.sink.append(event, nonce=nonce)
        except Exception as exc:  # sqlite3.Error, StoreUnavailable, OSError: not kept -> not 200
            return self._unavailable(str(exc), "Could not store the event, retry later", 5)
        if kept.conflict:
            self.stats.forged += 1
            detail = (
                f"the nonce of event #{kept.event.id} with other parameters (a re-split or "
                "altered copy of a signed request)"
            )
            return await self._keep_refused(event, Verdict.FORGED, detail, 403, "Forbidden")
        if kept.replay:
            self.stats.replays += 1
            detail = f"replay of event #{kept.event.id}"
            await self._record_rejection(_with(event, Verdict.REPLAY, detail))
        else:
            self.stats.accepted += 1
            self.stats.recent.append(time.monotonic())
        self._on_change()
        return OK

    def _unavailable(self, why: str, answer: str, retry_after_s: int) -> Answer:
        """A verified callback that could not be kept: 503 so Plivo tries it again later."""
        self.stats.unavailable += 1
        if self.trouble.note("unavailable"):
            log.warning("callbacks not stored, answered 503: %s", why)
        self._on_change()
        return Answer(503, answer, {"Retry-After": str(retry_after_s)})

    async def _refuse(
        self,
        request: Incoming,
        status: int,
        reason: str,
        detail: str,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        self.stats.malformed += 1
        return await self._keep_refused(
            _record(request, {}), Verdict.MALFORMED, detail, status, reason, headers
        )

    async def _keep_refused(
        self,
        base: StoredEvent,
        verdict: Verdict,
        detail: str,
        status: int,
        reason: str,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        if not self.limiter.allow():  # refused traffic beyond the rate limit: counted only
            return self._too_many()
        await self._record_rejection(_with(base, verdict, detail))
        self._on_change()
        return Answer(status, reason, headers)

    async def _record_rejection(self, event: StoredEvent) -> None:
        """Keep it for inspection (cut short by the log) at `RECORD_RATE` while the disk keeps
        up; beyond that only count it, so a flood costs the writer almost nothing."""
        if self.sink.pending_writes > MAX_REJECTED_BACKLOG or not self.recorder.allow():
            self.stats.unrecorded += 1
            self.trouble.note("unrecorded")
            return
        try:
            await self.sink.reject(event)
        except Exception as exc:
            log.info("refused request not recorded: %s", exc)


class _Refusal(Exception):
    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


def _decoded(raw: str | bytes) -> list[tuple[str, str]]:
    try:
        return parse_form(body_text(raw) if isinstance(raw, bytes) else raw)
    except Malformed as exc:
        raise _Refusal(400, "Bad request", str(exc)) from exc


OK = Answer(200, "OK")


def _response(answer: Answer) -> web.Response:
    return web.Response(status=answer.status, text=answer.text + "\n", headers=answer.headers)


def _record(
    request: Incoming,
    params: dict[str, str],
    account: str = "",
    url: str | None = None,
    verdict: Verdict = Verdict.MALFORMED,
) -> StoredEvent:
    """The request as the log keeps it (for a verified one, the URL its signature covered)."""
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    return StoredEvent(
        id=0,
        received_at=time.time(),
        event=params.get("Event", ""),
        call_uuid=params.get("CallUUID", ""),
        stream_id=params.get("StreamID", ""),
        account=account,
        source=str(peer[0]) if isinstance(peer, tuple) and peer else "",
        verdict=verdict,
        method=request.method[:16],
        url=request.raw_path[:4096] if url is None else url,
        params=params,
        headers={k: v[:4096] for k, v in request.headers.items()},
    )


def _with(event: StoredEvent, verdict: Verdict, detail: str) -> StoredEvent:
    return replace(event, verdict=verdict, detail=detail)


def _is_loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
