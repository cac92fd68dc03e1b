"""Property tests: the validator never raises, and requests round-trip through the form and
through JSON."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.extra_headers import parse_extra_headers
from console.domain.stream_params import AudioTrack, CallbackMethod, ContentType
from console.domain.stream_request import StreamRequest
from console.domain.stream_rules import (
    StreamFormInput,
    Target,
    build_stream_request,
    validate_stream_request,
)

# Any character, unpaired surrogates included (Qt can hand those over from a paste).
URL_ALPHABET = (
    st.characters()
    | st.characters(categories=["Cs"])
    | st.sampled_from(list(":/[]@#?%.-_~ \t\"'\\"))
)
urlish = st.one_of(
    st.text(URL_ALPHABET, max_size=60),
    st.builds(
        lambda scheme, host, rest: f"{scheme}{host}{rest}",
        st.sampled_from(["wss://", "ws://", "https://", "http://", "", "wss:", "WSS://"]),
        st.one_of(
            st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z0-9-]{1,10}){0,3}", fullmatch=True),
            st.ip_addresses().map(lambda ip: f"[{ip}]" if ip.version == 6 else str(ip)),
            st.sampled_from(["localhost", "127.1", "0x7f.1", "2130706433", "[::1", "256.0.0.1"]),
        ),
        st.text(URL_ALPHABET, max_size=20),
    ),
)
headerish = st.one_of(
    st.text(st.characters() | st.characters(categories=["Cs"]), max_size=80),
    st.lists(
        st.tuples(st.text("abcAB12=-é ", max_size=6), st.text("xyzXY9=,é ", max_size=6)),
        max_size=6,
    ).map(lambda pairs: ",".join(f"{k}={v}" for k, v in pairs)),
    st.integers(0, 700).map(lambda n: "k=" + "v" * n),
)
timeoutish = st.one_of(
    st.text(max_size=12),
    st.integers().map(str),
    st.sampled_from(["", "0", "-1", "86400", "2147483647", "2147483648", "9" * 5000, "1.5"]),
)
raw_forms = st.builds(
    StreamFormInput,
    service_url=urlish,
    bidirectional=st.booleans(),
    audio_track=st.one_of(st.sampled_from([t.value for t in AudioTrack]), st.text(max_size=8)),
    stream_timeout=timeoutish,
    status_callback_url=st.one_of(st.just(""), urlish),
    status_callback_method=st.one_of(st.sampled_from(["GET", "POST"]), st.text(max_size=5)),
    content_type=st.one_of(st.sampled_from([c.value for c in ContentType]), st.text(max_size=8)),
    extra_headers=headerish,
)
anything: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=20),
    st.floats(),
    st.binary(max_size=4),
)


@settings(max_examples=400, deadline=None)
@given(raw=raw_forms, target=st.sampled_from(Target))
def test_build_never_raises_and_is_consistent(raw: StreamFormInput, target: Target) -> None:
    report, request = build_stream_request(raw, target=target)
    assert (request is not None) == report.ok
    for problem in report.problems:
        assert problem.message and problem.code.startswith(problem.field + ".")
    if request is not None:
        # What the form accepts, the gate accepts too, and the body is valid JSON.
        assert validate_stream_request(request, target=target).ok
        assert json.loads(json.dumps(request.to_body())) == request.to_body()
        if request.extra_headers is not None:
            assert parse_extra_headers(request.extra_headers).byte_count <= 512


@settings(max_examples=300, deadline=None)
@given(
    service_url=anything | urlish,
    bidirectional=anything,
    audio_track=anything | st.sampled_from(AudioTrack),
    stream_timeout=anything | st.integers(min_value=-(10**6000), max_value=10**6000),
    status_callback_url=anything | urlish,
    status_callback_method=anything | st.sampled_from(CallbackMethod),
    content_type=anything | st.sampled_from(ContentType),
    extra_headers=anything | headerish,
    target=st.sampled_from(Target),
)
def test_gate_never_raises_on_any_values(target: Target, **fields: Any) -> None:
    report = validate_stream_request(StreamRequest(**fields), target=target)
    assert isinstance(report.ok, bool)


valid_requests = st.builds(
    StreamRequest,
    service_url=st.from_regex(r"wss://[a-z]{1,10}\.example\.com(/[a-z0-9]{0,8})?", fullmatch=True),
    bidirectional=st.none() | st.booleans(),
    audio_track=st.none() | st.sampled_from(AudioTrack),
    stream_timeout=st.none() | st.integers(1, 2_147_483_647),
    status_callback_url=st.none()
    | st.from_regex(r"https://cb\.example\.com/[a-z]{0,8}", fullmatch=True),
    status_callback_method=st.none() | st.sampled_from(CallbackMethod),
    content_type=st.none() | st.sampled_from(ContentType),
    extra_headers=st.none()
    | st.dictionaries(
        st.from_regex(r"[A-Za-z0-9]{1,6}", fullmatch=True),
        st.from_regex(r"[A-Za-z0-9]{1,6}", fullmatch=True),
        min_size=1,
        max_size=5,
    ).map(lambda d: ",".join(f"{k}={v}" for k, v in d.items())),
).filter(lambda r: not (r.bidirectional and r.audio_track not in (None, AudioTrack.INBOUND)))


@settings(max_examples=300, deadline=None)
@given(request=valid_requests)
def test_round_trip_through_the_form(request: StreamRequest) -> None:
    report, rebuilt = build_stream_request(
        StreamFormInput.from_request(request), target=Target.PLIVO
    )
    assert report.ok, report.problems
    assert rebuilt == request.without_defaults()


@settings(max_examples=300, deadline=None)
@given(request=valid_requests)
def test_round_trip_through_json(request: StreamRequest) -> None:
    body = json.loads(json.dumps(request.to_body()))
    assert StreamRequest.from_body(body) == request
