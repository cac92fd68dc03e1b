"""curl, for bash/zsh: the exact JSON body, credentials from the environment."""

from __future__ import annotations

import json
from collections.abc import Mapping

from console.domain.snippets._literals import shell_double_inner, shell_single


def render(body: Mapping[str, object], call_uuid: str, api_base_url: str) -> str:
    base = api_base_url.rstrip("/")
    url = (
        '"'
        + shell_double_inner(f"{base}/v1/Account/")
        + "$PLIVO_AUTH_ID"
        + shell_double_inner(f"/Call/{call_uuid}/Stream/")
        + '"'
    )
    payload = json.dumps(dict(body), indent=2, ensure_ascii=False, default=str)
    return "\n".join(
        [
            "# Needs PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN set in your shell.",
            f"curl {url} \\",
            '  -u "$PLIVO_AUTH_ID:$PLIVO_AUTH_TOKEN" \\',
            "  -H 'Content-Type: application/json' \\",
            "  -H 'Accept: application/json' \\",
            f"  --data-raw {shell_single(payload)}",
            "",
        ]
    )
