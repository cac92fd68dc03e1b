"""plivo-java: `Call.streamer(callUuid, serviceUrl)`, one setter per parameter, then `.stream()`.
Every import is used (the published sample carries unused ones)."""

from __future__ import annotations

from collections.abc import Mapping

from console.domain.snippets._literals import java_str
from console.domain.snippets.spellings import SDK_SPELLINGS, Language


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return java_str(str(value))


def render(body: Mapping[str, object], call_uuid: str) -> str:
    names = SDK_SPELLINGS[Language.JAVA]
    url = java_str(str(body.get("service_url", "")))
    setters = [
        f"            .{names[k]}({_value(v)})" for k, v in body.items() if k != "service_url"
    ]
    return "\n".join(
        [
            "import com.plivo.api.Plivo;",
            "import com.plivo.api.exceptions.PlivoRestException;",
            "import com.plivo.api.models.call.Call;",
            "import com.plivo.api.models.call.actions.CallStreamCreateResponse;",
            "",
            "import java.io.IOException;",
            "",
            "public class StartStream {",
            "  public static void main(String[] args) throws IOException, PlivoRestException {",
            '    Plivo.init(System.getenv("PLIVO_AUTH_ID"), System.getenv("PLIVO_AUTH_TOKEN"));',
            "    CallStreamCreateResponse response =",
            f"        Call.streamer({java_str(call_uuid)}, {url})",
            *setters,
            "            .stream();",
            '    System.out.println("stream_id: " + response.getStreamId());',
            "  }",
            "}",
            "",
        ]
    )
