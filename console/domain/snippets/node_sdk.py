"""plivo-node: `client.calls.stream(callUUID, serviceUrl, optionalParams)`; the SDK turns the
camelCase option names into the API's snake_case."""

from __future__ import annotations

from collections.abc import Mapping

from console.domain.snippets._literals import js_str
from console.domain.snippets.spellings import SDK_SPELLINGS, Language


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return js_str(str(value))


def render(body: Mapping[str, object], call_uuid: str) -> str:
    names = SDK_SPELLINGS[Language.NODE]
    options = [(names[k], v) for k, v in body.items() if k != "service_url"]
    url = js_str(str(body.get("service_url", "")))
    if options:
        call = [f"  .stream({js_str(call_uuid)}, {url}, {{"]
        call += [f"    {name}: {_value(value)}," for name, value in options]
        call += ["  })"]
    else:
        call = [f"  .stream({js_str(call_uuid)}, {url})"]
    return "\n".join(
        [
            "const plivo = require('plivo');",
            "",
            "const client = new plivo.Client(process.env.PLIVO_AUTH_ID, "
            "process.env.PLIVO_AUTH_TOKEN);",
            "",
            "client.calls",
            *call,
            "  .then((response) => console.log(response))",
            "  .catch((error) => console.error(error));",
            "",
        ]
    )
