"""Every documented rule of Plivo's start-stream request (docs/stream-form.md), as rules that return
a frozen report (`console.domain.validation`).

Two entry points:
- `build_stream_request(raw, target=...)` for the form: raw widget values in, a report and (when
  nothing blocks) the `StreamRequest` out, with values equal to Plivo's defaults left unset.
- `validate_stream_request(request, target=...)` for a request built elsewhere: the API client
  calls it as a gate before sending. It also checks value types, since such a request may have
  come from a file or a test.

`Target.PLIVO` means the request goes to the real Plivo, whose servers are on the internet and
cannot connect to this computer or a private network; `Target.SIMULATOR` allows those hosts.
Neither function raises, whatever the input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from console.domain.extra_headers import parse_extra_headers
from console.domain.stream_params import (
    DEFAULT_AUDIO_TRACK,
    DEFAULT_CALLBACK_METHOD,
    DEFAULT_CONTENT_TYPE,
    MAX_STREAM_TIMEOUT_S,
    AudioTrack,
    CallbackMethod,
    ContentType,
)
from console.domain.stream_request import StreamRequest
from console.domain.urls import (
    HOST_KIND_REASONS,
    MAX_URL_LENGTH,
    HostCheck,
    HostKind,
    classify_host,
    describe_char,
    parse_url,
    unsafe_characters,
)
from console.domain.validation import Problem, Severity, ValidationReport

ERROR = Severity.ERROR
WARNING = Severity.WARNING


class Target(StrEnum):
    PLIVO = "plivo"
    SIMULATOR = "simulator"


@dataclass(frozen=True, slots=True)
class StreamFormInput:
    """The form's values exactly as its widgets hold them. An empty `stream_timeout` means
    "Plivo's default"; the defaults here are the documented ones."""

    service_url: str = ""
    bidirectional: bool = False
    audio_track: str = DEFAULT_AUDIO_TRACK.value
    stream_timeout: str = ""
    status_callback_url: str = ""
    status_callback_method: str = DEFAULT_CALLBACK_METHOD.value
    content_type: str = DEFAULT_CONTENT_TYPE.value
    extra_headers: str = ""

    @classmethod
    def from_request(cls, request: StreamRequest) -> StreamFormInput:
        """The form values that show `request` (used to restore a previous request). Values of
        the wrong type become the field's default; `validate_stream_request` reports them."""
        r = request
        return cls(
            service_url=_str_or(r.service_url, ""),
            bidirectional=r.bidirectional is True,
            audio_track=_str_or(r.audio_track, DEFAULT_AUDIO_TRACK.value),
            stream_timeout=_timeout_text(r.stream_timeout),
            status_callback_url=_str_or(r.status_callback_url, ""),
            status_callback_method=_str_or(r.status_callback_method, DEFAULT_CALLBACK_METHOD.value),
            content_type=_str_or(r.content_type, DEFAULT_CONTENT_TYPE.value),
            extra_headers=_str_or(r.extra_headers, ""),
        )


def _str_or(value: object, default: str) -> str:
    return str(value) if isinstance(value, str) else default


