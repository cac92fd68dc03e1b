"""What the log keeps of a request it refused: enough to see what was tried, bounded in bytes.

A sender who proved nothing (no signature, a forged one, a replay) must not decide how much we
store: 58 headers of 4 KB each, kept in full, let 12,800 requests grow a log to 2.5 GB. So a
refused request is kept with its first headers and parameters only, each name and value cut, the
whole within `REFUSED_ROW_MAX_BYTES`, and the detail says what was left out. The stores bound
the number of such rows by their own byte budget (docs/callbacks.md, "What is kept").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

from console.domain.events import StoredEvent

NAME_CHARS = 64  # a header or parameter name is cut here
VALUE_CHARS = 256  # ... and its value here
HEADERS_BYTES = 2_048  # the headers' JSON text, at most
PARAMS_BYTES = 1_536  # the parameters' JSON text, at most
URL_CHARS = 512
DETAIL_CHARS = 300
# JSON text of a refused row at most (headers, parameters, URL, detail, and the short columns);
# measured with every non-ASCII character escaped, an upper bound for the UTF-8 stored.
REFUSED_ROW_MAX_BYTES = 5_120


def _first_pairs(mapping: Mapping[str, str], budget: int) -> tuple[dict[str, str], int, bool]:
    """The leading pairs that fit `budget` bytes of JSON, each cut; how many were left out, and
    whether any value was cut."""
    kept: dict[str, str] = {}
    used = 2  # the braces
    cut = False
    for index, (name, value) in enumerate(mapping.items()):
        short_name, short_value = name[:NAME_CHARS], value[:VALUE_CHARS]
        cut = cut or len(short_name) < len(name) or len(short_value) < len(value)
        size = len(json.dumps(short_name)) + len(json.dumps(short_value)) + 2  # ':' and ','
        if used + size > budget:
            return kept, len(mapping) - index, cut
        kept[short_name] = short_value
        used += size
    return kept, 0, cut


def bounded_refusal(event: StoredEvent) -> StoredEvent:
    """`event` as the refused record keeps it (see the module's docstring)."""
    headers, headers_left, headers_cut = _first_pairs(event.headers, HEADERS_BYTES)
    params, params_left, params_cut = _first_pairs(event.params, PARAMS_BYTES)
    notes = []
    if headers_left:
        notes.append(f"{headers_left} more header(s) not kept")
    if params_left:
        notes.append(f"{params_left} more parameter(s) not kept")
    if headers_cut or params_cut:
        notes.append(f"names cut at {NAME_CHARS} and values at {VALUE_CHARS} characters")
    detail = event.detail[:DETAIL_CHARS] + (f" ({'; '.join(notes)})" if notes else "")
    return replace(
        event,
        event=event.event[:NAME_CHARS],
        call_uuid=event.call_uuid[:NAME_CHARS],
        stream_id=event.stream_id[:NAME_CHARS],
        account=event.account[:NAME_CHARS],
        source=event.source[:NAME_CHARS],
        method=event.method[:16],
        url=event.url[:URL_CHARS],
        params=params,
        headers=headers,
        detail=detail,
    )
