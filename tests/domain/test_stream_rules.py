"""Every documented rule of the start-stream request, good, bad and edge values."""

from __future__ import annotations

import dataclasses

import pytest

from console.domain.stream_params import AudioTrack, CallbackMethod, ContentType
from console.domain.stream_request import StreamRequest
from console.domain.stream_rules import (
    StreamFormInput,
    Target,
    build_stream_request,
    check_form,
    validate_stream_request,
)
from console.domain.validation import Severity

GOOD = StreamFormInput(service_url="wss://stream.example.com/audio")


def problems(target: Target = Target.PLIVO, **changes: object) -> dict[str, Severity]:
    raw = dataclasses.replace(GOOD, **changes)  # type: ignore[arg-type]
    return {p.code: p.severity for p in check_form(raw, target=target).problems}


def test_defaults_with_a_url_are_valid_and_send_only_the_url() -> None:
    report, request = build_stream_request(GOOD, target=Target.PLIVO)
    assert report.problems == ()
    assert request is not None
    assert request.to_body() == {"service_url": "wss://stream.example.com/audio"}


# --- service_url ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", "service_url.required"),
        ("   ", "service_url.required"),
        ("https://stream.example.com", "service_url.scheme"),
        ("stream.example.com/audio", "service_url.scheme"),
        ("ftp://stream.example.com", "service_url.scheme"),
        ("wss:stream.example.com", "service_url.scheme"),
        ("wss://", "service_url.host"),
        ("wss://exa mple.com", "service_url.invalid_characters"),
        ('wss://example.com/"quoted"', "service_url.invalid_characters"),
        ("wss://example.com/a\\b", "service_url.invalid_characters"),
        ("wss://example.com:70000/", "service_url.port"),
        ("wss://example.com:abc/", "service_url.port"),
        ("wss://[::1/", "service_url.malformed"),
        ("wss://example.com/a#frag", "service_url.fragment"),
        ("wss://256.0.0.1/", "service_url.host"),
        ("wss://stream.example.com/" + "a" * 2030, "service_url.too_long"),
    ],
)
def test_bad_service_urls(url: str, code: str) -> None:
    found = problems(service_url=url)
    assert found.get(code) is Severity.ERROR, found


def test_surrounding_whitespace_is_dropped_not_an_error() -> None:
    report, request = build_stream_request(
        dataclasses.replace(GOOD, service_url="  wss://stream.example.com/a \n"),
        target=Target.PLIVO,
    )
    assert report.ok
    assert request is not None and request.service_url == "wss://stream.example.com/a"


def test_ws_is_a_warning_not_an_error() -> None:
    report, request = build_stream_request(
        dataclasses.replace(GOOD, service_url="ws://stream.example.com/a"), target=Target.PLIVO
    )
    assert report.ok
    assert [(p.code, p.severity) for p in report.problems] == [
        ("service_url.unencrypted", Severity.WARNING)
    ]
    assert request is not None


@pytest.mark.parametrize(
    "url",
    [
        "wss://localhost:8765/audio",
        "wss://127.0.0.1/",
        "ws://127.1:9000",
        "wss://[::1]:8000/",
        "wss://10.0.0.5/",
        "wss://192.168.1.10:8443/s",
        "wss://169.254.1.1/",
        "wss://0.0.0.0/",
        "wss://devbox/",
        "wss://printer.local/",
    ],
)
def test_loopback_and_private_hosts_block_real_plivo_but_not_the_simulator(url: str) -> None:
    assert problems(Target.PLIVO, service_url=url).get("service_url.unreachable") is Severity.ERROR
    assert "service_url.unreachable" not in problems(Target.SIMULATOR, service_url=url)
    report, request = build_stream_request(
        dataclasses.replace(GOOD, service_url=url), target=Target.SIMULATOR
    )
    assert report.ok and request is not None


def test_unreachable_message_names_the_host_and_the_way_out() -> None:
    report = check_form(
        dataclasses.replace(GOOD, service_url="wss://2130706433/"), target=Target.PLIVO
    )
    (problem,) = report.for_field("service_url")
    assert "2130706433 (that is 127.0.0.1)" in problem.message
    assert "this computer" in problem.message
    assert "simulator" in problem.message


# --- bidirectional / audio_track -------------------------------------------------------------


@pytest.mark.parametrize("track", ["outbound", "both"])
def test_bidirectional_allows_only_inbound(track: str) -> None:
    found = problems(bidirectional=True, audio_track=track)
    assert found == {"audio_track.bidirectional_inbound_only": Severity.ERROR}
    assert problems(bidirectional=False, audio_track=track) == {}


