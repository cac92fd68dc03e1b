"""The calls table's columns and the sort keys the model keeps per row."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any


class Column(IntEnum):
    FROM = 0
    TO = 1
    DIRECTION = 2
    CALLER = 3
    STATUS = 4
    STARTED = 5
    DURATION = 6
    STREAMS = 7


HEADERS = {
    Column.FROM: "From",
    Column.TO: "To",
    Column.DIRECTION: "Direction",
    Column.CALLER: "Caller name",
    Column.STATUS: "Status",
    Column.STARTED: "Started",
    Column.DURATION: "Duration",
    Column.STREAMS: "Streams",
}


# Which of a row's values (CallsTableModel._values) each text column sorts by.
_TEXT_VALUE = {
    Column.FROM: 0,
    Column.TO: 1,
    Column.DIRECTION: 2,
    Column.CALLER: 3,
    Column.STATUS: 4,
}
_START_VALUE = 5


def sort_keys(
    column: Column,
    values: Sequence[Sequence[Any]],
    uuids: Sequence[str],
    streams: Sequence[int],
) -> list[Any]:
    """Every row's sort key by `column`, from the model's columns (`values[i]` holds the i-th
    value of every row): one comprehension, since a function call per row costs ~0.1 s at
    10,000 rows. Keys end with the call's uuid, so no two are equal and plain keys with
    Python's `reverse` give both orders."""
    if column in (Column.STARTED, Column.DURATION):
        starts = values[_START_VALUE]
        if column is Column.STARTED:
            return [((s is None, s or 0.0), u) for s, u in zip(starts, uuids, strict=True)]
        # Longest first when ascending by duration.
        return [((s is None, -(s or 0.0)), u) for s, u in zip(starts, uuids, strict=True)]
    if column is Column.STREAMS:
        return list(zip(streams, uuids, strict=True))
    texts = values[_TEXT_VALUE[column]]
    return [(text.lower(), u) for text, u in zip(texts, uuids, strict=True)]
