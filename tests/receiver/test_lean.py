"""The fast path for plain callbacks (console/receiver/lean.py): it takes only the one shape of
request Plivo sends, answers it exactly as aiohttp's path does, and hands every other request to
aiohttp at a request boundary, with nothing lost or answered out of order."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.signature import sign_request
from console.receiver.lean import read_request
from console.receiver.server import CALLBACK_PATH, CallbackReceiver, Credential
from console.store.event_log import EventLog
from tests.receiver.conftest import AUTH_ID, FORM, PUBLIC, TOKEN, params, wait_for

URL = PUBLIC + CALLBACK_PATH


def request(
    p: dict[str, str],
    *,
    token: str = TOKEN,
    path: str = CALLBACK_PATH,
    extra: list[str] | None = None,
    body: bytes | None = None,
    nonce: str | None = None,
    length: str | None = None,
    method: str = "POST",
    version: str = "HTTP/1.1",
) -> bytes:
    """A request as Plivo's sender writes it: head and body in one piece."""
    data = urlencode(p).encode() if body is None else body
    signed = sign_request(token, "POST", URL, p, nonce=nonce).as_dict()
    head = [
        f"{method} {path} {version}",
        "Host: 127.0.0.1",
        "User-Agent: PlivoHTTP/1.1",
        f"Content-Type: {FORM}",
        f"Content-Length: {len(data) if length is None else length}",
        *(f"{k}: {v}" for k, v in signed.items()),
        *(extra or []),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


# --- what the fast path takes ---------------------------------------------------------------
def test_a_plain_callback_is_read_whole_and_the_next_request_left_in_the_buffer() -> None:
    one, two = request(params(1)), request(params(2))
    read = read_request(one + two[:40], CALLBACK_PATH)
    assert read is not None
    lean, used = read
    assert used == len(one)
    assert lean.raw_path == CALLBACK_PATH and lean.method == "POST"
    assert lean.body == urlencode(params(1)).encode()
    assert lean.headers["content-type"] == FORM  # looked up as aiohttp's headers are
    assert "X-Plivo-Signature-V3-Nonce" in lean.headers
    with_query = request(params(1), path=CALLBACK_PATH + "?a=1&b=%20")
    read = read_request(with_query, CALLBACK_PATH)
    assert read is not None and read[0].raw_path == CALLBACK_PATH + "?a=1&b=%20"


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param({"method": "GET"}, id="another method"),
        pytest.param({"path": "/other"}, id="another path"),
        pytest.param({"path": "/plivo/stream-status/x"}, id="a longer path"),
        pytest.param({"version": "HTTP/1.0"}, id="HTTP/1.0"),
        pytest.param({"extra": ["Transfer-Encoding: chunked"]}, id="chunked"),
        pytest.param({"extra": ["Content-Length: 5"]}, id="two lengths"),
        pytest.param({"length": "+5"}, id="a signed length"),
        pytest.param({"length": "0x10"}, id="a hex length"),
        pytest.param({"length": "99999"}, id="a length over 16 KiB"),
        pytest.param({"length": "1000"}, id="a body not all here"),
        pytest.param({"extra": ["Connection: close"]}, id="connection close"),
        pytest.param({"extra": ["Expect: 100-continue"]}, id="expect"),
        pytest.param({"extra": ["Upgrade: websocket"]}, id="upgrade"),
        pytest.param({"extra": ["Content-Encoding: gzip"]}, id="compressed"),
        pytest.param({"extra": ["content-type: text/plain"]}, id="a second content type"),
        pytest.param({"extra": ["X-A: one\nX-B: two"]}, id="a bare LF"),
        pytest.param({"extra": ["X-A: one\rX-B: two"]}, id="a bare CR"),
        pytest.param({"extra": ["X-A: \x00"]}, id="a NUL in a value"),
        pytest.param({"extra": ["X-A: caf\u00e9"]}, id="a byte beyond ASCII"),
        pytest.param({"extra": ["X-A: one", " folded"]}, id="obs-fold"),
        pytest.param({"extra": ["X-A one"]}, id="no colon"),
        pytest.param({"extra": ["X-A : one"]}, id="a space before the colon"),
        pytest.param({"extra": ["Host: y"]}, id="two hosts"),
        pytest.param({"extra": [f"X-{n}: v" for n in range(64)]}, id="over 64 headers"),
        pytest.param({"extra": ["X-Long: " + "v" * 9000]}, id="a head over 8 KiB"),
    ],
)
def test_anything_but_a_plain_callback_is_left_to_aiohttp(changed: dict[str, object]) -> None:
    raw = request(params(1), **changed)  # type: ignore[arg-type]
    if "X-A: caf" in raw.decode("utf-8", "replace"):
        raw = raw.replace("caf\u00e9".encode(), b"caf\xe9")
    assert read_request(raw, CALLBACK_PATH) is None
    assert read_request(request(params(1)), CALLBACK_PATH) is not None  # the control


