"""Fuzzing every route of the real simulator over loopback: random methods, paths, queries,
credentials, content types, charsets, content encodings, nesting and value types. Whatever
arrives, the answer is below 500, every error is in Plivo's `{"api_id", "error"}` shape, and a
normal request right after it still succeeds.

The simulator runs in its own thread (a synchronous hypothesis test cannot share the test's
qasync loop). Status callbacks could reach any host a body names, so bodies here only ever name
a loopback callback URL (or none): fuzzing sends nothing beyond this machine. Media is off.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
import zlib
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, SimulatorConfig
from tests.domain.threaded_simulator import ThreadedSimulator

ACC = f"/v1/Account/{DEMO_AUTH_ID}"
REST_ROUTES = [
    ("GET", ACC + "/Call/"),
    ("GET", ACC + "/Call/{call}/"),
    ("POST", ACC + "/Call/{call}/Stream/"),
    ("POST", ACC + "/Call/{call}/Stream"),
    ("GET", ACC + "/Call/{call}/Stream/"),
    ("DELETE", ACC + "/Call/{call}/Stream/"),
    ("GET", ACC + "/Call/{call}/Stream/{stream}/"),
    ("DELETE", ACC + "/Call/{call}/Stream/{stream}/"),
    ("GET", "/v1/Account/{account}/Call/"),
    ("POST", ACC + "/Nothing/{call}/"),
]
ADMIN_ROUTES = [
    ("GET", "/_sim/"),
    ("GET", "/_sim/faults"),
    ("PATCH", "/_sim/faults"),
    ("POST", "/_sim/faults"),
    ("PUT", "/_sim/faults"),
    ("DELETE", "/_sim/faults"),
    ("GET", "/_sim/stats"),
    ("DELETE", "/_sim/stats"),
    ("GET", "/_sim/calls"),
    ("POST", "/_sim/calls"),
    ("DELETE", "/_sim/calls/{call}"),
    ("GET", "/_sim/streams"),
    ("POST", "/_sim/streams/{stream}/drop"),
    ("GET", "/_sim/media-sink"),
    ("GET", "/_sim/media-sink/{call}"),
    ("POST", "/_sim/{call}"),
    ("GET", "/{call}"),
]
STANDARD = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
METHODS = [*STANDARD, "FOO"]
"""aiohttp's parser refuses a method it does not know (a plain 400, before any route runs)."""
KEYS = [
    # start-stream parameters
    "service_url",
    "bidirectional",
    "audio_track",
    "stream_timeout",
    "status_callback_method",
    "content_type",
    "extra_headers",
    # admin: calls and faults
    "count",
    "queued",
    "auth_id",
    "direction",
    "from",
    "from_number",
    "to_number",
    "caller_name",
    "latency_s",
    "error_rate",
    "error_status",
    "fail_next",
    "force_429",
    "retry_after",
    "drop_connection",
    "stall_s",
    "kinds",
]
QUERY_KEYS = ["status", "limit", "offset", "call_direction", "from_number", "to_number"]
REAL = "<real>"
"""Stands for the id of a live call (or its first stream) at the moment the request is sent."""
CALLBACKS = ["", "http://127.0.0.1:9/cb", "https://[::1]:9/x", "ftp://x", 7]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["ws://a.example/x", "wss://b.example", "inbound", "both", "live", "1e999"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
objects = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), json_values, max_size=8)


@st.composite
def payload_objects(draw: st.DrawFn) -> dict[str, object]:
    """Bodies shaped like real ones, with any value type; a callback URL only on loopback."""
    body = draw(objects)
    if draw(st.booleans()):
        body["status_callback_url"] = draw(st.sampled_from(CALLBACKS))
    return body


def deep(n: int) -> bytes:
    return b'{"a":' * n + b"1" + b"}" * n if n % 2 else b"[" * n + b"]" * n


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str | None]:
    """(body bytes, Content-Type header or None)."""
    kind = draw(st.sampled_from(["none", "json", "form", "binary", "deep", "text", "number"]))
    charset = draw(st.sampled_from(["", "utf-8", "latin-1", "utf-16", "nope", "zlib", "UTF-8"]))
    ctype = draw(
        st.sampled_from(
            [
                None,
                "application/json",
                "application/x-www-form-urlencoded",
                "text/plain",
                "multipart/form-data; boundary=x",
                "application/octet-stream",
            ]
        )
        | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
        .map(str.strip)
        .filter(bool)
    )
    if ctype is not None and charset:
        ctype += f"; charset={charset}"
    if kind == "none":
        return b"", ctype
    if kind == "json":
        text = json.dumps(draw(payload_objects() | json_values))
        return text.encode(draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])), "replace"), ctype
    if kind == "form":
        fields = {str(k): str(v) for k, v in draw(payload_objects()).items()}
        return urlencode(fields).encode(), ctype
    if kind == "deep":
        return deep(draw(st.integers(min_value=0, max_value=3000))), ctype
    if kind == "number":
        digits = draw(st.integers(min_value=1, max_value=6000))
        return b'{"service_url": "ws://a.example", "stream_timeout": ' + b"7" * digits + b"}", ctype
    if kind == "text":
        text = draw(st.text(max_size=200))
        return text.encode(draw(st.sampled_from(["utf-8", "utf-16-le", "utf-32"]))), ctype
    raw = draw(st.binary(max_size=600))
    assume(b"callback" not in raw.lower())  # never a status callback to a random host
    return raw, ctype


