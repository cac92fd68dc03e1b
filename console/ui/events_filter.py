"""Which events the pane shows, and how hostile callback text is made safe to display.

The event log filters stored events itself (off the GUI loop); `matches` applies the same rules to
events arriving live, so a row that a reload would not show never flashes into the table.
Everything in a callback comes from outside: `cell_text` keeps a cell to one short line and
`tooltip_html` escapes text for tooltips, which Qt would otherwise render as rich text.
"""

from __future__ import annotations

import html
import re

from console.domain.events import EventFilter, StoredEvent, Verdict

CELL_MAX = 200  # characters shown in one cell; the details panel shows the rest
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def is_rejected(event: StoredEvent) -> bool:
    """Refused requests and replays live apart from the accepted events, in their own view."""
    return event.verdict is not Verdict.ACCEPTED


def matches(flt: EventFilter, event: StoredEvent) -> bool:
    """True when `event` belongs in a list filtered by `flt` (the event log's rules)."""
    if flt.rejected != is_rejected(event):
        return False
    if flt.events and event.event not in flt.events:
        return False
    if flt.call_uuid and event.call_uuid != flt.call_uuid:
        return False
    if flt.stream_id and flt.stream_id.casefold() not in event.stream_id.casefold():
        return False  # any part of the ID, as the log matches it: tables show shortened IDs
    if flt.since is not None and event.received_at < flt.since:
        return False
    if flt.text:  # the log searches the parameters' names and values, ignoring case
        needle = flt.text.casefold()
        return any(
            needle in k.casefold() or needle in v.casefold() for k, v in event.params.items()
        )
    return True


def cell_text(value: str, limit: int = CELL_MAX) -> str:
    """One line, no control or direction-override characters, at most `limit` characters."""
    flat = _CONTROL.sub(" ", value)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def tooltip_html(text: str) -> str:
    """Tooltips guess rich text from the content: escape it and say it is rich text, so that
    `<b>` in a parameter shows as `<b>`, never as bold (nor as `&lt;b&gt;`)."""
    return f'<p style="white-space:pre-wrap">{html.escape(text)}</p>'
