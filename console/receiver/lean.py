"""The fast path for plain callbacks: read and answered without aiohttp's per-request machinery
(docs/callbacks.md, Fast path).

Measured on the 2-core machine at 3,000 callbacks/s, aiohttp's request objects, task, response
and writer took about half of the receiver thread's CPU (about 110 of 218 us a callback), while a
bare asyncio protocol reads and answers the same request in about 35 us. `LeanProtocol` is such
a protocol, for exactly one shape of request, the one Plivo sends:

    POST /plivo/stream-status[?query] HTTP/1.1, header lines of visible ASCII, a Host, one
    Content-Length of at most 16 KiB, a form content type, no Transfer-Encoding, Expect,
    Upgrade, Content-Encoding or `Connection: close`, no header name twice, and the whole
    body already here.

Everything else (another path or method, a split or slow request, anything odd) is handed to
aiohttp at a request boundary, with the bytes read so far, and the connection stays with aiohttp
for good: refusals, deadlines and limits are then exactly what they were before. The signature,
the nonce and the log are the receiver's own in both paths (`CallbackReceiver.answer_lean`).

One request is handled at a time per connection; bytes that come meanwhile wait (reading pauses
beyond `PENDING_LIMIT`), so answers leave in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Protocol

from aiohttp import hdrs
from multidict import CIMultiDict, CIMultiDictProxy, istr

from console.receiver.decode import MAX_BODY_BYTES, content_type_ok

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_HEAD_BYTES = 8_190  # as aiohttp's limit on one line: a head longer than that goes to it
MAX_HEADERS = 64
PENDING_LIMIT = 64 * 1024  # bytes held while a request is answered; then reading pauses
# The whole head in one match: the request line, then header lines of a token, a colon and
# visible ASCII or tabs (no bare CR or LF, no control byte, no obs-fold), each after a CRLF.
_HEAD = re.compile(
    r"POST (/[\x21-\x7e]*) HTTP/1\.1((?:\r\n[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e]*)*)"
)
_DIGITS = re.compile(r"[0-9]{1,5}")
# aiohttp's parser spells the header names it knows its own way (`KEEP-ALIVE` -> `Keep-Alive`):
# so does this path, so that the log keeps the same headers whichever path read the request.
_CANONICAL = {str(n).lower(): str(n) for n in vars(hdrs).values() if isinstance(n, istr)}
_REFUSED = frozenset({"transfer-encoding", "expect", "upgrade", "te"})


@dataclass(frozen=True, slots=True)
class Answer:
    """What the receiver answers: a status, a one-line text body and any extra headers."""

    status: int
    text: str
    headers: Mapping[str, str] | None = None


class LeanRequest:
    """A callback read by the fast path: what the receiver reads of aiohttp's request. (A plain
    class: a frozen dataclass's __init__ costs a microsecond more, once per callback.)"""

    __slots__ = ("body", "headers", "raw_path", "transport")
    method = "POST"

    def __init__(
        self,
        raw_path: str,
        headers: CIMultiDictProxy[str],
        transport: asyncio.BaseTransport | None,
        body: bytes,
    ) -> None:
        self.raw_path = raw_path
        self.headers = headers
        self.transport = transport
        self.body = body


def read_request(
    buffer: bytes, path: str, transport: asyncio.BaseTransport | None = None
) -> tuple[LeanRequest, int] | None:
    """The first request in `buffer` and the bytes it took, when it is a plain callback to `path`
    whose head and body are all here; None otherwise (aiohttp then reads it)."""
    end = buffer.find(b"\r\n\r\n", 0, MAX_HEAD_BYTES + 4)
    if end < 0:
        return None
    try:
        matched = _HEAD.fullmatch(buffer[:end].decode("ascii"))
    except UnicodeDecodeError:
        return None
    if matched is None or matched[1].partition("?")[0] != path:
        return None
    lines = matched[2][2:].split("\r\n") if matched[2] else []
    pairs: list[tuple[str, str]] = []
    names: set[str] = set()
    for line in lines:
        name, _, value = line.partition(":")
        lower = name.lower()
        names.add(lower)
        pairs.append((_CANONICAL.get(lower, name), value.strip(" \t")))
    if len(names) != len(pairs) or len(pairs) > MAX_HEADERS or not names.isdisjoint(_REFUSED):
        return None  # a header twice, too many, or one this path leaves to aiohttp
    if "host" not in names:  # HTTP/1.1 requires it: aiohttp answers 400 without
        return None
    headers = CIMultiDictProxy(CIMultiDict(pairs))
    length = headers.get("Content-Length", "")
    if _DIGITS.fullmatch(length) is None or int(length) > MAX_BODY_BYTES:
        return None
    if headers.get("Connection", "keep-alive").lower() != "keep-alive":
        return None
    if headers.get("Content-Encoding", "identity").lower() != "identity":
        return None
    if not content_type_ok(headers.get("Content-Type")):
        return None
    start = end + 4
    stop = start + int(length)
    if len(buffer) < stop:
        return None
    return LeanRequest(matched[1], headers, transport, buffer[start:stop]), stop