def test_a_form_content_type_with_a_utf8_charset_is_taken_any_other_is_not() -> None:
    def with_type(value: str) -> bytes:
        return request(params(1)).replace(f"Content-Type: {FORM}".encode(), value.encode())

    assert read_request(with_type(f"Content-Type: {FORM}; charset=UTF-8"), CALLBACK_PATH)
    assert read_request(with_type(f"Content-Type: {FORM}; charset=latin-1"), CALLBACK_PATH) is None
    assert read_request(with_type("Content-Type: multipart/form-data"), CALLBACK_PATH) is None


# --- the same answers as aiohttp's path, on real sockets --------------------------------------
@asynccontextmanager
async def receiver(tmp_path: Path, name: str, *, lean: bool) -> AsyncIterator[CallbackReceiver]:
    log = EventLog(tmp_path / f"{name}.sqlite3", maintenance_interval_s=0)
    await log.open()
    creds = [Credential(AUTH_ID, TOKEN, URL)]
    server = CallbackReceiver(log, lambda: creds, port=0, lean=lean)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        await log.close()


async def exchange(server: CallbackReceiver, data: bytes, answers: int = 1) -> list[bytes]:
    """Send `data` in one write on a fresh connection; the heads of the `answers` answers."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(data)
        heads = []
        for _ in range(answers):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
            heads.append(head.split(b"\r\n")[0] + b" | " + body)
        return heads
    finally:
        writer.close()


def rows(server: CallbackReceiver, table: str) -> list[tuple[object, ...]]:
    """What the log kept, without the time or the sender's port-independent columns."""
    path = server.sink.path  # type: ignore[attr-defined]
    with sqlite3.connect(path) as db:
        return db.execute(
            f"SELECT event, call_uuid, stream_id, account, verdict, method, url, params, headers,"
            f" detail FROM {table} ORDER BY id"
        ).fetchall()


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_both_paths_answer_and_keep_the_same(tmp_path: Path) -> None:
    """Genuine, forged, unsigned, replayed, re-split and malformed callbacks, in one order, to a
    receiver with the fast path and one without: the same answers, the same rows."""
    genuine = request(params(1), nonce="11111111111111111111")
    cases = [
        genuine,
        genuine,  # a replay: 200, not stored again
        request(params(2), token="not-the-token"),  # forged
        request(params(3))
        .replace(b"X-Plivo-Signature-V3:", b"X-Other-1:")
        .replace(b"X-Plivo-Signature-Ma-V3:", b"X-Other-2:"),  # unsigned
        request(params(4), body=b"Event=%ZZ"),  # a bad escape: 400
        request(params(5), body=b"Event=a%00b"),  # a NUL smuggled in an escape
        request(params(6), body=b"Event=\xff\xfe"),  # not UTF-8
        request(params(7), path=CALLBACK_PATH + "?extra=1"),  # signed without the query: 403
        request(params(8, CallUUID="\u202eevil<b>x</b>" + "9" * 400)),  # hostile, but signed
    ]
    answers: dict[bool, list[bytes]] = {}
    kept: dict[bool, tuple[object, ...]] = {}
    for lean in (True, False):
        async with receiver(tmp_path, f"lean-{lean}", lean=lean) as server:
            answers[lean] = [b"".join(await exchange(server, case)) for case in cases]
            await wait_for(lambda s=server: s.sink.pending_writes == 0)  # type: ignore[misc]
            kept[lean] = (rows(server, "events"), rows(server, "rejected"))
    assert [a.split(b" | ")[0] for a in answers[True]] == [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 403 Forbidden",
        b"HTTP/1.1 403 Forbidden",
        b"HTTP/1.1 400 Bad Request",
        b"HTTP/1.1 400 Bad Request",
        b"HTTP/1.1 400 Bad Request",
        b"HTTP/1.1 403 Forbidden",
        b"HTTP/1.1 200 OK",
    ]
    assert answers[True] == answers[False]
    assert kept[True] == kept[False]
    events, _refused = kept[True]
    assert len(events) == 2  # the genuine one once, and the hostile but signed one


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_pipelined_callbacks_are_answered_in_order_and_an_odd_request_goes_to_aiohttp(
    tmp_path: Path,
) -> None:
    async with receiver(tmp_path, "pipe", lean=True) as server:
        assert server.server is not None
        odd = b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
        data = request(params(1)) + request(params(2)) + odd + request(params(3))
        heads = await exchange(server, data, answers=4)
        assert [h.split(b" | ")[0] for h in heads] == [
            b"HTTP/1.1 200 OK",
            b"HTTP/1.1 200 OK",
            b"HTTP/1.1 404 Not Found",
            b"HTTP/1.1 200 OK",  # answered by aiohttp: the connection is its for good
        ]
        await wait_for(lambda: server.stats.accepted == 3)
        streams = [row[2] for row in rows(server, "events")]
        assert streams == [params(n)["StreamID"] for n in (1, 2, 3)]


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_keep_alive_callbacks_stay_on_the_fast_path_and_a_split_one_goes_to_aiohttp(
    tmp_path: Path,
) -> None:
    async with receiver(tmp_path, "split", lean=True) as server:
        guard = server.server
        assert guard is not None
        reader, writer = await asyncio.open_connection(server.host, server.port)
        for n in (1, 2, 3):
            writer.write(request(params(n)))
            assert (await reader.readuntil(b"OK\n")).startswith(b"HTTP/1.1 200 OK")
        assert guard.lean_connections == 1 and not guard.connections
        split = request(params(4))
        writer.write(split[:-10])
        await writer.drain()
        await wait_for(lambda: guard.lean_connections == 0, what="the hand-over")
        writer.write(split[-10:])
        assert (await reader.readuntil(b"OK\n")).startswith(b"HTTP/1.1 200 OK")
        assert len(guard.connections) == 1  # aiohttp's now
        writer.close()
        await wait_for(lambda: server.stats.accepted == 4)


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_a_client_gone_before_its_answer_still_has_its_callback_kept(
    tmp_path: Path,
) -> None:
    async with receiver(tmp_path, "gone", lean=True) as server:
        for n in range(20):
            _reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(request(params(n)))
            await writer.drain()
            writer.close()  # gone at once, most before the commit
        await wait_for(lambda: server.stats.accepted == 20)
        assert len(rows(server, "events")) == 20


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_stop_lets_callbacks_in_flight_be_committed_and_answered(tmp_path: Path) -> None:
    async with receiver(tmp_path, "stop", lean=True) as server:
        conns = [await asyncio.open_connection(server.host, server.port) for _ in range(30)]
        for n, (_reader, writer) in enumerate(conns):
            writer.write(request(params(n)))
        await wait_for(lambda: server.stats.accepted >= 1)  # the rest in flight or not yet read
        await server.stop()
        answered = 0
        for reader, writer in conns:
            data = await reader.read()
            answered += data.startswith(b"HTTP/1.1 200 OK")
            writer.close()
        assert answered == server.stats.accepted
        assert len(rows(server, "events")) == server.stats.accepted >= 1


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_a_pipelined_flood_not_read_is_held_within_bounds_then_answered_in_full(
    tmp_path: Path,
) -> None:
    """A sender that writes 2,000 requests on one connection and reads no answer: the fast path
    stops reading (what it holds stays bounded) instead of buffering the flood, and once the
    sender reads, every request is answered, in order."""
    from console.receiver.lean import PENDING_LIMIT

    async with receiver(tmp_path, "flood", lean=True) as server:
        guard = server.server
        assert guard is not None
        flood = [request(params(n)) for n in range(2_000)]
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(b"".join(flood))
        held: list[int] = []

        def paused() -> bool:
            protocols = list(guard._lean)
            held.extend(len(p._pending) for p in protocols)
            return any(p._read_paused for p in protocols)

        await wait_for(paused, what="reading to pause")
        assert max(held) <= PENDING_LIMIT + 256 * 1024  # one read's worth beyond the limit
        answered = 0
        while answered < len(flood):
            head = await asyncio.wait_for(reader.readuntil(b"OK\n"), 10)
            assert head.startswith(b"HTTP/1.1 200 OK")
            answered += 1
        writer.close()
        await wait_for(lambda: server.stats.accepted == 2_000)
        streams = [row[2] for row in rows(server, "events")]
        assert streams == [params(n)["StreamID"] for n in range(2_000)]


