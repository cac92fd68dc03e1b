"""String literals for each target language, escaped so that any text survives: quotes,
backslashes, interpolation sigils (`$`, `#{`), control characters and non-ASCII.

Each function returns the complete literal including its quotes. The tests decode every literal
back (Python with `ast`, JavaScript by running it under node) and compare with the input.
"""

from __future__ import annotations

import json
import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """Unpaired surrogates cannot be encoded in any source file; show them as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _escape(text: str, table: dict[str, str], control: str) -> str:
    out: list[str] = []
    for char in without_surrogates(text):
        if char in table:
            out.append(table[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(control.format(ord(char)))
        else:
            out.append(char)
    return "".join(out)


def python_str(text: str) -> str:
    # JSON string syntax is a subset of Python's (\", \\, \n, \uXXXX for controls).
    return json.dumps(without_surrogates(text), ensure_ascii=False)


def js_str(text: str) -> str:
    table = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    table |= {"\u2028": "\\u2028", "\u2029": "\\u2029"}
    return "'" + _escape(text, table, "\\x{:02x}") + "'"


def ruby_str(text: str) -> str:
    """Single quotes (no interpolation) unless a control character needs an escape."""
    clean = without_surrogates(text)
    if not any(ord(c) < 0x20 or ord(c) == 0x7F for c in clean):
        return "'" + clean.replace("\\", "\\\\").replace("'", "\\'") + "'"
    table = {"\\": "\\\\", '"': '\\"', "#": "\\#", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return '"' + _escape(clean, table, "\\x{:02X}") + '"'


def php_str(text: str) -> str:
    """Single quotes: PHP interprets only \\\\ and \\' inside them, so nothing else changes."""
    clean = without_surrogates(text)
    return "'" + clean.replace("\\", "\\\\").replace("'", "\\'") + "'"


def java_str(text: str) -> str:
    # Octal escapes, not \\uXXXX: Java decodes \\u escapes before parsing, so \\u000a would
    # end the line inside the literal.
    table = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return '"' + _escape(text, table, "\\{:03o}") + '"'


def csharp_str(text: str) -> str:
    table = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}
    return '"' + _escape(text, table, "\\u{:04X}") + '"'


def go_str(text: str) -> str:
    table = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return '"' + _escape(text, table, "\\x{:02x}") + '"'


def shell_double_inner(text: str) -> str:
    """Text for inside "...": only $, `, " and \\ are special there to POSIX shells."""
    return re.sub(r'([$`"\\])', r"\\\1", without_surrogates(text))


def shell_single(text: str) -> str:
    return "'" + without_surrogates(text).replace("'", "'\\''") + "'"


def xml_attr(text: str) -> str:
    return '"' + _xml_escape(text, attribute=True) + '"'


def xml_text(text: str) -> str:
    return _xml_escape(text, attribute=False)


def _xml_escape(text: str, *, attribute: bool) -> str:
    table = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    if attribute:
        table |= {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
    out: list[str] = []
    for char in without_surrogates(text):
        code = ord(char)
        if char in table:
            out.append(table[char])
        elif (code < 0x20 and char not in "\n\r\t") or code in (0xFFFE, 0xFFFF):
            out.append("\ufffd")  # not representable in XML 1.0 at all
        else:
            out.append(char)
    return "".join(out)
