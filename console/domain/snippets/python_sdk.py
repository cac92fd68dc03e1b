"""plivo-python: `client.calls.start_stream(call_uuid=..., service_url=..., ...)`."""

from __future__ import annotations

from collections.abc import Mapping

from console.domain.snippets._literals import python_str


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    return python_str(str(value))


def render(body: Mapping[str, object], call_uuid: str) -> str:
    args = [f"    call_uuid={python_str(call_uuid)},"]
    args += [f"    {name}={_value(value)}," for name, value in body.items()]
    return "\n".join(
        [
            "import os",
            "",
            "import plivo",
            "",
            "client = plivo.RestClient(",
            '    auth_id=os.environ["PLIVO_AUTH_ID"], auth_token=os.environ["PLIVO_AUTH_TOKEN"]',
            ")",
            "response = client.calls.start_stream(",
            *args,
            ")",
            "print(response.stream_id)",
            "",
        ]
    )
