"""The same stream as Plivo XML: a `<Stream>` element whose text is the service URL and whose
attributes are the camelCase parameter names (plivo-python `xml/streamElement.py`)."""

from __future__ import annotations

from collections.abc import Mapping

from console.domain.snippets._literals import xml_attr, xml_text
from console.domain.snippets.spellings import SDK_SPELLINGS, Language


def _value(value: object) -> str:
    if isinstance(value, bool):
        return xml_attr("true" if value else "false")
    return xml_attr(str(value))


def render(body: Mapping[str, object]) -> str:
    names = SDK_SPELLINGS[Language.XML]
    attrs = [f"{names[k]}={_value(v)}" for k, v in body.items() if k != "service_url"]
    url = xml_text(str(body.get("service_url", "")))
    if len(attrs) <= 2:
        opening = "    <Stream" + "".join(" " + a for a in attrs) + ">"
        element = [f"{opening}{url}</Stream>"]
    else:
        # Attributes one per line; the URL stays on the last line, since whitespace around
        # it would become part of the element's text.
        element = ["    <Stream", *[f"        {a}" for a in attrs[:-1]]]
        element += [f"        {attrs[-1]}>{url}</Stream>"]
    note = []
    if body.get("bidirectional") is True:
        note = [
            '    <!-- Plivo pairs bidirectional streams with keepCallAlive="true" so the call '
            "stays up while the stream runs. -->"
        ]
    return "\n".join(
        ['<?xml version="1.0" encoding="UTF-8"?>', "<Response>", *note, *element, "</Response>", ""]
    )
