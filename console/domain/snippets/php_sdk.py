"""plivo-php: `$client->calls->startStream($callUuid, $optionalArgs)`. service_url travels inside
the array, with every key in the API's snake_case (Plivo's published sample misspells one as
`extraheaders`, which the SDK would pass through and Plivo ignore)."""

from __future__ import annotations

from collections.abc import Mapping

from console.domain.snippets._literals import php_str


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return php_str(str(value))


def render(body: Mapping[str, object], call_uuid: str) -> str:
    return "\n".join(
        [
            "<?php",
            "",
            "require 'vendor/autoload.php';",
            "",
            "use Plivo\\RestClient;",
            "",
            "$client = new RestClient(getenv('PLIVO_AUTH_ID'), getenv('PLIVO_AUTH_TOKEN'));",
            "$response = $client->calls->startStream(",
            f"    {php_str(call_uuid)},",
            "    [",
            *[f"        {php_str(k)} => {_value(v)}," for k, v in body.items()],
            "    ]",
            ");",
            "print_r($response);",
            "",
        ]
    )
