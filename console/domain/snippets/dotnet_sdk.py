"""plivo-dotnet: `api.Call.StartStream(callUuid: ..., serviceUrl: ..., ...)`. The SDK declares
every optional parameter as `string`, including bidirectional and streamTimeout, so the values
are passed as strings ("true", "3600")."""

from __future__ import annotations

from collections.abc import Mapping

from console.domain.snippets._literals import csharp_str
from console.domain.snippets.spellings import SDK_SPELLINGS, Language


def _value(value: object) -> str:
    if isinstance(value, bool):
        return csharp_str("true" if value else "false")
    return csharp_str(str(value))


def render(body: Mapping[str, object], call_uuid: str) -> str:
    names = SDK_SPELLINGS[Language.DOTNET]
    args = [f"callUuid: {csharp_str(call_uuid)}"]
    args += [f"{names[k]}: {_value(v)}" for k, v in body.items()]
    lines = [f"                {arg}," for arg in args]
    lines[-1] = lines[-1][:-1] + ");"
    return "\n".join(
        [
            "using System;",
            "using Plivo;",
            "",
            "namespace StreamConsoleSnippet",
            "{",
            "    internal class Program",
            "    {",
            "        public static void Main(string[] args)",
            "        {",
            "            var api = new PlivoApi(",
            '                Environment.GetEnvironmentVariable("PLIVO_AUTH_ID"),',
            '                Environment.GetEnvironmentVariable("PLIVO_AUTH_TOKEN"));',
            "            var response = api.Call.StartStream(",
            *lines,
            "            Console.WriteLine(response);",
            "        }",
            "    }",
            "}",
            "",
        ]
    )
