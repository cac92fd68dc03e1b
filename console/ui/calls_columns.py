"""The calls table's columns and the sort keys the model keeps per row."""

from __future__ import annotations

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


def sort_key(
    column: Column, values: tuple[str, str, str, str, str, float | None, str], uuid_: str, n: int
) -> Any:
    if column in (Column.STARTED, Column.DURATION):
        start = values[5]
        key: Any = (start is None, start or 0.0)
        if column is Column.DURATION:  # longest first when ascending by duration
            key = (start is None, -(start or 0.0))
        return (key, uuid_)
    if column is Column.STREAMS:
        return (n, uuid_)
    text = {
        Column.FROM: values[0],
        Column.TO: values[1],
        Column.DIRECTION: values[2],
        Column.CALLER: values[3],
        Column.STATUS: values[4],
    }[column]
    return (text.lower(), uuid_)


class Descending:
    """A sort key compared in reverse, so one ascending `keys` list serves both orders."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: Descending) -> bool:
        result: bool = other.key < self.key
        return result

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)
