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
    check_form(raw)
    if not raw:
        return []
    at_once = _decoded_at_once(raw)
    return at_once if at_once is not None else _decoded_by_part(raw)


def check_form(raw: str) -> None:
    """What the whole form must be before its parts are read. Raises Malformed."""
    if not raw.isascii():
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError as exc:  # undecodable bytes the HTTP layer let through
            raise Malformed("the request is not valid UTF-8") from exc
    if "%" in raw and _BAD_ESCAPE.search(raw):
        raise Malformed("a bad %-escape")
    if _CONTROL.search(raw):
        raise Malformed("a control character in a parameter")


def _decoded_by_part(raw: str) -> list[tuple[str, str]]:
    """Part by part, in order: the first fault found is the one reported."""
    pairs: list[tuple[str, str]] = []
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


def _decoded_at_once(raw: str) -> list[tuple[str, str]] | None:
    """The pairs of a well-formed form, every name and value decoded by one `unquote_to_bytes`
    call (one per part took about half as long again); None when anything is off (a name
    missing, too many parameters, bad UTF-8, a control character, a line break anywhere), and
    the part-by-part reading then says exactly what. Line breaks separate the parts while they
    are decoded: a form holding one is read part by part, a decoded `%0A` makes a part too many."""
    if "\n" in raw:
        return None
    pieces: list[str] = []
    for part in raw.split("&"):
        if part:
            key, _, value = part.partition("=")
            if not key:
                return None
            pieces += (key, value)
    if len(pieces) > 2 * MAX_PARAMS:
        return None
    text = "\n".join(pieces).replace("+", " ")
    if "%" in text:
        try:
            text = unquote_to_bytes(text).decode("utf-8", "strict")
        except UnicodeDecodeError:
            return None
        if _CONTROL.search(text):
            return None
    parts = text.split("\n")
    if len(parts) != len(pieces):
        return None
    return list(zip(parts[::2], parts[1::2], strict=True))


def body_text(body: bytes) -> str:
    """The body as text: form bodies are ASCII in practice, UTF-8 at most. Raises Malformed."""
    try:
        return body.decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        raise Malformed("the body is not valid UTF-8") from exc


def content_type_ok(header: str | None) -> bool:
    """True for the form type, with no charset or a UTF-8 one."""
    if header == FORM_TYPE:  # what Plivo sends: no parsing needed
        return True
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
