"""The same start-stream request as code: curl, the seven official SDKs, and Plivo XML.

`render_snippet(language, request, call_uuid=...)` returns ready-to-paste source. Only the
parameters the request sets appear (service_url always), each spelled as that SDK spells it
(`spellings.SDK_SPELLINGS`), with values escaped for the language. Credentials are never
embedded: every snippet reads PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN from the environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.domain.accounts import DEFAULT_API_BASE_URL
from console.domain.snippets import (
    curl,
    dotnet_sdk,
    go_sdk,
    java_sdk,
    node_sdk,
    php_sdk,
    python_sdk,
    ruby_sdk,
    xml_element,
)
from console.domain.snippets._literals import without_surrogates
from console.domain.snippets.spellings import SDK_SPELLINGS, Language
from console.domain.stream_request import StreamRequest

CALL_UUID_PLACEHOLDER = "<CALL_UUID>"


@dataclass(frozen=True, slots=True)
class LanguageInfo:
    label: str
    filename: str
    package: str


LANGUAGES: dict[Language, LanguageInfo] = {
    Language.CURL: LanguageInfo("curl", "start_stream.sh", "curl (bash/zsh)"),
    Language.PYTHON: LanguageInfo("Python", "start_stream.py", "pip install plivo"),
    Language.NODE: LanguageInfo("Node.js", "start_stream.js", "npm install plivo"),
    Language.RUBY: LanguageInfo("Ruby", "start_stream.rb", "gem install plivo"),
    Language.PHP: LanguageInfo("PHP", "start_stream.php", "composer require plivo/plivo-php"),
    Language.JAVA: LanguageInfo("Java", "StartStream.java", "com.plivo:plivo-java"),
    Language.DOTNET: LanguageInfo(".NET (C#)", "Program.cs", "dotnet add package Plivo"),
    Language.GO: LanguageInfo("Go", "main.go", "go get github.com/plivo/plivo-go/v7"),
    Language.XML: LanguageInfo("Plivo XML", "answer.xml", "<Stream> element"),
}


def render_snippet(
    language: Language,
    request: StreamRequest,
    *,
    call_uuid: str | None = None,
    api_base_url: str = DEFAULT_API_BASE_URL,
) -> str:
    """Source code that starts `request` on `call_uuid` (a placeholder when None).
    `api_base_url` only changes curl: the SDKs always talk to Plivo itself."""
    body = request.to_body()
    uuid = call_uuid or CALL_UUID_PLACEHOLDER
    match language:
        case Language.CURL:
            code = curl.render(body, uuid, api_base_url)
        case Language.PYTHON:
            code = python_sdk.render(body, uuid)
        case Language.NODE:
            code = node_sdk.render(body, uuid)
        case Language.RUBY:
            code = ruby_sdk.render(body, uuid)
        case Language.PHP:
            code = php_sdk.render(body, uuid)
        case Language.JAVA:
            code = java_sdk.render(body, uuid)
        case Language.DOTNET:
            code = dotnet_sdk.render(body, uuid)
        case Language.GO:
            code = go_sdk.render(body, uuid)
        case Language.XML:
            code = xml_element.render(body)
    return without_surrogates(code)


def render_all(
    request: StreamRequest,
    *,
    call_uuid: str | None = None,
    api_base_url: str = DEFAULT_API_BASE_URL,
    setup: str = "",
) -> dict[Language, str]:
    """Every language; `setup` (the stream setup the form came from) is named in a comment."""
    return {
        language: with_setup_comment(
            language,
            render_snippet(language, request, call_uuid=call_uuid, api_base_url=api_base_url),
            setup,
        )
        for language in Language
    }


_COMMENT_SAFE = re.compile(r"[^\w .,:;()+&'@/=-]")
_FIRST_LINE_STAYS = ("<?php", "<?xml", "#!")


def with_setup_comment(language: Language, code: str, setup: str) -> str:
    """`code` with a first comment naming the setup. The name is outside input (an imported
    file): only letters, digits and plain punctuation are kept, and never "--", so it cannot
    close the comment in any language (PHP's "?>", XML's "-->", Java's \\u escapes)."""
    name = _COMMENT_SAFE.sub("_", setup).strip()
    while "--" in name:
        name = name.replace("--", "-")
    if not name:
        return code
    text = f"Stream setup: {name}"
    match language:
        case Language.XML:
            comment = f"<!-- {text} -->"
        case Language.CURL | Language.PYTHON | Language.RUBY:
            comment = f"# {text}"
        case _:
            comment = f"// {text}"
    first, _, rest = code.partition("\n")
    if first.startswith(_FIRST_LINE_STAYS):
        return f"{first}\n{comment}\n{rest}"
    return f"{comment}\n{code}"


__all__ = [
    "CALL_UUID_PLACEHOLDER",
    "LANGUAGES",
    "SDK_SPELLINGS",
    "Language",
    "LanguageInfo",
    "render_all",
    "render_snippet",
    "with_setup_comment",
]
