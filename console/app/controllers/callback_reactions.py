"""The rest of the screen reacts to status callbacks (docs/callbacks.md): a committed StartStream,
StopStream, DroppedStream or DegradedStream updates the streams table and the calls list's count
at once (the periodic refresh still reconciles with Plivo's list), a drop's reason replaces "reason
not known" everywhere, trouble on a stream of ours raises a banner (and a desktop notification
when the window is not active), and the selected call's timeline follows."""

from __future__ import annotations

import logging

from console.app.controllers.events import EventFeed
from console.app.controllers.streams import StreamsController
from console.app.runtime.tasks import TaskRunner
from console.app.services.notices import Notices
from console.domain.activity import ActivityEntry
from console.domain.events import EventFilter, EventReader, StoredEvent
from console.domain.failure_words import explain
from console.domain.numbers import display_number
from console.domain.timeline import (
    StreamChange,
    StreamState,
    build_timeline,
    clean_text,
    stream_change,
    timeline_line,
)
from console.ui.banners import Level
from console.ui.call_pane import CallPane
from console.ui.calls_view import CallsView

_log = logging.getLogger(__name__)
NO_REASON = "dropped; Plivo's callback gave no reason"
TIMELINE_LIMIT = 200


class CallbackReactions:
    def __init__(
        self,
        pane: CallPane,
        calls: CallsView,
        streams: StreamsController,
        notices: Notices,
        tasks: TaskRunner,
    ) -> None:
        self.pane = pane
        self.calls = calls
        self.streams = streams
        self.notices = notices
        self.tasks = tasks
        self.reader: EventReader | None = None
        self.feed: EventFeed | None = None
        self._ended: set[str] = set()  # streams whose end was counted (calls not shown)
        self._started: set[str] = set()  # streams whose start was counted (calls not shown)
        calls.call_selected.connect(lambda _uuid: self.refresh_timeline())
        streams.recorded.connect(self._on_recorded)

    def bind(self, reader: EventReader | None, feed: EventFeed | None) -> None:
        """Follow `feed`'s commits and read `reader` for timelines (None, None: no receiver)."""
        if self.feed is not None:
            self.feed.events_committed.disconnect(self.on_events)
        self.reader, self.feed = reader, feed
        if feed is not None:
            feed.events_committed.connect(self.on_events)
        if reader is not None:  # unbinding (shutting down) starts no reads
            self.refresh_timeline()

    # --- callbacks --------------------------------------------------------------------------
    def on_events(self, events: list[StoredEvent]) -> None:
        """Committed callbacks, oldest first. One bad event is logged and skipped."""
        timeline = False
        for event in events:
            try:
                change = stream_change(event)
                if change is not None:
                    self.apply(change)
                    timeline = timeline or self._showing(change.call_uuid)
                elif self._showing(event.call_uuid):
                    timeline = True
            except Exception:
                _log.exception("could not apply a status callback to the screen")
        if timeline:
            self.refresh_timeline()

    def apply(self, change: StreamChange) -> None:
        sid, call_uuid = change.stream_id, change.call_uuid
        pane = self.pane
        showing = self._showing(call_uuid)
        reason = change.reason or NO_REASON
        note = ""
        if change.state is StreamState.FAILED:
            pane.set_failure_reason(sid, reason)  # kept for when the call is shown again
        if change.state is StreamState.DEGRADED:
            pct = change.buffer_percent
            note = f"buffer {pct}% full" if pct is not None else "buffer filling"
        status = "" if change.state is StreamState.DEGRADED else change.state.value
        in_table = showing and pane.set_live_status(sid, status, note)
        if in_table:
            self.calls.set_stream_count(call_uuid, pane.active_stream_count())
        else:
            self._count_elsewhere(change)
        if change.state is StreamState.FAILED:
            pane.stream_ended(call_uuid, sid, "failed", reason)
            url = self._url(sid) if in_table else ""
            self.tasks.run(
                f"note-failure-{sid}",
                self.streams.note_failure(call_uuid, sid, reason, url),
                preempt=False,
            )
        elif change.state is StreamState.STOPPED:
            pane.stream_ended(call_uuid, sid, "stopped")
        if change.state in (StreamState.FAILED, StreamState.DEGRADED) and self.streams.is_ours(sid):
            self._alert(change, reason, note)

    def _count_elsewhere(self, change: StreamChange) -> None:
        """A call not shown: its count moves by one per stream start or end seen (once each)."""
        count = self.calls.stream_count(change.call_uuid)
        if count is None:
            return
        sid = change.stream_id
        if change.active and change.state is StreamState.IN_PROGRESS:
            if sid in self._started or sid in self._ended or self.streams.is_ours(sid):
                return  # counted by the list already (started here), or over
            self._started.add(sid)
            self.calls.set_stream_count(change.call_uuid, count + 1)
        elif not change.active and sid not in self._ended:
            self._ended.add(sid)
            self.calls.set_stream_count(change.call_uuid, max(count - 1, 0))

    def _alert(self, change: StreamChange, reason: str, note: str) -> None:
        label = self._call_label(change.call_uuid)
        words = explain(reason)
        if change.state is StreamState.FAILED:
            level, text = Level.ERROR, f"A stream on the call {label} dropped: {words.plain}"
            title = "Stream dropped"
        else:
            level, text = Level.WARNING, f"A stream on the call {label} is falling behind: {note}."
            title = "Stream degraded"
        detail = f"Stream {clean_text(change.stream_id, 80)} · call {clean_text(change.call_uuid)}"
        if words.technical and change.state is StreamState.FAILED:
            detail += f"\nTechnical detail: {words.technical}"
        key = "stream_" + "".join(c for c in change.stream_id[:64] if c.isalnum() or c == "-")
        self.notices.problem(key, level, text, detail)
        self.notices.desktop(title, text)

    def _call_label(self, call_uuid: str) -> str:
        numbers = self.calls.call_numbers(call_uuid)
        if numbers is None:
            return clean_text(call_uuid, 80)
        frm = display_number(numbers[0]) or "unknown"
        to = display_number(numbers[1]) or "unknown"
        return clean_text(f"{frm} → {to}", 120)

    def _url(self, stream_id: str) -> str:
        return self.pane.stream_url(stream_id)

    def _showing(self, call_uuid: str) -> bool:
        call = self.pane.call
        return bool(call_uuid) and call is not None and call.call_uuid == call_uuid

    # --- timeline ---------------------------------------------------------------------------
    def _on_recorded(self, entry: ActivityEntry) -> None:
        if self._showing(entry.call_uuid):
            self.refresh_timeline()

    def refresh_timeline(self) -> None:
        call = self.pane.call
        if call is None:
            return
        try:
            self.tasks.run("call-timeline", self.load_timeline(call.call_uuid))
        except RuntimeError:  # shutting down
            return

    async def load_timeline(self, call_uuid: str) -> list[str]:
        """Read the call's actions and callbacks, join them, show them if still selected."""
        activity, reader = self.streams.activity, self.reader
        actions = await activity.for_call(call_uuid, TIMELINE_LIMIT) if activity else []
        events: list[StoredEvent] = []
        if reader is not None:
            newest = await reader.newest(EventFilter(call_uuid=call_uuid), limit=TIMELINE_LIMIT)
            events = list(reversed(newest))
        lines = [timeline_line(entry) for entry in build_timeline(actions, events)]
        if self._showing(call_uuid):
            self.pane.set_timeline(lines)
        return lines
