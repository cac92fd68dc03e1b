"""Reading a request body the way a hardened server does: bounded, decoded strictly, flat.

One reader for the REST routes and the admin API, so every malformed body gets the same
Plivo-shaped answer (`PlivoError`), never an exception aiohttp would turn into a plain 500:

- more than `max_bytes` (declared or sent)       -> 413 "Request body too large"
- not all received within `timeout_s`            -> 408, and the connection is closed
- broken chunked transfer, or gzip/deflate data  -> 400 (the size limit applies after inflating)
- any other Content-Encoding                     -> 415
- a `charset` parameter that names no text codec -> 415 "Unsupported charset: ..."
- bytes that are not valid in the charset (UTF-8 unless the header names another), lone UTF-16
  surrogates in JSON strings included           -> 400 "Request body is not valid UTF-8"
- JSON nested deeper than `MAX_JSON_DEPTH`       -> 400 (Plivo's bodies are flat objects)
- more than `MAX_FORM_FIELDS` form fields        -> 413
"""

from __future__ import annotations

import asyncio
import codecs
import json
import zlib
from urllib.parse import parse_qsl

from aiohttp import web

from console.simulator.errors import PlivoError

MAX_JSON_DEPTH = 20
MAX_FORM_FIELDS = 1000
FORM = "application/x-www-form-urlencoded"
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


async def read_body(request: web.Request, max_bytes: int, timeout_s: float) -> bytes:
    """The whole body, or PlivoError (413, 408, 400) when it is too large, slow or broken."""
    if not request.can_read_body:
        return b""
    too_large = PlivoError(413, f"Request body too large (at most {max_bytes} bytes)")
    declared = request.content_length
    if declared is not None and declared > max_bytes:
        raise too_large
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    wbits = _WBITS.get(encoding)
    if wbits is None and encoding not in ("", "identity"):
        raise PlivoError(415, f"Unsupported content encoding: {encoding[:40]!r}")
    try:
        raw = await asyncio.wait_for(request.read(), timeout_s)
    except TimeoutError:
        raise PlivoError(408, "Request body not received in time") from None
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None
    except web.RequestPayloadError:
        raise PlivoError(400, "Request body is malformed (bad transfer encoding)") from None
    if wbits is None:
        return raw
    # Decompressed here, not by aiohttp: the limit applies to what it expands to (no zip bomb)
    # and an unknown encoding is a Plivo-shaped 415, not a plain-text 400 from the parser.
    inflater = zlib.decompressobj(wbits)
    try:
        body = inflater.decompress(raw, max_bytes + 1)
    except zlib.error:
        body = b""
    else:
        if len(body) > max_bytes:
            raise too_large
        if inflater.eof:
            return body
    raise PlivoError(400, f"Request body is not valid {encoding} data")


def _charset(request: web.Request) -> str:
    name = request.charset
    if not name:
        return "utf-8"
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise PlivoError(415, f"Unsupported charset: {name[:40]!r}")
    return info.name


def _text(raw: bytes, charset: str) -> str:
    try:
        return raw.decode(charset)
    except (UnicodeError, LookupError):
        raise PlivoError(400, f"Request body is not valid {charset.upper()}") from None


def _flat_and_encodable(data: object) -> None:
    """Depth at most MAX_JSON_DEPTH, and every string encodable as UTF-8 (JSON's `\\ud800`
    escapes can smuggle lone surrogates that no log, header or socket can carry)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise PlivoError(400, "Request body is not valid UTF-8 (lone surrogate)") from None
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise PlivoError(400, f"Request body is nested more than {MAX_JSON_DEPTH} deep")
            items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
            for key, item in items:
                if key is not None:
                    stack.append((key, depth))
                stack.append((item, depth + 1))


def parse_json(raw: bytes, charset: str = "utf-8") -> object:
    """Any JSON value, decoded strictly; PlivoError 400 for anything that is not JSON."""
    text = _text(raw, charset).removeprefix("\ufeff")
    try:
        data = json.loads(text)
    except RecursionError:
        raise PlivoError(400, f"Request body is nested more than {MAX_JSON_DEPTH} deep") from None
    except ValueError:
        raise PlivoError(400, "Request body is not valid JSON") from None
    _flat_and_encodable(data)
    return data


async def json_object(request: web.Request, max_bytes: int, timeout_s: float) -> dict[str, object]:
    """A JSON object body ({} when empty), for the admin API."""
    raw = await read_body(request, max_bytes, timeout_s)
    charset = _charset(request)
    if not raw.strip():
        return {}
    data = parse_json(raw, charset)
    if not isinstance(data, dict):
        raise PlivoError(400, "Request body must be a JSON object")
    return data


async def params(request: web.Request, max_bytes: int, timeout_s: float) -> dict[str, object]:
    """A start request's parameters: a form (`application/x-www-form-urlencoded`, values are
    strings) or a JSON object, as Plivo's SDKs send them ({} when empty)."""
    raw = await read_body(request, max_bytes, timeout_s)
    charset = _charset(request)
    if request.content_type == FORM:
        text = _text(raw, charset)
        try:
            pairs = parse_qsl(
                text,
                keep_blank_values=True,
                encoding=charset,
                errors="strict",
                max_num_fields=MAX_FORM_FIELDS,
            )
        except UnicodeError:
            raise PlivoError(400, f"Request body is not valid {charset.upper()}") from None
        except ValueError:
            raise PlivoError(413, f"Request body has more than {MAX_FORM_FIELDS} fields") from None
        return dict(pairs)
    if not raw.strip():
        return {}
    data = parse_json(raw, charset)
    if not isinstance(data, dict):
        raise PlivoError(400, "Request body must be a JSON object")
    return data