_date: tuple[int, str] = (0, "")


def _http_date() -> str:
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, formatdate(now, usegmt=True))
    return _date[1]


def encode_answer(answer: Answer) -> bytes:
    """The HTTP/1.1 response for `answer`, as aiohttp would write it for the same text."""
    body = (answer.text + "\n").encode()
    lines = [
        f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        f"Date: {_http_date()}",
        *(f"{name}: {value}" for name, value in (answer.headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Guard(Protocol):
    """What the connection guard (guard.py) does for a lean connection."""

    def lean_made(self, protocol: LeanProtocol) -> None: ...

    def lean_heard(self, protocol: LeanProtocol) -> None: ...

    def request_started(self, handler: object) -> None: ...

    def request_finished(self, handler: object) -> None: ...

    def lean_lost(self, protocol: LeanProtocol) -> None: ...

    def hand_over(self, protocol: LeanProtocol, transport: asyncio.Transport, data: bytes) -> None:
        """Give the connection to aiohttp, which reads `data` first."""
        ...


LeanAnswer = Callable[[LeanRequest], Awaitable[Answer]]


class LeanProtocol(asyncio.Protocol):
    """A connection on the fast path (see the module's docstring)."""

    def __init__(self, guard: Guard, answer: LeanAnswer, path: str) -> None:
        self._guard = guard
        self._answer = answer
        self._path = path
        self.transport: asyncio.Transport | None = None
        self._pending = b""
        self._busy: asyncio.Task[None] | None = None
        self._closing = False
        self._read_paused = False
        self._write_paused = False

    # --- asyncio's calls ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # as aiohttp does: a vanished peer is noticed
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._guard.lean_made(self)

    def data_received(self, data: bytes) -> None:
        self._guard.lean_heard(self)
        self._pending = self._pending + data if self._pending else data
        if self._busy is None:
            self._next()
        elif len(self._pending) > PENDING_LIMIT:
            self._pause_reading()

    def eof_received(self) -> bool:
        # The peer sent all it will: answer what is in flight, then close (a half-closed
        # connection whose request is committed still gets its answer).
        self._closing = True
        return self._busy is not None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._pending = b""
        self._guard.lean_lost(self)

    def pause_writing(self) -> None:
        self._write_paused = True
        self._pause_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._busy is None and len(self._pending) <= PENDING_LIMIT:
            self._resume_reading()

    # --- what the guard and the server's shutdown call -----------------------------------------
    def close(self) -> None:
        """Take no more requests: close now when idle, else once the answer is written."""
        self._closing = True
        if self._busy is None and self.transport is not None:
            self.transport.close()

    def force_close(self) -> None:
        self._closing = True
        if self.transport is not None:
            self.transport.close()

    async def shutdown(self, timeout: float | None = None) -> None:
        """Let the request in flight be committed and answered (up to `timeout`), then close."""
        self._closing = True
        busy = self._busy
        if busy is not None:
            await asyncio.wait([busy], timeout=timeout)
        self.force_close()

    # --- one request at a time -----------------------------------------------------------------
    def _next(self) -> None:
        transport = self.transport
        if transport is None or self._closing or not self._pending:
            return
        read = read_request(self._pending, self._path, transport)
        if read is None:  # not a plain callback, or not all here: aiohttp takes it from here
            data, self._pending = self._pending, b""
            self._resume_reading()
            self._guard.hand_over(self, transport, data)
            return
        request, used = read
        self._pending = self._pending[used:]
        self._guard.request_started(self)
        self._busy = asyncio.get_running_loop().create_task(self._serve(request))

    async def _serve(self, request: LeanRequest) -> None:
        try:
            answer = await self._answer(request)
        finally:
            self._busy = None
            self._guard.request_finished(self)
        transport = self.transport
        if transport is None:  # the client left: the event is kept all the same
            return
        transport.write(encode_answer(answer))
        if self._closing:
            transport.close()
            return
        if not self._write_paused and len(self._pending) <= PENDING_LIMIT:
            self._resume_reading()
        self._next()

    def _pause_reading(self) -> None:
        if not self._read_paused and self.transport is not None:
            self._read_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._read_paused and self.transport is not None:
            self._read_paused = False
            self.transport.resume_reading()
