"""The details of one event: the verdict, every parameter and every header, as plain text.

Plivo does not publish its full parameter list, so nothing is picked out or hidden: the agent sees
exactly what arrived. The text goes into a read-only QPlainTextEdit, which never renders markup.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from console.domain.events import EventFilter, StoredEvent, Verdict
from console.domain.failure_words import explain
from console.ui.events_filter import cell_text, is_rejected, matches

PROMPT = "Select an event to see every parameter, header and the verdict."
VALUE_MAX = 20_000  # characters of one value shown; longer values are cut with a note

_VERDICTS = {
    Verdict.ACCEPTED: "accepted: the signature matched the token of {account}",
    Verdict.REPLAY: "replay: an exact repeat of an accepted request, answered and stored once",
    Verdict.FORGED: "rejected: signed, but no known account's token gives that signature",
    Verdict.UNSIGNED: "rejected: no Plivo signature or nonce header",
    Verdict.MALFORMED: "rejected: the request could not be read",
}


def _value(text: str) -> str:
    if len(text) <= VALUE_MAX:
        return text
    return f"{text[:VALUE_MAX]}… ({len(text) - VALUE_MAX} more characters not shown)"


def details_text(event: StoredEvent) -> str:
    """Everything about one event, one `name: value` per line, in the order it was received."""
    at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(event.received_at))
    verdict = _VERDICTS.get(event.verdict, event.verdict.value).format(
        account=event.account or "a known account"
    )
    words = explain(event.error)  # the parameters below keep the text as Plivo sent it
    lines = [
        f"Verdict: {verdict}",
        *([f"Reason: {_value(event.detail)}"] if event.detail else []),
        *([f"In plain words: {words.plain}"] if words.technical else []),
        f"Received: {at}.{int(event.received_at * 1000) % 1000:03d} (local time)",
        f"From: {event.source}",
        f"Request: {event.method} {_value(event.url)}",
        "",
        f"Parameters ({len(event.params)}):",
        *(f"  {_value(k)} = {_value(v)}" for k, v in event.params.items()),
        "",
        f"Headers ({len(event.headers)}):",
        *(f"  {_value(k)}: {_value(v)}" for k, v in event.headers.items()),
    ]
    if not event.params:
        lines.insert(lines.index(f"Parameters ({len(event.params)}):") + 1, "  (none)")
    return "\n".join(lines)


class EventDetails(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown_event: StoredEvent | None = None  # the event shown, None when none is
        self.title = QLabel(PROMPT)
        self.title.setObjectName("event_details_title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("event_details")
        self.text.setAccessibleName("Event details")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)

    def show_event(self, event: StoredEvent | None) -> None:
        self.shown_event = event
        if event is None:
            self.title.setText(PROMPT)
            self.text.clear()
            return
        self.title.setText(_name(event))
        self.text.setPlainText(details_text(event))

    def follow_filter(self, flt: EventFilter) -> None:
        """The list now shows `flt`: an event shown here that the filters leave out must not look
        as if it were still listed (a reload clears the table's selection without a signal)."""
        event = self.shown_event
        if event is None or matches(flt, event):
            return
        self.shown_event = None
        self.title.setText(
            f"{_name(event)} is hidden by the filters. Select an event in the list, or change "
            "the filters to see it again."
        )
        self.text.clear()


def _name(event: StoredEvent) -> str:
    name = f"Rejected request #{event.id}" if is_rejected(event) else f"Event #{event.id}"
    return f"{name}: {cell_text(event.event) or '(no Event parameter)'}"
