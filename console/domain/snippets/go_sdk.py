"""plivo-go (module github.com/plivo/plivo-go/v7): `client.Calls.Stream(callUUID,
plivo.CallStreamParams{...})`. The struct's json tags use omitempty, so a false bidirectional
cannot be sent; it is Plivo's default anyway, and the snippet says so."""

from __future__ import annotations

from collections.abc import Mapping

from console.domain.snippets._literals import go_str
from console.domain.snippets.spellings import SDK_SPELLINGS, Language


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return go_str(str(value))


def render(body: Mapping[str, object], call_uuid: str) -> str:
    names = SDK_SPELLINGS[Language.GO]
    fields = [(names[k], _value(v)) for k, v in body.items() if v is not False]
    width = max(len(name) for name, _ in fields) + 1 if fields else 0
    lines = [f"\t\t\t{(name + ':').ljust(width)} {value}," for name, value in fields]
    if body.get("bidirectional") is False:
        lines.append("\t\t\t// Bidirectional false is Plivo's default; plivo-go never sends false.")
    return "\n".join(
        [
            "package main",
            "",
            "import (",
            '\t"fmt"',
            '\t"os"',
            "",
            '\t"github.com/plivo/plivo-go/v7"',
            ")",
            "",
            "func main() {",
            '\tclient, err := plivo.NewClient(os.Getenv("PLIVO_AUTH_ID"), '
            'os.Getenv("PLIVO_AUTH_TOKEN"), &plivo.ClientOptions{})',
            "\tif err != nil {",
            '\t\tfmt.Println("Error:", err)',
            "\t\treturn",
            "\t}",
            "\tresponse, err := client.Calls.Stream(",
            f"\t\t{go_str(call_uuid)},",
            "\t\tplivo.CallStreamParams{",
            *lines,
            "\t\t},",
            "\t)",
            "\tif err != nil {",
            '\t\tfmt.Println("Error:", err)',
            "\t\treturn",
            "\t}",
            '\tfmt.Printf("Response: %+v\\n", response)',
            "}",
            "",
        ]
    )
