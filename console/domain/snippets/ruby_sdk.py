"""plivo-ruby: `client.calls.start_stream(call_uuid, service_url, options)` with symbol keys."""

from __future__ import annotations

from collections.abc import Mapping

from console.domain.snippets._literals import ruby_str


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return ruby_str(str(value))


def render(body: Mapping[str, object], call_uuid: str) -> str:
    options = [(k, v) for k, v in body.items() if k != "service_url"]
    args = [f"  {ruby_str(call_uuid)},", f"  {ruby_str(str(body.get('service_url', '')))}"]
    if options:
        args[-1] += ","
        args += ["  {", *[f"    {k}: {_value(v)}," for k, v in options], "  }"]
    return "\n".join(
        [
            "require 'plivo'",
            "",
            "client = Plivo::RestClient.new(ENV['PLIVO_AUTH_ID'], ENV['PLIVO_AUTH_TOKEN'])",
            "response = client.calls.start_stream(",
            *args,
            ")",
            "puts response",
            "",
        ]
    )