# --- never more lenient than aiohttp ------------------------------------------------------------
_TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VISIBLE = "".join(chr(c) for c in range(0x20, 0x7F))
_RESERVED = {"host", "content-type", "content-length", "transfer-encoding", "te"}
_good_names = st.text(_TOKEN_CHARS, min_size=1, max_size=12).filter(
    lambda name: name.lower() not in _RESERVED
)
_good_values = st.text(_VISIBLE + "\t", max_size=40)
_odd_names = st.one_of(
    _good_names,
    st.sampled_from(["Host", "Content-Type", "Content-Length", "Transfer-Encoding", "TE"]),
    st.text(_TOKEN_CHARS + " :\t\x7f\u00e9", max_size=12),
)
_odd_values = st.one_of(
    _good_values,
    st.sampled_from([FORM, FORM + "; charset=utf-8", "chunked", "0", "+1", "keep-alive", "close"]),
    st.text("ab =;/\t\r\n\x00\x7f\u00e9", max_size=40),
)
_LINES = [
    f"POST {CALLBACK_PATH} HTTP/1.1",
    f"POST {CALLBACK_PATH}?a=%20&b HTTP/1.1",
    f"POST {CALLBACK_PATH}  HTTP/1.1",
    f"post {CALLBACK_PATH} HTTP/1.1",
    f"POST {CALLBACK_PATH} HTTP/1.0",
    f"POST {CALLBACK_PATH}/ HTTP/1.1",
]