def _timeout_text(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return ""
    # Clamp absurd values: str() of a 5000-digit int raises, and both ends are errors anyway.
    return str(max(min(value, 10**12), -1))


Rule = Callable[[StreamFormInput, Target], Iterable[Problem]]


# --- URLs ---------------------------------------------------------------------------------


def _url_problems(
    field: str, text: str, *, websocket: bool, target: Target, label: str
) -> Iterator[Problem]:
    value = text.strip()
    if not value:
        return
    bad = unsafe_characters(value)
    if bad:
        yield Problem(field, ERROR, f"{field}.invalid_characters", _characters(label, bad))
        return
    if len(value) > MAX_URL_LENGTH:
        yield Problem(
            field,
            ERROR,
            f"{field}.too_long",
            f"The {label} is {len(value)} characters long; keep it under {MAX_URL_LENGTH}.",
        )
        return
    parsed = parse_url(value)
    wanted = ("wss", "ws") if websocket else ("https", "http")
    if parsed.parts is None:
        yield Problem(field, ERROR, f"{field}.malformed", f"The {label} is not a valid URL.")
        return
    scheme = parsed.scheme
    if scheme not in wanted or "://" not in value:
        yield Problem(field, ERROR, f"{field}.scheme", _scheme_message(label, scheme, websocket))
        return
    if parsed.port_error:
        yield Problem(
            field, ERROR, f"{field}.port", "The port after ':' must be a number from 1 to 65535."
        )
        return
    host = classify_host(parsed.host)
    if host.kind is None:
        yield Problem(field, ERROR, f"{field}.host", f"The {label} is not usable: {host.problem}.")
        return
    yield from _reach_problems(
        field, value, scheme, parsed.host, host, websocket=websocket, target=target
    )


def _characters(label: str, bad: list[str]) -> str:
    """What to do about characters a URL may not hold as they are."""
    spaces = [c for c in bad if c.isspace()]
    if spaces:
        return (
            f"The {label} contains {describe_char(spaces[0])}; remove it "
            "(a space inside a URL is written %20)."
        )
    names = ", ".join(describe_char(c) for c in bad)
    return (
        f"The {label} contains {names}, which must be percent-encoded "
        "(for example %22 for a double quote)."
    )


def _reach_problems(
    field: str,
    value: str,
    scheme: str,
    shown: str,
    host: HostCheck,
    *,
    websocket: bool,
    target: Target,
) -> Iterator[Problem]:
    """A well-formed URL's remaining trouble: a fragment on a WebSocket, no encryption, a host
    Plivo cannot reach (`shown`: the host as the URL names it)."""
    if host.kind is None:  # not a host at all: reported before this is asked
        return
    if websocket and "#" in value:
        yield Problem(
            field,
            ERROR,
            f"{field}.fragment",
            "A WebSocket address cannot contain '#'; remove '#' and what follows it.",
        )
    # Loopback audio never leaves this computer: nothing to warn about (the simulator's sink).
    if websocket and scheme == "ws" and host.kind is not HostKind.LOOPBACK:
        yield Problem(
            field,
            WARNING,
            f"{field}.unencrypted",
            "ws:// is unencrypted: the caller's audio would cross the internet readable by "
            "anyone on the way. Use wss:// unless this is a test.",
        )
    if target is Target.PLIVO and host.kind is not HostKind.PUBLIC:
        if host.address and host.address != shown:
            shown = f"{shown} (that is {host.address})"
        action = "connect to" if websocket else "deliver status callbacks to"
        yield Problem(
            field,
            ERROR,
            f"{field}.unreachable",
            f"Plivo's servers on the internet cannot {action} {shown}: "
            f"{HOST_KIND_REASONS[host.kind]}. Use a public address (for example a tunnel "
            "such as ngrok), or switch to the simulator.",
        )


def _scheme_message(label: str, scheme: str, websocket: bool) -> str:
    if websocket and scheme in ("http", "https"):
        return (
            f"This is a web address ({scheme}://). Plivo streams audio over WebSocket: start it "
            "with wss:// instead (ws:// only for unencrypted tests)."
        )
    if not websocket and scheme in ("ws", "wss"):
        return (
            "Status callbacks are ordinary web requests: start this address with https:// "
            "(or http://), not a WebSocket scheme."
        )
    start = "wss:// (or ws:// for unencrypted tests)" if websocket else "https:// (or http://)"
    return f"The {label} must start with {start}."


def _service_url(raw: StreamFormInput, target: Target) -> Iterator[Problem]:
    if not raw.service_url.strip():
        yield Problem(
            "service_url",
            ERROR,
            "service_url.required",
            "Enter the WebSocket address Plivo should send the audio to, for example "
            "wss://stream.example.com/audio.",
        )
        return
    yield from _url_problems(
        "service_url", raw.service_url, websocket=True, target=target, label="stream address"
    )


def _status_callback_url(raw: StreamFormInput, target: Target) -> Iterator[Problem]:
    yield from _url_problems(
        "status_callback_url",
        raw.status_callback_url,
        websocket=False,
        target=target,
        label="status callback address",
    )


# --- enumerations -------------------------------------------------------------------------


def _choices(values: Iterable[str]) -> str:
    items = list(values)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _audio_track(raw: StreamFormInput, target: Target) -> Iterator[Problem]:
    allowed = [t.value for t in AudioTrack]
    if raw.audio_track not in allowed:
        yield Problem(
            "audio_track",
            ERROR,
            "audio_track.invalid",
            f"Choose the audio track: {_choices(allowed)}.",
        )
    elif raw.bidirectional and raw.audio_track != AudioTrack.INBOUND:
        yield Problem(
            "audio_track",
            ERROR,
            "audio_track.bidirectional_inbound_only",
            "A bidirectional stream can carry only the inbound track (Plivo's rule). Choose "
            "inbound, or turn bidirectional off.",
        )


def _status_callback_method(raw: StreamFormInput, target: Target) -> Iterator[Problem]:
    allowed = [m.value for m in CallbackMethod]
    if raw.status_callback_method not in allowed:
        yield Problem(
            "status_callback_method",
            ERROR,
            "status_callback_method.invalid",
            f"Choose how Plivo calls the status callback: {_choices(allowed)}.",
        )
    elif raw.status_callback_method != DEFAULT_CALLBACK_METHOD and not (
        raw.status_callback_url.strip()
    ):
        yield Problem(
            "status_callback_method",
            WARNING,
            "status_callback_method.unused",
            "The callback method only matters once a status callback URL is set.",
        )


def _content_type(raw: StreamFormInput, target: Target) -> Iterator[Problem]:
    allowed = [c.value for c in ContentType]
    if raw.content_type not in allowed:
        yield Problem(
            "content_type",
            ERROR,
            "content_type.invalid",
            f"Choose the audio format: {_choices(allowed)}.",
        )


# --- stream_timeout -----------------------------------------------------------------------

_DIGITS = re.compile(r"[0-9]+")
_SIGNED = re.compile(r"[+-][0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]*[.,][0-9]+")


def parse_timeout(text: str) -> int | None:
    """The timeout in seconds when `text` is an acceptable value, else None (also for empty)."""
    value = text.strip()
    if not _DIGITS.fullmatch(value) or len(value.lstrip("0")) > 10:
        return None
    seconds = int(value)
    return seconds if 1 <= seconds <= MAX_STREAM_TIMEOUT_S else None


def _stream_timeout(raw: StreamFormInput, target: Target) -> Iterator[Problem]:
    value = raw.stream_timeout.strip()
    if not value:
        return
    code, message = "", ""
    if _DIGITS.fullmatch(value):
        if len(value.lstrip("0")) > 10 or int(value) > MAX_STREAM_TIMEOUT_S:
            code = "stream_timeout.too_large"
            message = (
                f"That is more than 68 years. The largest timeout Plivo's SDKs can send is "
                f"{MAX_STREAM_TIMEOUT_S} seconds; the default is 86400 (24 h)."
            )
        elif int(value) == 0:
            code, message = "stream_timeout.not_positive", "The timeout must be at least 1 second."
    elif _SIGNED.fullmatch(value):
        code = "stream_timeout.not_positive" if value[0] == "-" else "stream_timeout.not_integer"
        message = (
            "The timeout must be at least 1 second."
            if value[0] == "-"
            else "Enter the timeout using digits only, for example 3600."
        )
    elif _DECIMAL.fullmatch(value):
        code = "stream_timeout.not_integer"
        message = "Enter whole seconds without decimals, for example 90 for 1 min 30 s."
    else:
        code = "stream_timeout.not_integer"
        message = "Enter the timeout as a number of seconds, for example 3600 for 1 h."
    if code:
        yield Problem("stream_timeout", ERROR, code, message)


# --- extra_headers ------------------------------------------------------------------------


def _extra_headers(raw: StreamFormInput, target: Target) -> Iterator[Problem]:
    parsed = parse_extra_headers(raw.extra_headers)
    for issue in parsed.issues:
        severity = ERROR if issue.is_error else WARNING
        yield Problem("extra_headers", severity, issue.code, issue.message, issue.spans)


RULES: tuple[Rule, ...] = (
    _service_url,
    _audio_track,
    _stream_timeout,
    _status_callback_url,
    _status_callback_method,
    _content_type,
    _extra_headers,
)


def check_form(raw: StreamFormInput, *, target: Target) -> ValidationReport:
    """Run every rule on the raw form values."""
    return ValidationReport.of(p for rule in RULES for p in rule(raw, target))


def build_stream_request(
    raw: StreamFormInput, *, target: Target
) -> tuple[ValidationReport, StreamRequest | None]:
    """Validate the form and, when no error stands, build the request with default-equal values
    left unset (so the body and the snippets show only what differs from Plivo's defaults)."""
    report = check_form(raw, target=target)
    if not report.ok:
        return report, None
    request = StreamRequest(
        service_url=raw.service_url.strip(),
        bidirectional=raw.bidirectional,
        audio_track=AudioTrack(raw.audio_track),
        stream_timeout=parse_timeout(raw.stream_timeout),
        status_callback_url=raw.status_callback_url.strip() or None,
        status_callback_method=CallbackMethod(raw.status_callback_method),
        content_type=ContentType(raw.content_type),
        extra_headers=raw.extra_headers.strip() or None,
    )
    return report, request.without_defaults()


# --- typed requests -----------------------------------------------------------------------

_TYPE_MESSAGES = {
    "service_url": "The stream address must be text.",
    "bidirectional": "bidirectional must be true or false.",
    "audio_track": "audio_track must be one of inbound, outbound or both.",
    "stream_timeout": "stream_timeout must be a whole number of seconds.",
    "status_callback_url": "status_callback_url must be text.",
    "status_callback_method": "status_callback_method must be GET or POST.",
    "content_type": "content_type must be one of the three documented audio formats.",
    "extra_headers": "extra_headers must be text in the form key=value,key2=value2.",
}


def _type_ok(field: str, value: object) -> bool:
    if field == "service_url":
        return isinstance(value, str)
    if value is None:
        return True
    if field == "bidirectional":
        return isinstance(value, bool)
    if field == "stream_timeout":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def validate_stream_request(request: StreamRequest, *, target: Target) -> ValidationReport:
    """The gate before sending: types first, then every rule the form applies."""
    type_problems = [
        Problem(field, ERROR, f"{field}.type", message)
        for field, message in _TYPE_MESSAGES.items()
        if not _type_ok(field, getattr(request, field, None))
    ]
    mistyped = {p.field for p in type_problems}
    # The form trims what the agent typed; a typed request is sent verbatim, so surrounding
    # whitespace there would reach Plivo.
    padded = [
        Problem(
            field,
            ERROR,
            f"{field}.whitespace",
            f"{field} starts or ends with a space or line break; remove it.",
        )
        for field in _TEXT_FIELDS
        if field not in mistyped
        and isinstance(value := getattr(request, field, None), str)
        and value != value.strip()
    ]
    raw = StreamFormInput.from_request(request)
    rest = [p for p in check_form(raw, target=target).problems if p.field not in mistyped]
    return ValidationReport.of([*type_problems, *padded, *rest])


_TEXT_FIELDS = ("service_url", "status_callback_url", "extra_headers")