@st.composite
def requests(draw: st.DrawFn, routes: list[tuple[str, str]]) -> dict[str, object]:
    method, template = draw(st.sampled_from(routes))
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        method = draw(st.sampled_from(METHODS))
    ids = st.sampled_from([REAL, "", "..", "%", "\x00", "ü", "a" * 300]) | st.text(max_size=20)
    accounts = st.sampled_from([DEMO_AUTH_ID, "MAOTHER", "", "SA" + "x" * 18])
    parts = {"call": draw(ids), "stream": draw(ids), "account": draw(accounts)}
    query = draw(
        st.lists(
            st.tuples(st.sampled_from(QUERY_KEYS) | st.text(max_size=5), st.text(max_size=30)),
            max_size=4,
        )
    )
    body, ctype = draw(bodies())
    headers: dict[str, str] = {}
    if ctype is not None:
        headers["Content-Type"] = ctype
    encoding = draw(st.sampled_from([None, None, "gzip", "deflate", "br", "x-nonsense"]))
    if encoding is not None:
        headers["Content-Encoding"] = encoding
        if draw(st.booleans()):
            body = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    auth = draw(
        st.sampled_from(
            [
                (DEMO_AUTH_ID, DEMO_AUTH_TOKEN),
                (DEMO_AUTH_ID, DEMO_AUTH_TOKEN),
                (DEMO_AUTH_ID, "wrong"),
                ("ü\x00", "ÿ"),
                None,
            ]
        )
    )
    return {
        "method": method,
        "template": template,
        "parts": parts,
        "params": query,
        "headers": headers,
        "content": body,
        "auth": auth,
    }


class _ErrorRecords(logging.Handler):
    """Every ERROR the simulator, aiohttp's server or asyncio logs while fuzzing."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def threaded() -> Iterator[ThreadedSimulator]:
    config = SimulatorConfig(
        calls=5,
        queued_calls=1,
        seed=11,
        churn=False,
        media=False,
        rate_limit=False,
        callback_retries=0,
        callback_total_timeout_s=1.0,
    )
    sim = ThreadedSimulator(config)
    errors = _ErrorRecords()
    for name in ("console.simulator", "aiohttp.server", "aiohttp.web", "asyncio"):
        logging.getLogger(name).addHandler(errors)
    sim.errors = errors  # type: ignore[attr-defined]
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
        for name in ("console.simulator", "aiohttp.server", "aiohttp.web", "asyncio"):
            logging.getLogger(name).removeHandler(errors)


@pytest.fixture(scope="module")
def http(threaded: ThreadedSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=threaded.base_url, timeout=15.0) as client:
        yield client


def fire(threaded: ThreadedSimulator, http: httpx.Client, request: dict[str, object]) -> None:
    """Send one fuzzed request, check the answer, then check the simulator still serves."""
    sim = threaded.sim

    def ids() -> tuple[str, str]:
        if not sim.live_call_uuids():
            sim.add_live_calls(2)
        call = sim.live_call_uuids()[0]
        streams = sim.streams_of(call)
        return call, streams[0].stream_id if streams else "no-stream"

    call, stream = threaded.call(ids)
    parts = dict(request["parts"])  # type: ignore[call-overload]
    real = {"call": call, "stream": stream, "account": DEMO_AUTH_ID}
    path = str(request["template"]).format(
        **{k: real[k] if v == REAL else quote(v, safe="") for k, v in parts.items()}
    )
    auth = request["auth"]
    try:
        response = http.request(
            str(request["method"]),
            path,
            params=request["params"],  # type: ignore[arg-type]
            headers=request["headers"],  # type: ignore[arg-type]
            content=request["content"],  # type: ignore[arg-type]
            auth=auth,  # type: ignore[arg-type]
        )
    finally:
        threaded.call(sim.faults.reset)  # a PATCH /_sim/faults lasts for this example only
    assert response.status_code < 500, (request, response.status_code, response.text[:300])
    if response.status_code >= 400 and request["method"] in STANDARD:
        assert response.headers.get("content-type", "").startswith("application/json"), (
            request,
            response.status_code,
            response.text[:300],
        )
        assert set(response.json()) == {"api_id", "error"}
    after = http.get(
        ACC + "/Call/", params={"status": "live"}, auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
    )
    assert after.status_code == 200 and "calls" in after.json(), after.text
    errors: list[logging.LogRecord] = threaded.errors.records  # type: ignore[attr-defined]
    assert not errors, (request, [r.getMessage() for r in errors])


SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.timeout(240)
@SETTINGS
@given(request=requests(REST_ROUTES))
def test_rest_routes_never_answer_5xx_and_keep_serving(
    threaded: ThreadedSimulator, http: httpx.Client, request: dict[str, object]
) -> None:
    fire(threaded, http, request)


@pytest.mark.timeout(240)
@SETTINGS
@given(request=requests(ADMIN_ROUTES))
def test_admin_and_other_routes_never_answer_5xx_and_keep_serving(
    threaded: ThreadedSimulator, http: httpx.Client, request: dict[str, object]
) -> None:
    fire(threaded, http, request)


def test_after_the_fuzzing_no_stream_is_stuck(threaded: ThreadedSimulator) -> None:
    """Runs after the two tests above on the same simulator: every stream they started has
    left "initiated" (media is off: 50 ms) and the engine still runs."""
    sim = threaded.sim

    def initiated() -> list[str]:
        return [s.stream_id for s in sim.state.streams.values() if s.status == "initiated"]

    deadline = time.monotonic() + 5.0
    while threaded.call(initiated) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threaded.call(initiated) == []
    assert threaded.call(lambda: sim.running and sim.engine._running)
