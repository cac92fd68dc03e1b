"""URL checks for the addresses an agent types: the WebSocket `service_url` and the
`status_callback_url`. Pure string work (no DNS, no sockets): it answers "is this a well-formed
ws/wss or http/https URL" and "could Plivo's servers on the internet reach this host at all".

Host classification follows the WHATWG URL parser for special schemes (ws, wss, http, https),
which is what browsers and most WebSocket clients apply: a host whose last label is a number is
an IPv4 address in any of the legacy forms (`127.1`, `0x7f.1`, `2130706433`), so those are
recognised as loopback too. Names that only resolve on a local network (`localhost`, single-label
names, `.local`, `.internal`, `.lan`, `.home.arpa`) count as local. A public name that happens to
resolve to a private address cannot be detected without DNS and is accepted.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import SplitResult, urlsplit


class HostKind(StrEnum):
    PUBLIC = "public"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    LINK_LOCAL = "link-local"
    UNSPECIFIED = "unspecified"
    LOCAL_NAME = "local-name"
    NON_PUBLIC = "non-public"


# Why Plivo cannot reach each kind, phrased for a support agent.
HOST_KIND_REASONS: dict[HostKind, str] = {
    HostKind.LOOPBACK: "it means this computer itself",
    HostKind.PRIVATE: "it is a private network address, reachable only inside your network",
    HostKind.LINK_LOCAL: "it is a link-local address, reachable only on the local network segment",
    HostKind.UNSPECIFIED: "it is a placeholder address that no server can connect to",
    HostKind.LOCAL_NAME: "it is a name that only your local network can resolve",
    HostKind.NON_PUBLIC: "it is a reserved address that is not routed on the internet",
}

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".localdomain")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
# Plivo documents no limit; 2048 is the practical ceiling most HTTP stacks accept, and what the
# simulator enforces.
MAX_URL_LENGTH = 2048

# RFC 1918 and RFC 4193 networks: "a private network". Other non-global ranges (documentation,
# carrier-grade NAT, reserved, multicast) are NON_PUBLIC.
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
# Characters RFC 3986 never allows unencoded; WHATWG percent-encodes or rejects them.
_UNSAFE_URL_CHARS = frozenset('"<>\\^`{|}')


def _ipv4_loose(host: str) -> ipaddress.IPv4Address | None:
    """WHATWG IPv4 parsing: 1-4 parts, each decimal, octal (0-prefix) or hex (0x-prefix)."""
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.fullmatch(p) for p in parts):
        return None
    numbers: list[int] = []
    for part in parts:
        if part[:2] in ("0x", "0X"):
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part[0] == "0":
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    value = numbers[-1]
    for index, n in enumerate(numbers[:-1]):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _classify_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> HostKind:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _classify_ip(ip.ipv4_mapped)
    if ip.is_loopback:
        return HostKind.LOOPBACK
    if ip.is_unspecified:
        return HostKind.UNSPECIFIED
    if ip.is_link_local:
        return HostKind.LINK_LOCAL
    if any(ip in network for network in _PRIVATE_NETWORKS if network.version == ip.version):
        return HostKind.PRIVATE
    if not ip.is_global or ip.is_multicast:
        return HostKind.NON_PUBLIC
    return HostKind.PUBLIC


@dataclass(frozen=True, slots=True)
class HostCheck:
    """The verdict on one host: its kind, or why it is not a valid host at all."""

    kind: HostKind | None
    problem: str | None = None
    address: str | None = None


def classify_host(host: str) -> HostCheck:
    """Classify the host part of a URL (as `urlsplit().hostname` gives it: lower case, IPv6
    without brackets). Never raises."""
    if not host:
        return HostCheck(None, "there is no server name")
    if ":" in host:
        try:
            ipv6 = ipaddress.IPv6Address(host)
            return HostCheck(_classify_ip(ipv6), address=str(ipv6))
        except ValueError:
            return HostCheck(None, f"'{host}' is not a valid IPv6 address")
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        ipv4 = _ipv4_loose(name)
        if ipv4 is None:
            return HostCheck(None, f"'{host}' looks like an IP address but is not a valid one")
        return HostCheck(_classify_ip(ipv4), address=str(ipv4))
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return HostCheck(None, f"'{host}' is not a valid server name")
    ascii_labels = ascii_name.lower().split(".")
    if len(ascii_name) > 253 or not all(_LABEL.fullmatch(label) for label in ascii_labels):
        return HostCheck(None, f"'{host}' is not a valid server name")
    dotted = "." + ascii_name.lower()
    if ascii_name.lower() == "localhost" or dotted.endswith(".localhost"):
        return HostCheck(HostKind.LOOPBACK)
    if len(ascii_labels) == 1 or dotted.endswith(_LOCAL_SUFFIXES):
        return HostCheck(HostKind.LOCAL_NAME)
    return HostCheck(HostKind.PUBLIC)


def unsafe_characters(text: str) -> list[str]:
    """Characters that cannot appear in a URL as typed: whitespace, control characters,
    unpaired surrogates and the RFC 3986 excluded set. In order of first appearance."""
    found: list[str] = []
    for char in text:
        code = ord(char)
        bad = (
            char.isspace()
            or code < 0x20
            or 0x7F <= code <= 0x9F
            or 0xD800 <= code <= 0xDFFF
            or char in _UNSAFE_URL_CHARS
        )
        if bad and char not in found:
            found.append(char)
    return found


def describe_char(char: str) -> str:
    """How to name a character in a message an agent reads."""
    names = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a line break"}
    if char in names:
        return names[char]
    if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF:
        return f"'{char}'"
    return f"U+{ord(char):04X}"


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    """A URL split into the parts the rules look at; `error` says why it could not be split."""

    parts: SplitResult | None
    port_error: bool = False
    error: str | None = None

    @property
    def scheme(self) -> str:
        return self.parts.scheme.lower() if self.parts else ""

    @property
    def host(self) -> str:
        if self.parts is None:
            return ""
        return self.parts.hostname or ""


def parse_url(text: str) -> ParsedUrl:
    """`urlsplit` that reports instead of raising (bad IPv6 brackets, bad ports)."""
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return ParsedUrl(None, error=str(exc))
    try:
        port = parts.port
    except ValueError:
        return ParsedUrl(parts, port_error=True)
    if port == 0:
        return ParsedUrl(parts, port_error=True)
    return ParsedUrl(parts)


def listen_address_problem(host: str) -> str | None:
    """Why `host` cannot be an address to listen on, judged without DNS: an IP address, or a
    well-formed host name (whether the name resolves is for the caller to ask the system)."""
    text = host.strip()
    if not text:
        return "expected an address to listen on, e.g. 127.0.0.1"
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    if ":" in text or all(part.isdigit() for part in text.split(".")):
        return f"{text!r} is not a valid IP address"
    if classify_host(text.lower()).kind is None:  # the same rule as a URL's host
        return f"{text!r} is neither an IP address nor a host name"
    return None


def api_on_this_computer(api_base_url: str) -> str:
    """`host:port` when an account's API base is on this computer (a standalone simulator, a
    proxy), '' when not: Plivo's servers cannot reach this computer, but an API that runs here
    can, so the stream URL rules follow where the API is."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(api_base_url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return ""
    if not host or classify_host(host).kind is not HostKind.LOOPBACK:
        return ""
    return f"{host}:{port}" if port else host


def why_plivo_cannot_reach(url: str) -> str:
    """Why Plivo's servers on the internet could not reach `url` ('' when its host is public,
    or cannot be judged)."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    kind = classify_host(host).kind if host else None
    if kind is None or kind is HostKind.PUBLIC:
        return ""
    return f"Plivo's servers on the internet cannot reach {host}: {HOST_KIND_REASONS[kind]}."