@st.composite
def _raw_requests(draw: st.DrawFn) -> bytes:
    """Requests shaped like a callback: half of them plain (visible-ASCII headers of any name
    and value), half with hostile variations in any part (the line, names, values, a missing
    Host, a second Content-Length, Transfer-Encoding, CR, LF, NUL, bytes beyond ASCII)."""
    odd = draw(st.booleans())
    body = draw(st.binary(max_size=30))
    headers = [("Host", "127.0.0.1"), ("Content-Type", FORM), ("Content-Length", str(len(body)))]
    if odd:
        headers = headers[draw(st.integers(0, 1)) :]
    pair = st.tuples(_odd_names, _odd_values) if odd else st.tuples(_good_names, _good_values)
    headers += draw(st.lists(pair, max_size=5))
    order = draw(st.permutations(range(len(headers))))
    line = draw(st.sampled_from(_LINES)) if odd else _LINES[draw(st.integers(0, 1))]
    head = "\r\n".join([line, *(f"{headers[i][0]}:{headers[i][1]}" for i in order)])
    tail = draw(st.binary(max_size=8))  # the start of a next request, or junk
    return head.encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body + tail


@given(raw=_raw_requests())
@settings(max_examples=3000, deadline=None)
def test_the_fast_path_takes_only_what_aiohttp_reads_the_same_way(raw: bytes) -> None:
    """Whatever the fast path takes, aiohttp's own parser reads as the same method, target,
    headers and body, ending at the same byte; whatever aiohttp refuses, the fast path leaves
    to it (so a hostile request can never be read one way here and another way there)."""
    from aiohttp.base_protocol import BaseProtocol
    from aiohttp.http_exceptions import HttpProcessingError
    from aiohttp.http_parser import HttpRequestParser

    read = read_request(raw, CALLBACK_PATH)
    if read is None:
        return
    lean, used = read
    loop = asyncio.new_event_loop()
    try:
        parser = HttpRequestParser(
            BaseProtocol(loop), loop, 2**16, max_line_size=8190, max_field_size=8190,
            max_headers=64,
        )  # fmt: skip
        try:
            messages, _upgraded, _tail = parser.feed_data(raw[:used])
        except HttpProcessingError as exc:
            raise AssertionError(f"the fast path took what aiohttp refuses: {exc!r}") from exc
        [(message, payload)] = messages
        assert payload.is_eof()
        assert message.method == "POST" and message.path == lean.raw_path
        assert list(message.headers.items()) == list(lean.headers.items())
        assert payload.read_nowait() == lean.body
    finally:
        loop.close()