def test_bidirectional_inbound_is_fine_and_sent() -> None:
    report, request = build_stream_request(
        dataclasses.replace(GOOD, bidirectional=True), target=Target.PLIVO
    )
    assert report.ok and request is not None
    assert request.to_body() == {"service_url": GOOD.service_url, "bidirectional": True}


@pytest.mark.parametrize("track", ["", "Inbound", "left", "inbound "])
def test_audio_track_must_be_exactly_a_documented_value(track: str) -> None:
    assert problems(audio_track=track) == {"audio_track.invalid": Severity.ERROR}


# --- stream_timeout --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0", "stream_timeout.not_positive"),
        ("000", "stream_timeout.not_positive"),
        ("-1", "stream_timeout.not_positive"),
        ("+5", "stream_timeout.not_integer"),
        ("abc", "stream_timeout.not_integer"),
        ("1.5", "stream_timeout.not_integer"),
        ("1,5", "stream_timeout.not_integer"),
        ("1e3", "stream_timeout.not_integer"),
        ("١٢", "stream_timeout.not_integer"),  # not ASCII digits
        ("2147483648", "stream_timeout.too_large"),
        ("9" * 5000, "stream_timeout.too_large"),  # int() of this would raise
    ],
)
def test_bad_timeouts(text: str, code: str) -> None:
    assert problems(stream_timeout=text) == {code: Severity.ERROR}


@pytest.mark.parametrize(
    ("text", "sent"),
    [("", None), ("1", 1), (" 3600 ", 3600), ("86400", None), ("2147483647", 2147483647)],
)
def test_good_timeouts_and_the_default_is_not_sent(text: str, sent: int | None) -> None:
    report, request = build_stream_request(
        dataclasses.replace(GOOD, stream_timeout=text), target=Target.PLIVO
    )
    assert report.ok and request is not None
    assert request.to_body().get("stream_timeout") == sent


# --- status callback -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("wss://cb.example.com", "status_callback_url.scheme"),
        ("cb.example.com/x", "status_callback_url.scheme"),
        ("https://cb example.com", "status_callback_url.invalid_characters"),
        ("https://", "status_callback_url.host"),
    ],
)
def test_bad_callback_urls(url: str, code: str) -> None:
    assert problems(status_callback_url=url) == {code: Severity.ERROR}


def test_callback_url_may_carry_plivo_fragment_options() -> None:
    assert problems(status_callback_url="https://cb.example.com/s#ct=2000;rt=30000") == {}


def test_callback_to_this_computer_only_for_the_simulator() -> None:
    url = "http://127.0.0.1:8081/callbacks"
    assert problems(Target.PLIVO, status_callback_url=url) == {
        "status_callback_url.unreachable": Severity.ERROR
    }
    assert problems(Target.SIMULATOR, status_callback_url=url) == {}


def test_callback_method() -> None:
    assert problems(status_callback_method="PUT") == {
        "status_callback_method.invalid": Severity.ERROR
    }
    assert problems(status_callback_method="GET") == {
        "status_callback_method.unused": Severity.WARNING
    }
    assert problems(status_callback_method="GET", status_callback_url="https://cb.example") == {}


# --- content_type / extra_headers ----------------------------------------------------------


def test_content_type() -> None:
    for value in ContentType:
        assert problems(content_type=value.value) == {}
    assert problems(content_type="audio/x-mulaw;rate=16000") == {
        "content_type.invalid": Severity.ERROR
    }


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("k=v,,k2=v2", "extra_headers.empty_entry"),
        ("a=1,a=2", "extra_headers.duplicate_key"),
        ("k=v" + "v" * 510, "extra_headers.too_long"),
        ("k=välue", "extra_headers.invalid_characters"),
        ("key=value with space", "extra_headers.invalid_characters"),
    ],
)
def test_extra_headers_errors(text: str, code: str) -> None:
    assert problems(extra_headers=text) == {code: Severity.ERROR}


def test_extra_headers_at_512_bytes_are_sent_as_typed() -> None:
    text = "k=" + "v" * 510
    report, request = build_stream_request(
        dataclasses.replace(GOOD, extra_headers=text), target=Target.PLIVO
    )
    assert report.ok and request is not None
    assert request.to_body()["extra_headers"] == text


# --- the exact body -------------------------------------------------------------------------


