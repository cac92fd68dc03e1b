"""What the SQLite and PostgreSQL event logs share: the columns, one event as column values and
back, the SQL condition for a filter, the retention defaults, and the listener fan-out.

Parameters and headers are stored as JSON text exactly as `to_json` writes it (key order kept),
in both databases, so the free-text filter matches the same bytes in either.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from console.domain.compact_json import compact_json
from console.domain.events import EventFilter, StoredEvent, Verdict
from console.domain.refused import REFUSED_ROW_MAX_BYTES

log = logging.getLogger(__name__)

COLUMNS = (
    "received_at, event, call_uuid, stream_id, account, source, verdict, method, url, "
    "params, headers, detail"
)

DAY_S = 86_400.0
DEFAULT_MAX_AGE_S = 30 * DAY_S
DEFAULT_MAX_REJECTED = 10_000
# Bytes the refused record may hold (refused requests and replays, each cut to at most
# REFUSED_ROW_MAX_BYTES): its own budget, pruned on its own; events never make room for it.
DEFAULT_MAX_REJECTED_BYTES = 32 * 1024 * 1024
NONCE_MIN_AGE_S = DAY_S  # replays are recognised for at least a day, whatever the retention
MAX_NONCES = 2_000_000
PRUNE_BATCH = 5_000
MAINTENANCE_INTERVAL_S = 60.0

Row = tuple[Any, ...]
Listener = Callable[[list[StoredEvent]], None]


@dataclass(frozen=True, slots=True)
class Appended:
    """What `append` did: the stored event (the original one for a replay) and whether the
    request was an exact replay of an event already kept."""

    event: StoredEvent
    replay: bool
    conflict: bool = False  # the nonce was used by a request with other content: a forgery


def rejected_rows_cap(max_rejected: int, max_rejected_bytes: int) -> int:
    """Rows the refused record keeps: its row cap, or fewer so that rows of the largest size a
    refused request is cut to still fit its byte budget."""
    return max(1, min(max_rejected, max_rejected_bytes // REFUSED_ROW_MAX_BYTES))


def full_reason(kept: str, limit: str) -> str:
    """What the stores say when callbacks fill their budget (the status bar, `receive`)."""
    return (
        f"the event log is full ({kept} of callbacks, limit {limit}): new callbacks are answered "
        "503 so Plivo tries them again later, and nothing kept is deleted to make room; older "
        "events leave as they pass the retention age, or raise the limit"
    )


def clean(text: str) -> str:
    """Text a database can store: undecodable bytes smuggled in as surrogates become U+FFFD."""
    if text.isascii():  # the hot path: Plivo's parameters and headers are ASCII
        return text
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def to_json(mapping: Mapping[str, str]) -> str:
    """Every pair verbatim as compact JSON (a NUL becomes `\\u0000`, which PostgreSQL text and
    SQLite both keep)."""
    text = compact_json(mapping)
    if text.isascii():  # the hot path: one C call, no per-string cleaning
        return text
    return compact_json({clean(k): clean(v) for k, v in mapping.items()})


def event_values(e: StoredEvent) -> tuple[Any, ...]:
    """The values for `COLUMNS`, in order."""
    texts = (e.event, e.call_uuid, e.stream_id, e.account, e.source, e.method, e.url, e.detail)
    if "".join(texts).isascii():  # the hot path: nothing to clean, one check instead of eight
        return (
            e.received_at,
            e.event,
            e.call_uuid,
            e.stream_id,
            e.account,
            e.source,
            e.verdict.value,
            e.method,
            e.url,
            to_json(e.params),
            to_json(e.headers),
            e.detail,
        )
    return (
        e.received_at,
        clean(e.event),
        clean(e.call_uuid),
        clean(e.stream_id),
        clean(e.account),
        clean(e.source),
        e.verdict.value,
        clean(e.method),
        clean(e.url),
        to_json(e.params),
        to_json(e.headers),
        clean(e.detail),
    )


def row_to_event(row: Row) -> StoredEvent:
    """A row `SELECT id, <COLUMNS>` back into a StoredEvent."""
    (ident, at, event, call_uuid, stream_id, account, source, verdict, method, url) = row[:10]
    params, headers, detail = row[10:13]
    try:
        verdict_value = Verdict(verdict)
    except ValueError:
        verdict_value = Verdict.MALFORMED
    return StoredEvent(
        id=int(ident),
        received_at=float(at),
        event=event,
        call_uuid=call_uuid,
        stream_id=stream_id,
        account=account,
        source=source,
        verdict=verdict_value,
        method=method,
        url=url,
        params=json.loads(params),
        headers=json.loads(headers),
        detail=detail,
    )


TextIndex = Callable[[str], tuple[str, list[Any]]]


def where(
    flt: EventFilter, *, mark: str = "?", like: str = "LIKE", text_index: TextIndex | None = None
) -> tuple[str, list[Any]]:
    """The SQL condition (`1=1` when none) and its arguments for a filter. `mark` is the
    driver's placeholder (`?` for sqlite3, `%s` for psycopg); `like` the case-insensitive match
    (SQLite's LIKE ignores ASCII case; PostgreSQL needs ILIKE). `text_index(needle)`, when given,
    adds a condition that narrows a free-text search by an index before LIKE confirms it."""
    clauses: list[str] = []
    args: list[Any] = []
    if flt.events:
        clauses.append(f"event IN ({','.join([mark] * len(flt.events))})")
        args.extend(sorted(flt.events))
    if flt.call_uuid:
        clauses.append(f"call_uuid = {mark}")
        args.append(flt.call_uuid)
    if flt.stream_id:  # any part of the ID: tables show shortened ones (docs/events-pane.md)
        clauses.append(f"stream_id {like} {mark} ESCAPE '\\'")
        args.append(substring_pattern(flt.stream_id))
    if flt.since is not None:
        clauses.append(f"received_at >= {mark}")
        args.append(flt.since)
    if flt.text:
        needle = text_needle(flt.text)
        if text_index is not None and not flt.rejected:
            clause, clause_args = text_index(needle)
            if clause:
                clauses.append(clause)
                args.extend(clause_args)
        clauses.append(f"params {like} {mark} ESCAPE '\\'")
        args.append(substring_pattern(needle))
    return (" AND ".join(clauses) or "1=1"), args


def text_needle(text: str) -> str:
    """The free text as it stands in the stored parameters: they are JSON, so quotes, backslashes
    and control characters are escaped the same way."""
    return clean(json.dumps(text, ensure_ascii=False)[1:-1])


def substring_pattern(needle: str) -> str:
    """A LIKE pattern (with `ESCAPE '\\'`) for text holding `needle` anywhere."""
    return f"%{_literal(needle)}%"


def _literal(needle: str) -> str:
    """`needle` as a LIKE pattern matching only itself (its `%`, `_` and `\\` escaped)."""
    return needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def notify(listeners: list[Listener], events: list[StoredEvent]) -> None:
    """Hand `events` to every listener; one failing listener stops neither the others nor the
    caller (the receiver, or a database subscription)."""
    if not events:
        return
    for listener in list(listeners):
        try:
            listener(events)
        except Exception:
            log.exception("event log listener failed")
