"""Hostile input on the wire: every malformed request gets a Plivo-shaped 4xx (never aiohttp's
plain 500), absurd values are refused, held-open and slowloris connections are closed, and a
background task that dies ends its stream with a reason instead of leaving it in-progress."""

from __future__ import annotations

import asyncio
import gzip
import logging
import zlib
from base64 import b64encode
from collections.abc import AsyncIterator, Awaitable, Iterator

import httpx
import pytest
import pytest_asyncio

from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator
from console.simulator import media as media_module
from tests.simulator.conftest import ACCOUNT, quiet_config, wait_for
from tests.simulator.receivers import CallbackReceiver, WsService

AUTH = (DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def assert_plivo_error(response: httpx.Response, status: int, text: str = "") -> None:
    """The status, and the body Plivo sends with an error: `{"api_id", "error"}` as JSON."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"api_id", "error"} and len(body["api_id"]) == 36
    assert text in body["error"], body


@pytest_asyncio.fixture
async def http(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.base_url, auth=AUTH, timeout=10.0) as client:
        yield client


def stream_path(sim: Simulator) -> str:
    return f"{ACCOUNT}/Call/{sim.live_call_uuids()[0]}/Stream/"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("content_type", "body", "status", "text"),
    [
        (FORM, b"service_url=ws%3A%2F%2Fa.example&x=\xff\xfe", 400, "not valid UTF-8"),
        (FORM, b"service_url=%ff", 400, "not valid UTF-8"),
        (FORM + "; charset=no-such-charset", b"service_url=ws://a.example", 415, "charset"),
        (FORM + "; charset=zlib", b"service_url=ws://a.example", 415, "charset"),
        (JSON, b'{"service_url": "ws://a.example/\xc3"}', 400, "not valid UTF-8"),
        (JSON + "; charset=nope", b'{"service_url": "ws://a.example"}', 415, "charset"),
        (JSON, b'{"service_url": "ws://a.example/\\ud800"}', 400, "lone surrogate"),
        (JSON, b"[" * 50_000 + b"]" * 50_000, 400, "nested more than"),
        (JSON, b'{"a":' * 30 + b"1" + b"}" * 30, 400, "nested more than"),
        (JSON, b'{"service_url": "ws://a.example"', 400, "not valid JSON"),
        (JSON, b'["service_url"]', 400, "JSON object"),
        (JSON, b'{"service_url": 42}', 400, "service_url must be a string"),
        (JSON, b'{"service_url": "ws://a.example", "bidirectional": [true]}', 400, "bidirect"),
    ],
)
async def test_malformed_start_bodies_get_a_plivo_shaped_4xx(
    sim: Simulator,
    http: httpx.AsyncClient,
    content_type: str,
    body: bytes,
    status: int,
    text: str,
) -> None:
    response = await http.post(
        stream_path(sim), content=body, headers={"Content-Type": content_type}
    )
    assert_plivo_error(response, status, text)
    assert sim.state.streams == {}
    assert sim.stats.statuses[status] == 1  # counted like any other answer


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "timeout",
    [
        "9" * 400,
        int("9" * 400),
        2**63,
        1e300,
        "0" * 5000 + "1" * 5000,
    ],
)
async def test_absurd_stream_timeout_is_refused(
    sim: Simulator, http: httpx.AsyncClient, timeout: object
) -> None:
    if isinstance(timeout, int | float):  # a JSON number, written out in full
        number = repr(timeout).encode()
        content = b'{"service_url": "ws://a.example", "stream_timeout": %s}' % number
        response = await http.post(
            stream_path(sim), content=content, headers={"Content-Type": JSON}
        )
    else:
        form = {"service_url": "ws://a.example", "stream_timeout": timeout}
        response = await http.post(stream_path(sim), data=form)
    assert_plivo_error(response, 400, "stream_timeout must be at most")
    assert sim.state.streams == {}


@pytest.mark.asyncio
async def test_a_timeout_longer_than_any_loop_timer_still_starts_and_stops(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    """The largest accepted timeout: the stream starts (on the qasync loop, whose timers
    overflow past about 24.8 days) and stays stoppable."""
    body = {"service_url": "ws://a.example", "stream_timeout": 2**63 - 1}
    started = await http.post(stream_path(sim), json=body)
    assert started.status_code == 201, started.text
    stream_id = started.json()["stream_id"]
    record = sim.stream(stream_id)
    await wait_for(lambda: record.status == "in-progress", what="the stream to start")
    await asyncio.sleep(0.05)  # a timer that overflowed would have ended it by now
    assert record.status == "in-progress" and record.end_reason == ""
    stopped = await http.delete(stream_path(sim) + f"{stream_id}/")
    assert stopped.status_code == 204 and record.end_reason == "api_request"


@pytest.mark.asyncio
async def test_bodies_too_large_declared_or_streamed_get_413(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    big = b'{"service_url": "ws://a.example", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    declared = await http.post(stream_path(sim), content=big, headers={"Content-Type": JSON})
    assert_plivo_error(declared, 413, "too large")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 100_000

    streamed = await http.post(stream_path(sim), content=chunks(), headers={"Content-Type": JSON})
    assert_plivo_error(streamed, 413, "too large")
    admin = await http.post("/_sim/calls", content=big, headers={"Content-Type": JSON})
    assert_plivo_error(admin, 413, "too large")
    assert (await http.get(f"{ACCOUNT}/Call/", params={"status": "live"})).status_code == 200


@pytest.mark.asyncio
async def test_content_encodings_broken_unknown_or_bombs(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    def post(body: bytes, encoding: str) -> Awaitable[httpx.Response]:
        headers = {"Content-Type": JSON, "Content-Encoding": encoding}
        return http.post(stream_path(sim), content=body, headers=headers)

    assert_plivo_error(await post(b"not gzip at all", "gzip"), 400, "not valid gzip data")
    truncated = gzip.compress(b'{"service_url": "ws://a.example"}')[:-12]
    assert_plivo_error(await post(truncated, "gzip"), 400, "not valid gzip data")
    assert_plivo_error(await post(b"{}", "br"), 415, "Unsupported content encoding")
    bomb = gzip.compress(b" " * (50 * 1024 * 1024))  # 50 KB that inflate to 50 MB
    assert len(bomb) < 100_000
    assert_plivo_error(await post(bomb, "gzip"), 413, "too large")
    assert sim.state.streams == {}
    gzipped = gzip.compress(b'{"service_url": "ws://a.example/gzip"}')
    assert (await post(gzipped, "gzip")).status_code == 201
    deflated = zlib.compress(b'{"service_url": "ws://a.example/deflate"}')
    assert (await post(deflated, "deflate")).status_code == 201


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "path", "body", "status", "text"),
    [
        ("POST", "/_sim/calls", b'{"from_number": 5}', 400, "from_number must be a string"),
        ("POST", "/_sim/calls", b'{"to": ["+1"]}', 400, "to must be a string"),
        ("POST", "/_sim/calls", b'{"direction": "sideways"}', 400, "direction"),
        ("POST", "/_sim/calls", b'{"call_uuid": "x"}', 400, "unknown call field"),
        ("POST", "/_sim/calls", b'{"queued": "no"}', 400, "queued must be"),
        ("POST", "/_sim/calls", b'{"auth_id": ["x"]}', 400, ""),
        ("POST", "/_sim/calls", b'{"count": 1e999}', 400, "count"),
        ("PATCH", "/_sim/faults", b'{"retry_after": 1e999}', 400, "retry_after"),
        ("PATCH", "/_sim/faults", b'{"retry_after": "1\\r\\nX-Evil: 1"}', 400, "retry_after"),
        ("PATCH", "/_sim/faults", b'{"latency_s": NaN}', 400, "latency_s"),
        ("PATCH", "/_sim/faults", b'{"latency_s": "Infinity"}', 400, "latency_s"),
        ("PATCH", "/_sim/faults", b'{"stall_s": 1e12}', 400, "stall_s"),
        ("PATCH", "/_sim/faults", b'{"error_status": Infinity}', 400, "error_status"),
        ("PATCH", "/_sim/faults", b'{"kinds": "start_stream"}', 400, "kinds"),
        ("PATCH", "/_sim/faults", b'{"kinds": ' + b"[" * 25 + b"]" * 25 + b"}", 400, "nested"),
        ("PATCH", "/_sim/faults", b'{"\\udfff": 1}', 400, "lone surrogate"),
        ("PUT", "/_sim/faults", b"\xff\xfe\x00", 400, "not valid UTF-8"),
        ("POST", "/_sim/streams/x/drop", b"", 404, "not found"),
        ("GET", "/_sim/media-sink", b"", 400, "WebSocket"),
        ("GET", "/not/a/route", b"", 404, "Resource not found"),
        ("PATCH", "/_sim/stats", b"", 405, "Method not allowed"),
    ],
)
async def test_admin_and_other_routes_answer_bad_input_in_plivo_shape(
    sim: Simulator,
    http: httpx.AsyncClient,
    method: str,
    path: str,
    body: bytes,
    status: int,
    text: str,
) -> None:
    before = len(sim.state.calls)
    response = await http.request(method, path, content=body, headers={"Content-Type": JSON})
    assert_plivo_error(response, status, text)
    assert len(sim.state.calls) == before
    assert sim.faults.as_dict() == type(sim.faults)().as_dict()  # nothing half-applied
    # The filtered list that a non-string number used to break still answers.
    listed = await http.get(f"{ACCOUNT}/Call/", params={"status": "live", "from_number": "1"})
    assert listed.status_code == 200


@pytest.mark.asyncio
async def test_a_bad_fault_setting_changes_nothing(sim: Simulator, http: httpx.AsyncClient) -> None:
    refused = await http.patch("/_sim/faults", json={"error_rate": 1.0, "latency_s": -1})
    assert_plivo_error(refused, 400, "latency_s")
    assert sim.faults.error_rate == 0.0


# ---- held-open and slowloris connections ------------------------------------------------------


@pytest_asyncio.fixture
async def strict_sim() -> AsyncIterator[Simulator]:
    sim = Simulator(quiet_config(idle_timeout_s=0.6, body_timeout_s=0.6))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def port_of(sim: Simulator) -> int:
    return int(sim.base_url.rsplit(":", 1)[1])


async def closed_within(reader: asyncio.StreamReader, deadline_s: float) -> bytes:
    """Everything the server sends until it closes the connection; fails past the deadline."""
    return await asyncio.wait_for(reader.read(), deadline_s)


@pytest.mark.asyncio
async def test_silent_connection_is_closed_at_the_idle_deadline(strict_sim: Simulator) -> None:
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(strict_sim))
    opened = loop.time()
    try:
        assert await closed_within(reader, 5.0) == b""
        assert loop.time() - opened >= 0.5  # closed by the deadline, not at once
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_slowloris_request_head_is_cut_off(strict_sim: Simulator) -> None:
    """Half a request line, then one header byte every 0.1 s: the connection is closed at the
    idle deadline (0.6 s here, 15 s by default) however steadily the bytes trickle in."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(strict_sim))
    opened = loop.time()
    writer.write(b"GET /v1/Account/" + DEMO_AUTH_ID.encode())
    trickle = b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    closed = asyncio.ensure_future(reader.read())
    try:
        for byte in trickle:
            if closed.done():
                break
            writer.write(bytes([byte]))
            await asyncio.sleep(0.1)
        assert await asyncio.wait_for(closed, 5.0) == b""  # no answer, just closed
        assert 0.5 <= loop.time() - opened < 5.0
    finally:
        closed.cancel()
        writer.close()
    # Meanwhile and afterwards, normal requests are served.
    async with httpx.AsyncClient(base_url=strict_sim.base_url + ACCOUNT, auth=AUTH) as http:
        assert (await http.get("/Call/", params={"status": "live"})).status_code == 200


def start_head_and_part_of_its_body(call: str) -> bytes:
    """A signed-in start request whose head promises 100 bytes of body, and the first few."""
    head = (
        f"POST {ACCOUNT}/Call/{call}/Stream/ HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Basic {b64encode(':'.join(AUTH).encode()).decode()}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    return head.encode() + b'{"service_url": '


@pytest.mark.asyncio
async def test_body_that_never_arrives_gets_408_and_the_socket_is_closed(
    strict_sim: Simulator,
) -> None:
    call = strict_sim.live_call_uuids()[0]
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(strict_sim))
    writer.write(start_head_and_part_of_its_body(call))
    try:
        answer = await closed_within(reader, 5.0)  # the whole answer, then EOF
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 408"), answer
    assert b'"error": "Request body not received in time"' in rest
    assert strict_sim.state.streams == {}


@pytest.mark.asyncio
async def test_a_client_that_leaves_mid_body_is_not_an_error(
    strict_sim: Simulator, errors: Records
) -> None:
    """A client gone before its body arrived (an account switched, a window closed) is
    ordinary: no error with a traceback, no stream started, and the next client is served."""
    call = strict_sim.live_call_uuids()[0]
    served = strict_sim.stats.total
    _reader, writer = await asyncio.open_connection("127.0.0.1", port_of(strict_sim))
    writer.write(start_head_and_part_of_its_body(call))
    await wait_for(lambda: strict_sim.stats.total > served, what="the request to arrive")
    writer.transport.abort()  # gone, mid-body
    async with httpx.AsyncClient(base_url=strict_sim.base_url + ACCOUNT, auth=AUTH) as http:
        assert (await http.get("/Call/", params={"status": "live"})).status_code == 200
    assert strict_sim.state.streams == {}
    assert [r.getMessage() for r in errors.records] == []


# ---- a background task that dies ends its stream ----------------------------------------------


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    rec = await CallbackReceiver().start()
    try:
        yield rec
    finally:
        await rec.stop()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # A copy: the console's log file handler (root) redacts records in place and drops
        # exc_info after formatting it, and the same record object reaches it after us.
        self.records.append(logging.makeLogRecord(record.__dict__.copy()))


@pytest.fixture
def errors() -> Iterator[Records]:
    """ERROR records of the simulator's loggers, caught by a handler of our own (pytest's
    capture depends on levels other tests may have set)."""
    logger = logging.getLogger("console.simulator")
    handler, level = Records(), logger.level
    handler.setLevel(logging.ERROR)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.asyncio
async def test_media_task_that_dies_ends_the_stream_with_droppedstream(
    monkeypatch: pytest.MonkeyPatch,
    receiver: CallbackReceiver,
    errors: Records,
) -> None:
    def broken_frames(*args: object) -> list[str]:
        raise ArithmeticError("injected fault in the audio builder")

    monkeypatch.setattr(media_module.audio, "frames", broken_frames)
    sim = Simulator(quiet_config(media=True))
    service = await WsService().start()
    await sim.start()
    try:
        async with httpx.AsyncClient(base_url=sim.base_url + ACCOUNT, auth=AUTH) as http:
            body = {
                "service_url": service.ws_url + "/a",
                "status_callback_url": receiver.base_url + "/cb",
            }
            started = await http.post(f"/Call/{sim.live_call_uuids()[0]}/Stream/", json=body)
            assert started.status_code == 201
        record = sim.stream(started.json()["stream_id"])
        await wait_for(lambda: not record.active, what="the stream to end")
        await wait_for(lambda: "DroppedStream" in receiver.events(), what="DroppedStream")
    finally:
        await sim.stop()
        await service.stop()
    assert (record.status, record.end_reason) == ("failed", "internal_error")
    dropped = next(c for c in receiver.received if c.params["Event"] == "DroppedStream")
    assert "internal simulator error" in dropped.params["Error"]
    assert "injected fault in the audio builder" in dropped.params["Error"]
    assert receiver.events() == ["StartStream", "DroppedStream"]
    assert any("simulator fault" in r.getMessage() and r.exc_info for r in errors.records)


@pytest.mark.asyncio
async def test_start_timer_that_dies_ends_the_stream(
    sim: Simulator,
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    errors: Records,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OverflowError("injected: timer out of range")

    monkeypatch.setattr(sim.engine, "_arm_timeout", broken)
    started = await http.post(stream_path(sim), json={"service_url": "ws://a.example"})
    record = sim.stream(started.json()["stream_id"])
    await wait_for(lambda: not record.active, what="the stream to end")
    assert (record.status, record.end_reason) == ("failed", "internal_error")
    assert any("injected: timer out of range" in str(r.exc_info) for r in errors.records)
    shown = (await http.get(stream_path(sim) + f"{record.stream_id}/")).json()
    assert shown["status"] == "failed" and shown["end_time"]


@pytest.mark.asyncio
async def test_callback_that_cannot_be_sent_is_counted_and_logged(
    sim: Simulator,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    monkeypatch: pytest.MonkeyPatch,
    errors: Records,
) -> None:
    from console.simulator import callbacks

    real_sign = callbacks.sign_request

    def broken(*args: object, **kwargs: object) -> object:
        raise LookupError("injected: signing failed")

    monkeypatch.setattr(callbacks, "sign_request", broken)
    body = {"service_url": "ws://a.example/1", "status_callback_url": receiver.base_url + "/cb"}
    await http.post(stream_path(sim), json=body)
    await wait_for(lambda: sim.stats.callbacks_failed == 1, what="the failure to be counted")
    assert any("could not be sent" in r.getMessage() for r in errors.records)
    monkeypatch.setattr(callbacks, "sign_request", real_sign)
    body["service_url"] = "ws://a.example/2"
    await http.post(stream_path(sim), json=body)
    await wait_for(lambda: receiver.events() == ["StartStream"], what="the next callback")


@pytest.mark.asyncio
async def test_churn_survives_a_tick_that_raises(
    monkeypatch: pytest.MonkeyPatch, errors: Records
) -> None:
    sim = Simulator(quiet_config(churn=True, churn_tick_s=0.01))
    ticks: list[int] = []
    real_tick = sim.engine._churn_tick

    def flaky_tick() -> None:
        ticks.append(1)
        if len(ticks) == 1:
            raise KeyError("injected: one bad call")
        real_tick()

    monkeypatch.setattr(sim.engine, "_churn_tick", flaky_tick)
    await sim.start()
    try:
        await wait_for(lambda: len(ticks) >= 5, what="churn to keep ticking")
    finally:
        await sim.stop()
    assert any("churn tick failed" in r.getMessage() for r in errors.records)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "garbage",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,  # a TLS hello
        b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"zz\r\nabc\r\n0\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 20_000 + b"\r\n\r\n",
    ],
)
async def test_bytes_that_are_not_http_get_a_400_and_one_warning_line(
    sim: Simulator, garbage: bytes
) -> None:
    """Below the routes, aiohttp's parser answers what is not HTTP at all with its own plain
    400 and closes the socket (as a load balancer in front of Plivo would); logged as one
    warning line, never an error with a traceback."""
    server_log, seen = logging.getLogger("aiohttp.server"), Records()
    server_log.addHandler(seen)
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(sim))
    writer.write(garbage)
    try:
        answer = await closed_within(reader, 5.0)
    finally:
        writer.close()
        server_log.removeHandler(seen)
    assert answer.startswith((b"HTTP/1.0 400", b"HTTP/1.1 400")), answer[:200]
    # At most a warning line (aiohttp's own debug record, with a traceback, is for debugging).
    loud = [r for r in seen.records if r.levelno >= logging.ERROR]
    loud += [r for r in seen.records if r.levelno >= logging.WARNING and r.exc_info]
    assert loud == []
    async with httpx.AsyncClient(base_url=sim.base_url + ACCOUNT, auth=AUTH) as http:
        assert (await http.get("/Call/", params={"status": "live"})).status_code == 200
