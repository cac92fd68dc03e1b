"""Plivo JSON -> domain objects, leniently (docs/simulator.md).

Every field but the id is optional. Types are read the way the SDKs disagree about them:
booleans and durations may arrive as strings ("true", "60"), numbers as strings and strings as
numbers, `meta.count` or `meta.total_count`. A missing id or a body of the wrong shape raises
`ShapeError`, which the client turns into an `UnexpectedResponse` with the request's details.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from console.domain.calls import LiveCall, QueuedCall
from console.domain.streams import Stream, StreamStarted

Json = Mapping[str, object]


class ShapeError(ValueError):
    """The JSON parsed but is not what this endpoint returns."""


def text(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    return None


def integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, float):
        # Python's json accepts NaN and Infinity; neither is a count of seconds.
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() else round(value)
    return None


MAX_DURATION_S = 31 * 86_400  # no call or stream lasts a month: beyond this a value is noise
MAX_COUNT = 10**9


def bounded(value: object, upper: int) -> int | None:
    """`integer(value)` when it lies in [0, upper], else None: a count or a duration from the
    network is shown only if it could be true (a negative or 10**30 bill is not)."""
    number = integer(value)
    return number if number is not None and 0 <= number <= upper else None


def _id(obj: Json, key: str, fallback: str | None = None) -> str:
    value = text(obj.get(key)) or fallback
    if not value:
        raise ShapeError(f"the answer has no {key}")
    return value


def call_ids(obj: Json) -> list[str]:
    """`{"api_id": ..., "calls": [uuid, ...]}`; a missing or null list means no calls."""
    calls = obj.get("calls")
    if calls is None:
        return []
    if not isinstance(calls, list):
        raise ShapeError("`calls` is not a list")
    ids = [text(c) for c in calls]
    return [i for i in ids if i]


def _call_fields(obj: Json, call_uuid: str | None) -> dict[str, str | None]:
    """What live and queued calls share; `from`/`to` with the CDR spellings as fallbacks."""
    return {
        "call_uuid": _id(obj, "call_uuid", call_uuid),
        "from_number": text(obj.get("from", obj.get("from_number"))),
        "to_number": text(obj.get("to", obj.get("to_number"))),
        "direction": text(obj.get("direction", obj.get("call_direction"))),
        "caller_name": text(obj.get("caller_name")),
        "call_status": text(obj.get("call_status")),
        "request_uuid": text(obj.get("request_uuid")),
    }


def live_call(obj: Json, call_uuid: str | None = None) -> LiveCall:
    return LiveCall(
        **_call_fields(obj, call_uuid),  # type: ignore[arg-type]
        session_start=text(obj.get("session_start")),
        stir_verification=text(obj.get("stir_verification")),
        stir_attestation=text(obj.get("stir_attestation")),
    )


def queued_call(obj: Json, call_uuid: str | None = None) -> QueuedCall:
    return QueuedCall(**_call_fields(obj, call_uuid))  # type: ignore[arg-type]


def stream(obj: Json) -> Stream:
    return Stream(
        stream_id=_id(obj, "stream_id"),
        call_uuid=text(obj.get("call_uuid")),
        service_url=text(obj.get("service_url")),
        audio_track=text(obj.get("audio_track")),
        bidirectional=flag(obj.get("bidirectional")),
        status=text(obj.get("status")),
        start_time=text(obj.get("start_time")),
        end_time=text(obj.get("end_time")) or None,
        created_at=text(obj.get("created_at")),
        bill_duration=bounded(obj.get("bill_duration"), MAX_DURATION_S),
        rounded_bill_duration=bounded(obj.get("rounded_bill_duration"), MAX_DURATION_S),
        billed_amount=text(obj.get("billed_amount")),
        status_callback_url=text(obj.get("status_callback_url")),
        resource_uri=text(obj.get("resource_uri")),
        plivo_auth_id=text(obj.get("plivo_auth_id")),
    )


def stream_page(obj: Json) -> tuple[list[Stream], dict[str, str] | None]:
    """The streams of one list page, and the query of the next page if `meta.next` names one.
    Items without a stream id are skipped rather than failing the whole list."""
    objects = obj.get("objects")
    if objects is None:
        objects = []
    if not isinstance(objects, list):
        raise ShapeError("`objects` is not a list")
    streams = [stream(o) for o in objects if isinstance(o, dict) and text(o.get("stream_id"))]
    meta = obj.get("meta")
    following = meta.get("next") if isinstance(meta, dict) else None
    next_query = None
    if isinstance(following, str) and following:
        query = parse_qs(urlsplit(following).query)
        next_query = {k: v[0] for k, v in query.items() if k in ("limit", "offset") and v}
        if "offset" not in next_query:
            next_query = None
    return streams, next_query


def list_total(obj: Json) -> int | None:
    """`meta.total_count` (docs) or `meta.count` (SDK fixture), whichever is present."""
    meta = obj.get("meta")
    if not isinstance(meta, dict):
        return None
    for key in ("total_count", "count"):
        value = bounded(meta.get(key), MAX_COUNT)
        if value is not None:
            return value
    return None


def stream_started(obj: Json) -> StreamStarted:
    return StreamStarted(
        stream_id=_id(obj, "stream_id"),
        api_id=text(obj.get("api_id")),
        message=text(obj.get("message")),
    )
