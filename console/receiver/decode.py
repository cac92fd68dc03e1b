"""Turning a callback's form body or query string into parameters, strictly (docs/callbacks.md).

Plivo sends `application/x-www-form-urlencoded` UTF-8. Anything that does not decode exactly
(bad `%` escapes, bytes that are not UTF-8, control characters, absurd parameter counts) is
refused as malformed instead of being guessed at: a guessed parameter could not be verified
against the signature anyway, and the log keeps only what was really sent.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

MAX_BODY_BYTES = 16 * 1024
MAX_PARAMS = 200
FORM_TYPE = "application/x-www-form-urlencoded"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Malformed(ValueError):
    """The request cannot be read as parameters; the message says why (shown to operators)."""


def _decode_part(raw: str) -> str:
    if "%" not in raw:
        return raw.replace("+", " ") if "+" in raw else raw  # the common case for ids and names
    try:
        text = unquote_to_bytes(raw.replace("+", " ")).decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        raise Malformed("a parameter is not valid UTF-8") from exc
    if _CONTROL.search(text):  # one only an escape could have smuggled in
        raise Malformed("a control character in a parameter")
    return text


def parse_form(raw: str) -> list[tuple[str, str]]:
    """Pairs in the order sent; blank values kept. Raises Malformed."""
    if not raw.isascii():
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError as exc:  # undecodable bytes the HTTP layer let through
            raise Malformed("the request is not valid UTF-8") from exc
    if "%" in raw and _BAD_ESCAPE.search(raw):
        raise Malformed("a bad %-escape")
    if _CONTROL.search(raw):
        raise Malformed("a control character in a parameter")
    pairs: list[tuple[str, str]] = []
    if not raw:
        return pairs
    for part in raw.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        if not key:
            raise Malformed("a parameter without a name")
        pair = (_decode_part(key), _decode_part(value))
        if not pair[0]:
            raise Malformed("a parameter without a name")
        pairs.append(pair)
        if len(pairs) > MAX_PARAMS:
            raise Malformed(f"more than {MAX_PARAMS} parameters")
    return pairs


def body_text(body: bytes) -> str:
    """The body as text: form bodies are ASCII in practice, UTF-8 at most. Raises Malformed."""
    try:
        return body.decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        raise Malformed("the body is not valid UTF-8") from exc


def content_type_ok(header: str | None) -> bool:
    """True for the form type, with no charset or a UTF-8 one."""
    if not header:
        return False
    mime, _, rest = header.partition(";")
    if mime.strip().lower() != FORM_TYPE:
        return False
    for param in rest.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return True


def grouped(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """For the signature: a repeated key keeps all its values (Plivo sorts them)."""
    out: dict[str, str | list[str]] = {}
    for key, value in pairs:
        if key in out:
            previous = out[key]
            out[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[key] = value
    return out


def flat(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """For the log: one value per key; a repeated key's values are joined with ',' in the order
    sent (Plivo is not known to repeat keys in a status callback)."""
    out: dict[str, str] = {}
    for key, value in pairs:
        out[key] = f"{out[key]},{value}" if key in out else value
    return out
