"""What the calls list's search and direction filter let through.

Plain Python, no Qt: the calls model filters its own rows with this (a filter change is one list
comprehension over precomputed lower-case search strings, not a Python call per row from a
QSortFilterProxyModel), and the new-calls bar counts the held calls with the same rule, so the
count it gives is the number of rows the list would show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console.domain.calls import LiveCall
from console.domain.numbers import display_number


def search_key(call: LiveCall) -> str:
    """What a search looks in, lower-cased once per call rather than once per keystroke."""
    # Numbers as shown (with their +), so a number copied from the list is found again.
    parts = (display_number(call.from_number), display_number(call.to_number))
    return "\t".join((*parts, call.caller_name or "", call.call_uuid)).lower()


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Every word must appear in from, to, caller name or call UUID (any case); `direction` is
    "inbound", "outbound" or "" for both."""

    words: tuple[str, ...] = ()
    direction: str = ""

    @classmethod
    def of(cls, text: str, direction: str = "") -> CallFilter:
        return cls(tuple(text.lower().split()), direction)

    @property
    def active(self) -> bool:
        return bool(self.words or self.direction)

    def accepts(self, direction: str, key: str) -> bool:
        """A row by its direction and its `search_key`."""
        if self.direction and direction != self.direction:
            return False
        return all(word in key for word in self.words)

    def accepts_call(self, call: LiveCall) -> bool:
        return self.accepts(call.direction or "", search_key(call))

    def refines(self, other: CallFilter) -> bool:
        """True when every row this filter accepts, `other` accepts too (typing on: "44" to
        "441"), so this one need only look among the rows `other` accepted."""
        if other.direction and other.direction != self.direction:
            return False
        return all(any(old in word for word in self.words) for old in other.words)

    def rows(
        self, directions: Sequence[str], keys: Sequence[str], among: Sequence[int] | None = None
    ) -> list[int]:
        """The rows accepted, in order, given each row's direction and search key (`among`:
        only those rows, ascending, when the others are known not to match): one list
        comprehension per condition, never a function call per row."""
        words = list(self.words)
        if among is not None:
            rows = list(among)
        elif self.direction:
            wanted = self.direction
            rows = [row for row, way in enumerate(directions) if way == wanted]
        elif words:
            word = words.pop(0)
            rows = [row for row, key in enumerate(keys) if word in key]
        else:
            rows = list(range(len(keys)))
        if among is not None and self.direction:
            wanted = self.direction
            rows = [row for row in rows if directions[row] == wanted]
        for word in words:
            rows = [row for row in rows if word in keys[row]]
        return rows
