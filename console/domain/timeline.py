"""What a status callback means for the screen, and one call's history joining the agent's actions
with the callbacks Plivo sent for it. Everything read from a callback is outside text: it is put on
one line, stripped of control characters and cut to a sane length before anything shows it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from console.domain.activity import Action, ActivityEntry, Outcome
from console.domain.events import StoredEvent, StreamEventName
from console.domain.failure_words import explain

MAX_TEXT_CHARS = 300
MAX_LINE_CHARS = 400


class StreamState(StrEnum):
    """The streams table's status for a stream a callback reports on."""

    IN_PROGRESS = "in-progress"
    STOPPED = "stopped"
    FAILED = "failed"
    DEGRADED = "degraded"  # still streaming: Plivo's buffer for a slow service is filling


@dataclass(frozen=True, slots=True)
class StreamChange:
    """One callback read as a change of one stream's state."""

    call_uuid: str
    stream_id: str
    state: StreamState
    reason: str = ""  # why it dropped or stopped ('' when the callback did not say)
    buffer_percent: int | None = None  # DegradedStream only, 0..100 when given and sane

    @property
    def active(self) -> bool:
        return self.state in (StreamState.IN_PROGRESS, StreamState.DEGRADED)


_STATES = {
    StreamEventName.START.value: StreamState.IN_PROGRESS,
    StreamEventName.STOP.value: StreamState.STOPPED,
    StreamEventName.DROPPED.value: StreamState.FAILED,
    StreamEventName.DEGRADED.value: StreamState.DEGRADED,
}


def clean_text(text: object, limit: int = MAX_TEXT_CHARS) -> str:
    """Outside text as one plain line: control and format characters gone, cut to `limit`."""
    kept = "".join(ch if ch.isprintable() else " " for ch in str(text))
    line = " ".join(kept.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def buffer_percent(text: str) -> int | None:
    """BufferUsage as a percentage, None when absent or not a number from 0 to 100."""
    try:
        value = int(text.strip().rstrip("%"))
    except ValueError:
        return None
    return value if 0 <= value <= 100 else None


def stream_change(event: StoredEvent) -> StreamChange | None:
    """What `event` says about its stream; None for other events, ones naming no stream, and the
    console's own test callbacks (no stream of Plivo's)."""
    state = _STATES.get(event.event)
    if state is None or event.is_test or not event.stream_id or not event.call_uuid:
        return None
    return StreamChange(
        call_uuid=event.call_uuid,
        stream_id=event.stream_id,
        state=state,
        reason=clean_text(event.error) if state is not StreamState.IN_PROGRESS else "",
        buffer_percent=buffer_percent(event.buffer_usage)
        if state is StreamState.DEGRADED
        else None,
    )


class TimelineKind(StrEnum):
    ACTION = "action"  # something an agent did here (activity history)
    CALLBACK = "callback"  # something Plivo reported (event log)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: float  # epoch seconds (the action's time; the callback's arrival)
    kind: TimelineKind
    text: str  # one plain line, without the time


def _short(stream_id: str) -> str:
    sid = clean_text(stream_id, 60)
    return sid[:8] + "…" if len(sid) > 12 else sid


def _action_text(entry: ActivityEntry) -> str:
    words = [clean_text(entry.user, 40) or "someone", entry.action.value]
    if entry.stream_id:
        words.append(_short(entry.stream_id))
    text = " ".join(words)
    if entry.outcome is not Outcome.OK and entry.action is not Action.STREAM_FAILED:
        text += f" — {entry.outcome.value}"
    detail = clean_text(entry.detail, 160)
    if detail and entry.outcome is not Outcome.OK:
        text += f": {detail}"
    return text


def _callback_text(event: StoredEvent) -> str:
    text = clean_text(event.event or "(no Event)", 40)
    if event.stream_id:
        text += f" {_short(event.stream_id)}"
    change = stream_change(event)
    if change is not None and change.reason:
        reason = (
            explain(change.reason).plain if change.state is StreamState.FAILED else change.reason
        )
        text += f": {clean_text(reason, 160)}"
    elif change is not None and change.state is StreamState.DEGRADED:
        pct = change.buffer_percent
        text += f": buffer {pct}% full" if pct is not None else ": buffer filling"
    return text


def build_timeline(actions: list[ActivityEntry], events: list[StoredEvent]) -> list[TimelineEntry]:
    """Actions and callbacks in time order. Two clocks meet here (the console records a start
    once Plivo has answered; a callback can arrive before that answer), so a stream's callbacks
    are never placed before the action that started it."""
    started: dict[str, float] = {}
    for entry in actions:
        if entry.action is Action.START_STREAM and entry.stream_id:
            started.setdefault(entry.stream_id, entry.at)
    keyed: list[tuple[float, int, int, TimelineEntry]] = []
    for n, entry in enumerate(actions):
        item = TimelineEntry(entry.at, TimelineKind.ACTION, clean_text(_action_text(entry), 400))
        keyed.append((entry.at, 0, n, item))
    for event in events:
        at = max(event.received_at, started.get(event.stream_id, 0.0))
        item = TimelineEntry(event.received_at, TimelineKind.CALLBACK, _callback_text(event))
        keyed.append((at, 1, event.id, item))
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    return [k[3] for k in keyed]


def timeline_line(entry: TimelineEntry) -> str:
    """One entry as the pane shows it: local time, who said it, what."""
    clock = time.strftime("%H:%M:%S", time.localtime(entry.at))
    who = "console" if entry.kind is TimelineKind.ACTION else "Plivo"
    return clean_text(f"{clock}  {who:<7}  {entry.text}", MAX_LINE_CHARS)
