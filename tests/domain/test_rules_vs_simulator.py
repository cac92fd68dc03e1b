"""The validator against the simulator's server-side rules, over real HTTP: on a table of tricky
cases the report matches the simulator's answer, and two properties hold for any input:
whatever the validator accepts the simulator accepts, and whatever the simulator refuses with a
400 for a parameter reason the validator refuses first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.domain.stream_params import AudioTrack, CallbackMethod, ContentType
from console.domain.stream_request import StreamRequest
from console.domain.stream_rules import (
    StreamFormInput,
    Target,
    build_stream_request,
    validate_stream_request,
)
from tests.domain.test_stream_rules_properties import raw_forms
from tests.domain.threaded_simulator import ThreadedSimulator

# A 400 that is about the call's state, not about a parameter.
NOT_A_PARAMETER_REASON = "An active stream already exists"


def post(http: httpx.Client, sim: ThreadedSimulator, body: dict[str, Any]) -> httpx.Response:
    return http.post(f"/Call/{sim.new_call()}/Stream/", json=body)


# (case, form input, validator accepts?, simulator status). Where the validator is stricter
# than the server, the reason is given: Plivo documents those rules or Plivo's servers could
# not honour the request, and refusing early costs the agent nothing.
U = "wss://stream.example.com/audio"
CASES: list[tuple[str, StreamFormInput, bool, int]] = [
    ("defaults", StreamFormInput(U), True, 201),
    ("ws is only a warning", StreamFormInput("ws://stream.example.com/a"), True, 201),
    ("loopback is fine for the simulator", StreamFormInput("ws://127.0.0.1:9/a"), True, 201),
    ("https scheme", StreamFormInput("https://stream.example.com"), False, 400),
    ("no scheme", StreamFormInput("stream.example.com/audio"), False, 400),
    ("no host", StreamFormInput("wss:///audio"), False, 400),
    ("space inside", StreamFormInput("wss://stream.example.com/a b"), False, 400),
    ("bad port", StreamFormInput("wss://stream.example.com:99999/"), False, 400),
    ("bidirectional inbound", StreamFormInput(U, bidirectional=True), True, 201),
    ("bidirectional both", StreamFormInput(U, bidirectional=True, audio_track="both"), False, 400),
    ("outbound", StreamFormInput(U, audio_track="outbound"), True, 201),
    ("timeout 1", StreamFormInput(U, stream_timeout="1"), True, 201),
    ("timeout 0", StreamFormInput(U, stream_timeout="0"), False, 400),
    ("callback ws", StreamFormInput(U, status_callback_url="ws://cb.example.com"), False, 400),
    ("callback https", StreamFormInput(U, status_callback_url="https://cb.example.com"), True, 201),
    ("method GET", StreamFormInput(U, status_callback_method="GET"), True, 201),
    ("mulaw", StreamFormInput(U, content_type="audio/x-mulaw;rate=8000"), True, 201),
    ("headers ok", StreamFormInput(U, extra_headers="a=1,B2=x9"), True, 201),
    ("headers 512 bytes", StreamFormInput(U, extra_headers="k=" + "v" * 510), True, 201),
    ("headers 513 bytes", StreamFormInput(U, extra_headers="k=" + "v" * 511), False, 400),
    ("headers ,,", StreamFormInput(U, extra_headers="k=v,,k2=v2"), False, 400),
    ("headers dash", StreamFormInput(U, extra_headers="user-id=7"), False, 400),
    ("headers unicode", StreamFormInput(U, extra_headers="k=é"), False, 400),
    # Stricter than the server, on purpose:
    ("fragment (RFC 6455 forbids it)", StreamFormInput(U + "#x"), False, 201),
    ("quote must be encoded (RFC 3986)", StreamFormInput(U + '?q="x"'), False, 201),
    ("timeout beyond the SDKs' int32", StreamFormInput(U, stream_timeout="2147483648"), False, 201),
    ("duplicate keys (ambiguous)", StreamFormInput(U, extra_headers="a=1,a=2"), False, 201),
    (
        "URL over 2,048 characters (browsers' limit)",
        StreamFormInput(U + "/" + "a" * 2048),
        False,
        201,
    ),
]


@pytest.mark.parametrize(("case", "raw", "accepted", "status"), CASES, ids=[c[0] for c in CASES])
def test_report_matches_the_simulator(
    threaded_sim: ThreadedSimulator,
    sim_http: httpx.Client,
    case: str,
    raw: StreamFormInput,
    accepted: bool,
    status: int,
) -> None:
    report = build_stream_request(raw, target=Target.SIMULATOR)[0]
    assert report.ok is accepted, report.problems
    # Post what the form would send (trimmed), or the raw values when it refuses to build.
    body: dict[str, Any] = {"service_url": raw.service_url.strip()}
    for field in ("audio_track", "status_callback_url", "extra_headers", "content_type"):
        body[field] = getattr(raw, field) or None
    body["bidirectional"] = raw.bidirectional
    body["status_callback_method"] = raw.status_callback_method
    if raw.stream_timeout:
        body["stream_timeout"] = int(raw.stream_timeout)
    response = post(sim_http, threaded_sim, {k: v for k, v in body.items() if v is not None})
    assert response.status_code == status, response.text


def _check(sim: ThreadedSimulator, http: httpx.Client, request: StreamRequest) -> None:
    report = validate_stream_request(request, target=Target.SIMULATOR)
    response = post(http, sim, request.to_body())
    if report.ok:
        assert response.status_code == 201, (request, response.text)
    if response.status_code == 400 and NOT_A_PARAMETER_REASON not in response.text:
        assert not report.ok, (request, response.text)


# Forms that are mostly valid but use every corner the rules allow, so the property is tested
# on many accepted requests (plain arbitrary text is almost always refused).
hosts = st.one_of(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda ip: f"[{ip}]"),
    st.sampled_from(["localhost", "127.1", "bücher.example", "UPPER.Example.COM"]),
)
url_tails = st.lists(
    st.sampled_from([*"abcXYZ019-._~!$&'()*+,;=:@/?", "é", "%20", "%2F"]), max_size=25
).map("".join)
leaning_forms = st.builds(
    StreamFormInput,
    service_url=st.builds(
        lambda scheme, host, port, tail, pad: f"{pad}{scheme}://{host}{port}/{tail}{pad}",
        st.sampled_from(["wss", "ws", "WSS"]),
        hosts,
        st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}")),
        url_tails,
        st.sampled_from(["", " ", "\n"]),
    ),
    bidirectional=st.booleans(),
    audio_track=st.sampled_from(["inbound", "inbound", "outbound", "both"]),
    stream_timeout=st.one_of(
        st.just(""),
        st.integers(1, 2_147_483_647).map(str),
        st.integers(1, 99).map(lambda n: f" 00{n} "),
    ),
    status_callback_url=st.one_of(
        st.just(""),
        st.builds(lambda h, t: f"https://{h}/{t}", hosts, url_tails),
        st.just("http://cb.example.com/s#ct=2000"),
    ),
    status_callback_method=st.sampled_from(["GET", "POST"]),
    content_type=st.sampled_from([c.value for c in ContentType]),
    extra_headers=st.one_of(
        st.just(""),
        st.lists(
            st.tuples(
                st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True),
                st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True),
            ),
            max_size=8,
        ).map(lambda pairs: ",".join(f"{k}={v}" for k, v in pairs)),
        st.integers(505, 515).map(lambda n: "k=" + "v" * (n - 2)),
    ),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=st.one_of(leaning_forms, raw_forms))
def test_what_the_form_accepts_the_simulator_accepts(
    threaded_sim: ThreadedSimulator, sim_http: httpx.Client, raw: StreamFormInput
) -> None:
    request = build_stream_request(raw, target=Target.SIMULATOR)[1]
    if request is not None:
        _check(threaded_sim, sim_http, request)


def test_the_leaning_strategy_mostly_builds_requests() -> None:
    """Guards the property above against passing vacuously."""
    built = []

    @settings(max_examples=200, deadline=None)
    @given(raw=leaning_forms)
    def sample(raw: StreamFormInput) -> None:
        built.append(build_stream_request(raw, target=Target.SIMULATOR)[1] is not None)

    sample()
    assert sum(built) > len(built) // 3, f"{sum(built)} of {len(built)} built"


json_scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.text(max_size=12)
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    request=st.builds(
        StreamRequest,
        service_url=st.one_of(
            st.text(max_size=30),
            st.sampled_from(["wss://s.example.com", "ws://127.0.0.1:1/", "WSS://x.example"]),
        ),
        bidirectional=json_scalars,
        audio_track=json_scalars | st.sampled_from(AudioTrack),
        stream_timeout=json_scalars,
        status_callback_url=json_scalars | st.just("https://cb.example.com/x"),
        status_callback_method=json_scalars | st.sampled_from(CallbackMethod),
        content_type=json_scalars | st.sampled_from(ContentType),
        extra_headers=json_scalars | st.sampled_from(["a=1", "a=1,b=2", " a=1", "a=1,"]),
    )
)
def test_what_the_simulator_refuses_the_gate_refuses_first(
    threaded_sim: ThreadedSimulator, sim_http: httpx.Client, request: StreamRequest
) -> None:
    _check(threaded_sim, sim_http, request)
