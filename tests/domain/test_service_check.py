"""The service check's words and verdicts, without a socket."""

from __future__ import annotations

from console.domain.service_check import (
    CheckReport,
    CheckRequest,
    Stage,
    StageResult,
    after_words,
    close_words,
    format_words,
    plivo_rules_problems,
)
from console.domain.stream_params import AudioTrack
from console.domain.stream_rules import Target


def test_the_rules_follow_where_the_stream_would_go() -> None:
    local = "ws://127.0.0.1:9000/bot"
    assert any(p.startswith("Plivo would refuse this: ") for p in plivo_rules_problems(
        CheckRequest(local)))  # fmt: skip
    assert plivo_rules_problems(CheckRequest(local, target=Target.SIMULATOR)) == []
    both = CheckRequest("wss://bot.example.com/a", bidirectional=True, audio_track=AudioTrack.BOTH)
    assert any("Plivo would refuse this" in p for p in plivo_rules_problems(both))


def test_words_for_people() -> None:
    assert close_words(1008, "unknown account") == "code 1008: policy violation, 'unknown account'"
    assert close_words(4001) == "code 4001: application-defined"
    assert close_words(None) == "without a close frame"
    assert format_words("audio/x-mulaw", 8000) == "μ-law 8 kHz"
    assert format_words("audio/x-opus", "48000") == "audio/x-opus at 48000 Hz"
    assert (after_words(0.04), after_words(1.25)) == ("40 ms", "1.2 s")


def test_a_report_passes_only_when_every_stage_did_and_says_the_first_failure() -> None:
    ok = StageResult(Stage.CONNECT, True, 0.01, "connected")
    bad = StageResult(Stage.UPGRADE, False, 0.2, "The service answered … 403")
    later = StageResult(Stage.START, False, 0.0, "never reached")
    assert CheckReport("ws://x/", (ok,)).passed
    failed = CheckReport("ws://x/", (ok, bad, later), ("a note",))
    assert not failed.passed and failed.headline == bad.words
    assert failed.as_json()["stages"][1] == {
        "stage": "upgrade", "ok": False, "ms": 200.0, "words": bad.words
    }  # fmt: skip
    assert failed.as_text().startswith("FAILED  The service answered")
    assert not CheckReport("ws://x/", ()).passed  # nothing ran: never a pass
