"""Stored events written out as JSON Lines or CSV, page by page, to a file that appears only when
complete (written as `name.part`, then renamed).

JSON Lines keeps every value exactly as received. CSV is for spreadsheets, which run a cell that
starts with `=`, `+`, `-` or `@` as a formula; callback text is hostile, so such a cell gets a
leading `'` (the usual guard; the JSON Lines export is the verbatim record).
"""

from __future__ import annotations

import asyncio
import csv
import json
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import IO

from console.domain.events import EventFilter, EventReader, StoredEvent

FORMATS = ("jsonl", "csv")
EXPORT_PAGE = 1000
CSV_HEADER = [
    "id",
    "received_at_utc",
    "event",
    "call_uuid",
    "stream_id",
    "verdict",
    "detail",
    "account",
    "source",
    "method",
    "url",
    "params_json",
    "headers_json",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def utc_text(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"


def as_record(event: StoredEvent) -> dict[str, object]:
    return {
        "id": event.id,
        "received_at": event.received_at,
        "received_at_utc": utc_text(event.received_at),
        "event": event.event,
        "call_uuid": event.call_uuid,
        "stream_id": event.stream_id,
        "verdict": event.verdict.value,
        "detail": event.detail,
        "account": event.account,
        "source": event.source,
        "method": event.method,
        "url": event.url,
        "params": dict(event.params),
        "headers": dict(event.headers),
    }


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_row(event: StoredEvent) -> list[str]:
    values = [
        str(event.id),
        utc_text(event.received_at),
        event.event,
        event.call_uuid,
        event.stream_id,
        event.verdict.value,
        event.detail,
        event.account,
        event.source,
        event.method,
        event.url,
        json.dumps(dict(event.params), ensure_ascii=False),
        json.dumps(dict(event.headers), ensure_ascii=False),
    ]
    return [_safe_cell(v) for v in values]


class _Writer:
    def __init__(self, fmt: str, out: IO[str]) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r}")
        self.fmt = fmt
        self.out = out
        self.csv = csv.writer(out) if fmt == "csv" else None
        if self.csv is not None:
            self.csv.writerow(CSV_HEADER)

    def write(self, events: Iterable[StoredEvent]) -> int:
        count = 0
        for event in events:
            if self.csv is not None:
                self.csv.writerow(csv_row(event))
            else:
                self.out.write(json.dumps(as_record(event), ensure_ascii=False) + "\n")
            count += 1
        return count


async def pages(reader: EventReader, flt: EventFilter) -> AsyncIterator[list[StoredEvent]]:
    """Every event matching `flt`, newest first, a page at a time (keyset paging)."""
    before: int | None = None
    while True:
        page = await reader.newest(flt, before_id=before, limit=EXPORT_PAGE)
        if page:
            yield page
        if len(page) < EXPORT_PAGE:
            return
        before = page[-1].id


async def write_events(
    target: Path, fmt: str, source: Iterable[StoredEvent] | AsyncIterator[list[StoredEvent]]
) -> int:
    """Write `source` (a list, or pages) to `target`; returns how many events. The file work runs
    in a worker thread so a large export never stalls the window."""
    part = target.with_name(target.name + ".part")
    out = await asyncio.to_thread(part.open, "w", encoding="utf-8", newline="")
    try:
        writer = _Writer(fmt, out)
        if isinstance(source, AsyncIterator):
            count = 0
            async for page in source:
                count += await asyncio.to_thread(writer.write, page)
        else:
            count = await asyncio.to_thread(writer.write, list(source))
        await asyncio.to_thread(out.close)
        await asyncio.to_thread(part.replace, target)
    except BaseException:
        out.close()
        part.unlink(missing_ok=True)
        raise
    return count
