"""Host classification and URL splitting: what Plivo's servers on the internet can reach."""

from __future__ import annotations

import pytest

from console.domain.urls import HostKind, classify_host, parse_url, unsafe_characters


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("stream.example.com", HostKind.PUBLIC),
        ("8.8.8.8", HostKind.PUBLIC),
        ("2001:4860:4860::8888", HostKind.PUBLIC),
        ("bücher.example", HostKind.PUBLIC),
        ("localhost", HostKind.LOOPBACK),
        ("localhost.", HostKind.LOOPBACK),
        ("app.localhost", HostKind.LOOPBACK),
        ("127.0.0.1", HostKind.LOOPBACK),
        ("127.8.9.10", HostKind.LOOPBACK),
        ("127.1", HostKind.LOOPBACK),  # WHATWG short form
        ("2130706433", HostKind.LOOPBACK),  # 127.0.0.1 as one decimal number
        ("0x7f.1", HostKind.LOOPBACK),
        ("0177.0.0.1", HostKind.LOOPBACK),  # octal
        ("::1", HostKind.LOOPBACK),
        ("::ffff:127.0.0.1", HostKind.LOOPBACK),
        ("10.1.2.3", HostKind.PRIVATE),
        ("172.16.0.9", HostKind.PRIVATE),
        ("192.168.1.20", HostKind.PRIVATE),
        ("fd00::5", HostKind.PRIVATE),
        ("::ffff:192.168.0.1", HostKind.PRIVATE),
        ("169.254.10.10", HostKind.LINK_LOCAL),
        ("fe80::1", HostKind.LINK_LOCAL),
        ("0.0.0.0", HostKind.UNSPECIFIED),
        ("::", HostKind.UNSPECIFIED),
        ("100.64.0.1", HostKind.NON_PUBLIC),  # carrier-grade NAT
        ("192.0.2.10", HostKind.NON_PUBLIC),  # documentation range
        ("224.0.0.1", HostKind.NON_PUBLIC),  # multicast
        ("myserver", HostKind.LOCAL_NAME),
        ("printer.local", HostKind.LOCAL_NAME),
        ("db.internal", HostKind.LOCAL_NAME),
        ("nas.home.arpa", HostKind.LOCAL_NAME),
    ],
)
def test_host_kinds(host: str, kind: HostKind) -> None:
    check = classify_host(host)
    assert check.problem is None
    assert check.kind is kind


@pytest.mark.parametrize(
    "host", ["", "256.1.1.1", "1.2.3.4.5", "0x1g.1", "a..b", "-bad-.com", "x" * 64 + ".com"]
)
def test_invalid_hosts_are_explained(host: str) -> None:
    check = classify_host(host)
    assert check.kind is None
    assert check.problem


def test_numeric_hosts_report_the_address_they_mean() -> None:
    assert classify_host("2130706433").address == "127.0.0.1"
    assert classify_host("0x7f.1").address == "127.0.0.1"
    assert classify_host("example.com").address is None


def test_unsafe_characters_in_order_of_appearance() -> None:
    assert unsafe_characters('wss://a b/"x"\t') == [" ", '"', "\t"]
    assert unsafe_characters("wss://ok.example/path?x=1&y=%20") == []
    assert unsafe_characters("wss://a/\ud800") == ["\ud800"]


@pytest.mark.parametrize(
    ("text", "port_error"),
    [
        ("wss://a.example:99999/", True),
        ("wss://a.example:0/", True),
        ("wss://a.example:x/", True),
        ("wss://a.example:443/", False),
        ("wss://a.example/", False),
    ],
)
def test_parse_url_reports_bad_ports(text: str, port_error: bool) -> None:
    assert parse_url(text).port_error is port_error


def test_parse_url_never_raises_on_broken_brackets() -> None:
    parsed = parse_url("wss://[::1/")
    assert parsed.parts is None
    assert parsed.error