def test_exact_json_body_with_every_parameter_changed() -> None:
    raw = StreamFormInput(
        service_url="wss://stream.example.com/audio?agent=7",
        bidirectional=False,
        audio_track="both",
        stream_timeout="600",
        status_callback_url="https://cb.example.com/stream-status",
        status_callback_method="GET",
        content_type="audio/x-l16;rate=16000",
        extra_headers="ticket=12345,agent=ann",
    )
    report, request = build_stream_request(raw, target=Target.PLIVO)
    assert report.problems == ()
    assert request is not None
    assert request.to_body() == {
        "service_url": "wss://stream.example.com/audio?agent=7",
        "audio_track": "both",
        "stream_timeout": 600,
        "status_callback_url": "https://cb.example.com/stream-status",
        "status_callback_method": "GET",
        "content_type": "audio/x-l16;rate=16000",
        "extra_headers": "ticket=12345,agent=ann",
    }
    assert list(request.to_body()) == [
        "service_url",
        "audio_track",
        "stream_timeout",
        "status_callback_url",
        "status_callback_method",
        "content_type",
        "extra_headers",
    ]


def test_ws_to_this_computer_is_not_warned_about() -> None:
    """Audio to a loopback address never crosses a network (the simulator's own media sink)."""
    report, request = build_stream_request(
        dataclasses.replace(GOOD, service_url="ws://127.0.0.1:8080/_sim/media-sink"),
        target=Target.SIMULATOR,
    )
    assert report.ok and report.problems == () and request is not None


def test_errors_and_warnings_are_collected_together() -> None:
    report = check_form(
        StreamFormInput(
            service_url="ws://10.0.0.5:9/x",
            bidirectional=True,
            audio_track="both",
            stream_timeout="0",
            extra_headers="a=1,,a=2",
        ),
        target=Target.PLIVO,
    )
    assert report.codes() == {
        "service_url.unencrypted",
        "service_url.unreachable",
        "audio_track.bidirectional_inbound_only",
        "stream_timeout.not_positive",
        "extra_headers.empty_entry",
        "extra_headers.duplicate_key",
    }
    assert not report.ok
    assert report.fields_with_errors() == (
        "service_url",
        "audio_track",
        "stream_timeout",
        "extra_headers",
    )
    assert [p.code for p in report.for_field("service_url")] == [
        "service_url.unreachable",
        "service_url.unencrypted",
    ]


# --- typed requests (the API client's gate) ------------------------------------------------


def test_gate_accepts_a_good_typed_request() -> None:
    request = StreamRequest(
        service_url="wss://s.example.com",
        bidirectional=True,
        audio_track=AudioTrack.INBOUND,
        stream_timeout=60,
        status_callback_url="https://cb.example.com",
        status_callback_method=CallbackMethod.POST,
        content_type=ContentType.MULAW_8K,
        extra_headers="a=1",
    )
    assert validate_stream_request(request, target=Target.PLIVO).problems == ()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"stream_timeout": 0}, "stream_timeout.not_positive"),
        ({"stream_timeout": -1}, "stream_timeout.not_positive"),
        ({"stream_timeout": 2**31}, "stream_timeout.too_large"),
        ({"stream_timeout": 10**5000}, "stream_timeout.too_large"),
        ({"stream_timeout": True}, "stream_timeout.type"),
        ({"stream_timeout": "60"}, "stream_timeout.type"),
        ({"bidirectional": "yes"}, "bidirectional.type"),
        ({"audio_track": "Both"}, "audio_track.invalid"),
        ({"audio_track": 3}, "audio_track.type"),
        (
            {"bidirectional": True, "audio_track": AudioTrack.OUTBOUND},
            "audio_track.bidirectional_inbound_only",
        ),
        ({"service_url": None}, "service_url.type"),
        ({"service_url": "wss://localhost/"}, "service_url.unreachable"),
        ({"extra_headers": "a=1,a=2"}, "extra_headers.duplicate_key"),
        # A typed request is sent verbatim: padding would reach Plivo, so it is refused.
        ({"service_url": " wss://s.example.com"}, "service_url.whitespace"),
        ({"extra_headers": "a=1 "}, "extra_headers.whitespace"),
        ({"status_callback_url": "   "}, "status_callback_url.whitespace"),
    ],
)
def test_gate_rejects(changes: dict[str, object], code: str) -> None:
    request = dataclasses.replace(StreamRequest("wss://s.example.com"), **changes)  # type: ignore[arg-type]
    report = validate_stream_request(request, target=Target.PLIVO)
    assert code in report.codes()
    assert not report.ok
