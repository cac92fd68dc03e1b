"""Plivo's `extra_headers`: `k1=v1,k2=v2`, keys and values `[A-Za-z0-9]` only, at most 512 bytes
(docs/stream-form.md; Node SDK doc comment; Plivo's audiostream XML page).

Agents paste this string from Plivo's docs or a colleague's message, so the parser works on the
text exactly as typed and reports every issue with the character ranges to highlight. The lenient
`split_entries`/`join_entries` pair backs the key/value table editor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.domain.stream_params import EXTRA_HEADERS_MAX_BYTES
from console.domain.urls import describe_char

_ALLOWED = re.compile(r"[A-Za-z0-9]")

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class HeaderPair:
    key: str
    value: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class HeaderIssue:
    code: str
    message: str
    spans: tuple[Span, ...]
    is_error: bool = True


@dataclass(frozen=True, slots=True)
class ParsedExtraHeaders:
    """The outcome of parsing: the well-formed pairs, every issue, and the byte count Plivo
    checks against its 512-byte limit (of the text without surrounding whitespace)."""

    text: str
    pairs: tuple[HeaderPair, ...]
    issues: tuple[HeaderIssue, ...]
    byte_count: int

    @property
    def ok(self) -> bool:
        return not any(issue.is_error for issue in self.issues)

    @property
    def invalid_spans(self) -> tuple[Span, ...]:
        return tuple(span for issue in self.issues if issue.is_error for span in issue.spans)


def byte_length(text: str) -> int:
    """UTF-8 length of what would be sent, without the surrounding whitespace we drop.
    Unpaired surrogates count as the three bytes they would take; never raises."""
    return len(text.strip().encode("utf-8", "surrogatepass"))


def _invalid_runs(text: str, offset: int) -> list[Span]:
    runs: list[Span] = []
    for index, char in enumerate(text):
        if _ALLOWED.fullmatch(char):
            continue
        position = offset + index
        if runs and runs[-1][1] == position:
            runs[-1] = (runs[-1][0], position + 1)
        else:
            runs.append((position, position + 1))
    return runs


def _names(chars: list[str]) -> str:
    return ", ".join(describe_char(c) for c in chars)


def parse_extra_headers(text: str) -> ParsedExtraHeaders:
    """Parse `k1=v1,k2=v2`. Offsets in spans refer to `text` as given. Never raises."""
    core = text.strip()
    lead = len(text) - len(text.lstrip())
    pairs: list[HeaderPair] = []
    issues: list[HeaderIssue] = []
    bad_chars: list[str] = []
    bad_spans: list[Span] = []
    if core:
        position = lead
        segments = core.split(",")
        for index, segment in enumerate(segments):
            start, end = position, position + len(segment)
            position = end + 1
            if segment == "":
                issues.append(_empty_entry(index, len(segments), start, lead, lead + len(core)))
                continue
            if "=" not in segment:
                issues.append(
                    HeaderIssue(
                        "extra_headers.missing_equals",
                        f"'{segment}' needs a value: write it as key=value.",
                        ((start, end),),
                    )
                )
                continue
            key, value = segment.split("=", 1)
            issues.extend(_missing_parts(segment, key, value, start, end))
            for part, offset in ((key, start), (value, start + len(key) + 1)):
                for char in part:
                    if not _ALLOWED.fullmatch(char) and char not in bad_chars:
                        bad_chars.append(char)
                bad_spans.extend(_invalid_runs(part, offset))
            pairs.append(HeaderPair(key, value, start, end))
    if bad_chars:
        issues.append(
            HeaderIssue(
                "extra_headers.invalid_characters",
                "Keys and values may contain only letters A-Z, a-z and digits 0-9; "
                f"remove {_names(bad_chars)}.",
                tuple(bad_spans),
            )
        )
    issues.extend(_duplicate_issues(pairs))
    count = byte_length(text)
    if count > EXTRA_HEADERS_MAX_BYTES:
        issues.append(
            HeaderIssue(
                "extra_headers.too_long",
                f"The headers take {count} bytes; Plivo accepts at most "
                f"{EXTRA_HEADERS_MAX_BYTES}: remove at least {count - EXTRA_HEADERS_MAX_BYTES}.",
                ((lead, lead + len(core)),),
            )
        )
    return ParsedExtraHeaders(text, tuple(pairs), tuple(issues), count)


def _empty_entry(index: int, segments: int, start: int, lead: int, stop: int) -> HeaderIssue:
    """An empty entry (two commas in a row, or one at either end); `stop` ends the text."""
    where = (
        "at the start"
        if index == 0
        else "at the end"
        if index == segments - 1
        else "between two commas"
    )
    return HeaderIssue(
        "extra_headers.empty_entry",
        f"There is an empty entry {where}; remove the extra comma.",
        ((max(start - 1, lead), min(start + 1, stop)),),
    )


def _missing_parts(segment: str, key: str, value: str, start: int, end: int) -> list[HeaderIssue]:
    issues: list[HeaderIssue] = []
    if not key:
        issues.append(
            HeaderIssue(
                "extra_headers.missing_key",
                f"'{segment}' has no key before '='.",
                ((start, start + 1),),
            )
        )
    if not value:
        issues.append(
            HeaderIssue(
                "extra_headers.missing_value",
                f"'{segment}' has no value after '='.",
                ((start, end),),
            )
        )
    return issues


def _duplicate_issues(pairs: list[HeaderPair]) -> list[HeaderIssue]:
    issues: list[HeaderIssue] = []
    first_exact: dict[str, HeaderPair] = {}
    first_folded: dict[str, HeaderPair] = {}
    for pair in pairs:
        if not pair.key:
            continue
        span = ((pair.start, pair.start + len(pair.key)),)
        if pair.key in first_exact:
            issues.append(
                HeaderIssue(
                    "extra_headers.duplicate_key",
                    f"The key '{pair.key}' appears more than once; keep one of them.",
                    span,
                )
            )
            continue
        first_exact[pair.key] = pair
        folded = pair.key.casefold()
        if folded in first_folded:
            other = first_folded[folded].key
            issues.append(
                HeaderIssue(
                    "extra_headers.case_duplicate",
                    f"'{pair.key}' and '{other}' differ only in upper/lower case; the receiving "
                    "service may treat them as the same key.",
                    span,
                    is_error=False,
                )
            )
        else:
            first_folded[folded] = pair
    return issues


def split_entries(text: str) -> list[tuple[str, str]]:
    """Lenient split for the table editor: every comma-separated entry becomes a row, even a
    malformed one (no '=' gives an empty value). Surrounding whitespace is dropped."""
    core = text.strip()
    if not core:
        return []
    rows: list[tuple[str, str]] = []
    for segment in core.split(","):
        key, _, value = segment.partition("=")
        rows.append((key, value))
    return rows


def join_entries(rows: list[tuple[str, str]]) -> str:
    """The table's rows back to Plivo's `k1=v1,k2=v2`; rows with neither key nor value are
    skipped, so an empty row being edited does not add a stray comma."""
    return ",".join(f"{key}={value}" for key, value in rows if key or value)
