"""Reading callbacks as stream changes, and joining a call's actions and callbacks in order."""

from __future__ import annotations

from console.domain.activity import Action, ActivityEntry, Outcome
from console.domain.events import TEST_EVENT, TEST_MARKER, StoredEvent, Verdict
from console.domain.timeline import (
    StreamState,
    TimelineKind,
    buffer_percent,
    build_timeline,
    clean_text,
    stream_change,
    timeline_line,
)


def _event(n: int, name: str, at: float, **params: str) -> StoredEvent:
    full = {"Event": name, "StreamID": "s1", "CallUUID": "c1", **params}
    return StoredEvent(
        id=n, received_at=at, event=name, call_uuid="c1", stream_id="s1", account="MA",
        source="127.0.0.1", verdict=Verdict.ACCEPTED, method="POST", url="http://x/cb",
        params=full,
    )  # fmt: skip


def _action(action: Action, at: float, detail: str = "") -> ActivityEntry:
    return ActivityEntry(
        at=at, user="agent", account="MA", action=action, call_uuid="c1",
        outcome=Outcome.OK if action is not Action.STREAM_FAILED else Outcome.FAILED,
        stream_id="s1", detail=detail,
    )  # fmt: skip


def test_each_stream_event_is_a_state_and_others_are_none() -> None:
    start = stream_change(_event(1, "StartStream", 1))
    assert start is not None and start.state is StreamState.IN_PROGRESS and start.reason == ""
    stop = stream_change(_event(2, "StopStream", 1, Reason="stream_timeout"))
    assert stop is not None and stop.state is StreamState.STOPPED and not stop.active
    drop = stream_change(_event(3, "DroppedStream", 1, Error="1011\nclosed\x1b[31m"))
    assert drop is not None and drop.state is StreamState.FAILED
    assert drop.reason == "1011 closed [31m"  # one line, no control characters
    slow = stream_change(_event(4, "DegradedStream", 1, BufferUsage="60"))
    assert slow is not None and slow.active and slow.buffer_percent == 60
    assert stream_change(_event(5, "ConsoleTest", 1)) is None


def test_the_consoles_own_test_callback_moves_no_stream() -> None:
    """Send test callback invents its IDs: it must never show as a stream or count as one, in
    its own name or as the StartStream with a marker that older logs hold."""
    test = _event(1, TEST_EVENT, 1)
    legacy = _event(2, "StartStream", 1, **{TEST_MARKER: "true"})
    assert test.is_test and legacy.is_test and not _event(3, "StartStream", 1).is_test
    assert stream_change(test) is None and stream_change(legacy) is None


def test_buffer_usage_outside_0_to_100_or_not_a_number_is_unknown() -> None:
    assert buffer_percent("90%") == 90
    assert buffer_percent("101") is None
    assert buffer_percent("-1") is None
    assert buffer_percent("9" * 5000) is None
    assert buffer_percent("lots") is None


def test_clean_text_cuts_long_outside_text() -> None:
    assert len(clean_text("x" * 10_000)) == 300
    assert clean_text("a\u202eb\u200bc") == "a b c"


def test_callbacks_never_come_before_the_start_that_made_their_stream() -> None:
    # The StartStream arrived before Plivo's answer to the start (so before it was recorded).
    actions = [_action(Action.START_STREAM, 10.5), _action(Action.STREAM_FAILED, 20.1, "x")]
    events = [
        _event(1, "StartStream", 10.2),
        _event(2, "DroppedStream", 20.0, Error="gone <b>bold</b>"),
    ]
    entries = build_timeline(actions, events)
    kinds = [(e.kind, e.text.split()[0]) for e in entries]
    assert kinds == [
        (TimelineKind.ACTION, "agent"),
        (TimelineKind.CALLBACK, "StartStream"),
        (TimelineKind.CALLBACK, "DroppedStream"),
        (TimelineKind.ACTION, "agent"),
    ]
    assert "gone <b>bold</b>" in entries[2].text  # kept as text: the view shows it literally
    assert "Plivo" in timeline_line(entries[1]) and "console" in timeline_line(entries[0])
