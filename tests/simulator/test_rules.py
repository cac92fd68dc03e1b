"""The simulator's server-side start-stream rules, one case per documented rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.stream_params import AudioTrack, CallbackMethod, ContentType
from console.simulator.rules import RuleError, StartParams, check_start

WS = "wss://agent.example.com/audio"


def test_defaults_apply_when_only_the_url_is_given() -> None:
    assert check_start({"service_url": WS}) == StartParams(
        service_url=WS,
        bidirectional=False,
        audio_track=AudioTrack.INBOUND,
        stream_timeout=86400,
        status_callback_url="",
        status_callback_method=CallbackMethod.POST,
        content_type=ContentType.L16_8K,
        extra_headers="",
    )


def test_every_field_set_and_sdk_extras_ignored() -> None:
    params = check_start(
        {
            "service_url": "ws://127.0.0.1:8765/x?y=1",
            "bidirectional": True,
            "audio_track": "inbound",
            "stream_timeout": 60,
            "status_callback_url": "https://cb.example.com/status?a=b",
            "status_callback_method": "get",
            "content_type": "audio/x-mulaw;rate=8000",
            "extra_headers": "agent=42,queue=sales",
            "call_uuid": "ignored",
            "cx_bot": False,
        }
    )
    assert params.bidirectional is True
    assert params.stream_timeout == 60
    assert params.status_callback_method is CallbackMethod.GET
    assert params.content_type is ContentType.MULAW_8K
    assert params.extra_headers == "agent=42,queue=sales"


def test_form_strings_are_read_leniently() -> None:
    params = check_start({"service_url": WS, "bidirectional": "TRUE", "stream_timeout": "30"})
    assert params.bidirectional is True and params.stream_timeout == 30


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://example.com/audio",
        "https://example.com/audio",
        "ftp://example.com",
        "ws://",
        "ws:///path",
        "example.com/audio",
        "ws://exa mple.com/",
        "ws://example.com/\n",
        "ws://example.com:99999/",
        "ws://example.com:port/",
    ],
)
def test_service_url_must_be_a_qualified_ws_url(url: str) -> None:
    with pytest.raises(RuleError, match="service_url"):
        check_start({"service_url": url})


def test_service_url_missing_or_not_text() -> None:
    with pytest.raises(RuleError, match="service_url is required"):
        check_start({})
    with pytest.raises(RuleError, match="service_url must be a string"):
        check_start({"service_url": 42})


@pytest.mark.parametrize("track", ["outbound", "both"])
def test_bidirectional_allows_only_inbound(track: str) -> None:
    with pytest.raises(RuleError, match="inbound when bidirectional"):
        check_start({"service_url": WS, "bidirectional": True, "audio_track": track})
    assert check_start({"service_url": WS, "audio_track": track}).audio_track == track


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("bidirectional", "yes", "bidirectional"),
        ("bidirectional", 1, "bidirectional"),
        ("audio_track", "Inbound", "audio_track"),
        ("audio_track", "all", "audio_track"),
        ("stream_timeout", 0, "stream_timeout"),
        ("stream_timeout", -5, "stream_timeout"),
        ("stream_timeout", 1.5, "stream_timeout"),
        ("stream_timeout", True, "stream_timeout"),
        ("stream_timeout", "10s", "stream_timeout"),
        ("status_callback_url", "ws://cb.example.com", "status_callback_url"),
        ("status_callback_url", "not a url", "status_callback_url"),
        ("status_callback_method", "PUT", "status_callback_method"),
        ("content_type", "audio/x-l16;rate=44100", "content_type"),
        ("content_type", "audio/x-l16; rate=8000", "content_type"),
        ("content_type", "audio/x-alaw;rate=8000", "content_type"),
    ],
)
def test_documented_value_rules(field: str, value: object, match: str) -> None:
    with pytest.raises(RuleError, match=match):
        check_start({"service_url": WS, field: value})


@pytest.mark.parametrize(
    "headers",
    [
        "a=1,b",
        "a=1,,b=2",
        "a=1,",
        "=1",
        "a=",
        "a-b=1",
        "a=1;b=2",
        "a=hello world",
        "a=ü",
        "a=1=2",
    ],
)
def test_extra_headers_must_be_alphanumeric_pairs(headers: str) -> None:
    with pytest.raises(RuleError, match="extra_headers"):
        check_start({"service_url": WS, "extra_headers": headers})


def test_extra_headers_limit_is_512_bytes() -> None:
    value = "k=" + "v" * 510
    assert len(value) == 512
    assert check_start({"service_url": WS, "extra_headers": value}).extra_headers == value
    with pytest.raises(RuleError, match="512 bytes"):
        check_start({"service_url": WS, "extra_headers": value + "v"})


def test_empty_optional_strings_mean_unset() -> None:
    params = check_start({"service_url": WS, "status_callback_url": "", "extra_headers": ""})
    assert params.status_callback_url == "" and params.extra_headers == ""


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = (
    "service_url",
    "bidirectional",
    "audio_track",
    "stream_timeout",
    "status_callback_url",
    "status_callback_method",
    "content_type",
    "extra_headers",
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=8),
    st.sampled_from(["ws://a.example/x", "wss://b.example", None]),
)
def test_any_body_gets_params_or_a_rule_error(body: dict[str, object], url: str | None) -> None:
    """Whatever a client sends, the answer is parameters or a 400 text: never a crash."""
    if url is not None:
        body = {**body, "service_url": url}
    try:
        params = check_start(body)
    except RuleError as exc:
        assert str(exc)
        return
    assert params.service_url.lower().startswith(("ws://", "wss://"))
    assert params.stream_timeout > 0
    assert not (params.bidirectional and params.audio_track is not AudioTrack.INBOUND)
