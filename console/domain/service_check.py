"""Checking a stream service before a customer's call depends on it (docs/service-check.md).

The check connects to a stream URL as Plivo's media server would and reports each stage in plain
words, first failure first. This module holds what needs no socket: the request, the stages and
their verdicts, the words for what went wrong, what the form's rules for Plivo would still say
about the URL, and the report as text or JSON. The I/O is `console/servicecheck/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from console.domain.stream_params import AudioTrack, ContentType
from console.domain.stream_rules import StreamFormInput, Target, check_form

DEFAULT_SECONDS = 3.0  # of synthetic speech sent
MAX_SECONDS = 10.0
DEFAULT_BUDGET_S = 15.0  # the whole check, every stage included

CLOSE_CODES: Mapping[int, str] = {
    1000: "normal closure",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported data",
    1005: "no code given",
    1006: "closed without a close frame",
    1007: "invalid data",
    1008: "policy violation",
    1009: "message too big",
    1010: "extension required",
    1011: "internal error",
    1012: "service restart",
    1013: "try again later",
    1015: "TLS handshake failure",
}

FORMAT_WORDS: Mapping[tuple[str, int], str] = {
    ("audio/x-mulaw", 8000): "μ-law 8 kHz",
    ("audio/x-l16", 8000): "L16 8 kHz",
    ("audio/x-l16", 16000): "L16 16 kHz",
}


class Stage(StrEnum):
    RESOLVE = "resolve"
    CONNECT = "connect"
    TLS = "tls"
    UPGRADE = "upgrade"
    START = "start"
    MEDIA = "media"
    ANSWER = "answer"  # bidirectional: audio, checkpoints and clears coming back
    CLOSE = "close"


STAGE_WORDS: Mapping[Stage, str] = {
    Stage.RESOLVE: "Find the host",
    Stage.CONNECT: "Connect",
    Stage.TLS: "TLS certificate",
    Stage.UPGRADE: "WebSocket upgrade",
    Stage.START: "Start event",
    Stage.MEDIA: "Audio",
    Stage.ANSWER: "Audio back",
    Stage.CLOSE: "Close",
}


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """What to check: the stream URL and the form's format settings."""

    service_url: str
    content_type: ContentType = ContentType.L16_8K
    audio_track: AudioTrack = AudioTrack.INBOUND
    bidirectional: bool = False
    extra_headers: str = ""  # as the form and Plivo take it: `k=v,k=v`
    seconds: float = DEFAULT_SECONDS
    budget_s: float = DEFAULT_BUDGET_S
    target: Target = Target.PLIVO  # whose rules the notes apply: Plivo's, or the simulator's

    @property
    def tracks(self) -> tuple[str, ...]:
        if self.audio_track is AudioTrack.BOTH:
            return ("inbound", "outbound")
        return (self.audio_track.value,)


@dataclass(frozen=True, slots=True)
class StageResult:
    stage: Stage
    ok: bool
    seconds: float  # how long the stage took, as this computer measured it
    words: str  # what happened, in plain words


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The verdict: every stage that ran, in order; `passed` only when none failed."""

    url: str
    stages: tuple[StageResult, ...]
    warnings: tuple[str, ...] = ()
    first_audio_back_s: float | None = None  # after the first frame sent (bidirectional)
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.stages) and all(s.ok for s in self.stages)

    @property
    def failure(self) -> StageResult | None:
        return next((s for s in self.stages if not s.ok), None)

    @property
    def headline(self) -> str:
        failed = self.failure
        if failed is not None:
            return failed.words
        if self.first_audio_back_s is not None:
            ms = round(self.first_audio_back_s * 1000)
            return f"Passed: accepted the stream, answered with audio {ms} ms after the first frame"
        return "Passed: accepted the stream and its audio"

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "passed": self.passed,
            "headline": self.headline,
            "stages": [
                {
                    "stage": s.stage.value,
                    "ok": s.ok,
                    "ms": round(s.seconds * 1000, 1),
                    "words": s.words,
                }
                for s in self.stages
            ],
            "first_audio_back_ms": (
                None if self.first_audio_back_s is None else round(self.first_audio_back_s * 1000)
            ),
            "warnings": list(self.warnings),
            "facts": dict(self.facts),
        }

    def as_text(self) -> str:
        lines = [("PASSED  " if self.passed else "FAILED  ") + self.headline, ""]
        for s in self.stages:
            mark = "ok " if s.ok else "FAIL"
            lines.append(f"  {mark} {STAGE_WORDS[s.stage]:<18} {_ms(s.seconds):>8}  {s.words}")
        if self.warnings:
            lines.append("")
            lines.extend(f"  note: {w}" for w in self.warnings)
        return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def close_words(code: int | None, reason: str = "") -> str:
    if code is None:
        return "without a close frame"
    name = CLOSE_CODES.get(code, "application-defined" if 3000 <= code < 5000 else "unknown")
    shown = f"code {code}: {name}"
    return f"{shown}, {reason[:120]!r}" if reason else shown


def after_words(seconds: float) -> str:
    """A short span for people: `40 ms`, `1.2 s`."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def format_words(encoding: str, rate: object) -> str:
    if isinstance(rate, int) and (encoding, rate) in FORMAT_WORDS:
        return FORMAT_WORDS[(encoding, rate)]
    return f"{encoding[:40] or 'no encoding'} at {str(rate)[:12]} Hz"


def plivo_rules_problems(request: CheckRequest) -> list[str]:
    """What the form's rules would still say about these settings for the request's target
    (errors first): a check that passes from this computer may still be refused by Plivo."""
    report = check_form(
        StreamFormInput(
            service_url=request.service_url,
            bidirectional=request.bidirectional,
            audio_track=request.audio_track.value,
            content_type=request.content_type.value,
            extra_headers=request.extra_headers,
        ),
        target=request.target,
    )
    ordered = sorted(report.problems, key=lambda p: not p.is_error)
    return [
        ("Plivo would refuse this: " if p.is_error else "") + p.message
        for p in ordered
        if p.field in ("service_url", "extra_headers", "audio_track", "content_type")
    ]


NOT_FROM_PLIVO = (
    "This check ran from this computer, not from Plivo's network: a firewall that admits only "
    "Plivo's addresses, or a name that resolves only inside your network, can still stop Plivo."
)
