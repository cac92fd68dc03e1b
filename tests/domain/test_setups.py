"""Stream setups: saved as intent, round-tripped through the file, imported all or nothing."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from console.domain.setups import (
    FORMAT,
    StreamSetup,
    clean_name,
    differences,
    export_text,
    parse_import,
    unique_name,
)
from console.domain.stream_rules import StreamFormInput, Target

BOT = StreamSetup(
    name="Sales bot",
    service_url="wss://bot.example.com/audio",
    bidirectional=True,
    content_type="audio/x-l16;rate=16000",
    extra_headers="team=sales",
    callbacks_to_console=True,
)
RECORDER = StreamSetup(
    name="Recorder",
    service_url="wss://rec.example.com/in",
    audio_track="both",
    stream_timeout="600",
    status_callback_url="https://hooks.example.com/plivo",
    status_callback_method="GET",
)


def test_callbacks_to_this_console_are_kept_as_intent_not_the_tunnel_address() -> None:
    form = BOT.form_input("https://abc.ngrok.app/plivo/stream-status")
    saved = StreamSetup.from_form("Sales bot", form, callbacks_to_console=True)
    assert saved == BOT and saved.status_callback_url == ""
    assert BOT.form_input(
        "https://new.trycloudflare.com/plivo/stream-status"
    ).status_callback_url == ("https://new.trycloudflare.com/plivo/stream-status")


def test_differences_name_the_fields_in_words() -> None:
    form = BOT.form_input("https://abc.ngrok.app/plivo/stream-status")
    assert differences(BOT, form, callbacks_to_console=True) == []
    changed = _with(form, extra_headers="team=support", content_type="audio/x-mulaw;rate=8000")
    assert differences(BOT, changed, callbacks_to_console=True) == ["Audio format", "Extra headers"]
    assert differences(BOT, form, callbacks_to_console=False) == [
        "Callbacks to this console",
        "Status callback URL",
    ]


def _fields(form: StreamFormInput) -> dict[str, object]:
    return {name: getattr(form, name) for name in StreamFormInput.__dataclass_fields__}


def _with(form: StreamFormInput, **changes: object) -> StreamFormInput:
    return StreamFormInput(**{**_fields(form), **changes})  # type: ignore[arg-type]


def test_a_file_round_trips() -> None:
    text = export_text([BOT, RECORDER])
    assert json.loads(text)["format"] == FORMAT and json.loads(text)["version"] == 1
    report = parse_import(text.encode(), target=Target.PLIVO, taken=["recorder"])
    assert report.ok and report.setups == (BOT, RECORDER)
    assert report.clashes == ("Recorder",)  # names compare without case


def test_one_bad_setup_imports_nothing_and_each_is_named() -> None:
    body = json.loads(export_text([BOT, RECORDER]))
    body["setups"].append(
        {**body["setups"][0], "name": "Local", "service_url": "ws://127.0.0.1:9/x"}
    )
    body["setups"].append({"name": "Typed", "bidirectional": "yes"})
    body["setups"].append({"name": "Both ways", "service_url": "wss://b.example.com/",
                           "bidirectional": True, "audio_track": "both"})  # fmt: skip
    report = parse_import(json.dumps(body).encode(), target=Target.PLIVO)
    assert not report.ok and report.setups == ()
    assert [e.split(":")[0] for e in report.errors] == [
        "Setup 3 (Local)",
        "Setup 4 (Typed)",  # named even when its fields are of the wrong type
        "Setup 5 (Both ways)",
    ]
    assert "127.0.0.1" in report.errors[0] and "true or false" in report.errors[1]
    # the simulator accepts a loopback stream URL: the same file's first three import there
    body["setups"] = body["setups"][:3]
    assert parse_import(json.dumps(body).encode(), target=Target.SIMULATOR).ok


def test_files_that_are_not_setups_say_so() -> None:
    cases = {
        b"\xff\xfe": "not JSON",
        b"[1, 2]": "not a Stream Console setups file",
        json.dumps({"format": FORMAT, "version": 9, "setups": []}).encode(): "version 9",
        json.dumps({"format": FORMAT, "version": 1, "setups": []}).encode(): "no setups",
        json.dumps({"format": FORMAT, "version": 1, "setups": [{"name": "a", "x": 1}]}).encode(): (
            "unknown field 'x'"
        ),
        json.dumps({"format": FORMAT, "version": 1, "setups": [BOT.__class__.__name__]}).encode(): (
            "not an object"
        ),
        b"{" * 2_000_000: "over 1024 KB",
    }
    for data, words in cases.items():
        report = parse_import(data, target=Target.PLIVO)
        assert not report.ok and words in report.errors[0], (words, report.errors)


def test_names_twice_in_one_file_are_refused() -> None:
    text = export_text([BOT, StreamSetup(**{**_setup_fields(BOT), "name": "SALES BOT"})])
    report = parse_import(text.encode(), target=Target.PLIVO)
    assert report.errors == ("Setup 2 (SALES BOT): the name is used twice in the file",)


def _setup_fields(setup: StreamSetup) -> dict[str, object]:
    return {name: getattr(setup, name) for name in StreamSetup.__dataclass_fields__}


def test_unique_names_for_duplicate_and_keep_both() -> None:
    assert unique_name("Recorder", ["Sales bot"]) == "Recorder"
    assert unique_name("Recorder", ["recorder", "Recorder (2)"]) == "Recorder (3)"


@given(st.text(max_size=300))
def test_names_are_single_line_printable_and_bounded(name: str) -> None:
    cleaned = clean_name(name)
    assert len(cleaned) <= 80 and cleaned == cleaned.strip()
    assert all(c.isprintable() for c in cleaned) and "  " not in cleaned
