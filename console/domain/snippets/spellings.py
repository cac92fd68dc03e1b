"""How each official SDK spells every start-stream parameter, and where that spelling comes from.

The spellings were read in the SDK sources (docs/stream-form.md, "Where each SDK's spelling comes
from", names the files and versions). They matter: a wrong spelling is silently dropped by most
SDKs (PHP and Node pass unknown keys through; Plivo then ignores them), so a snippet with
`extraheaders` starts a stream without the headers the agent asked for.
"""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    CURL = "curl"
    PYTHON = "python"
    NODE = "node"
    RUBY = "ruby"
    PHP = "php"
    JAVA = "java"
    DOTNET = "dotnet"
    GO = "go"
    XML = "xml"


_SNAKE = {
    name: name
    for name in (
        "service_url",
        "bidirectional",
        "audio_track",
        "stream_timeout",
        "status_callback_url",
        "status_callback_method",
        "content_type",
        "extra_headers",
    )
}
_CAMEL = {
    "service_url": "serviceUrl",
    "bidirectional": "bidirectional",
    "audio_track": "audioTrack",
    "stream_timeout": "streamTimeout",
    "status_callback_url": "statusCallbackUrl",
    "status_callback_method": "statusCallbackMethod",
    "content_type": "contentType",
    "extra_headers": "extraHeaders",
}
_PASCAL = {api: name[0].upper() + name[1:] for api, name in _CAMEL.items()}

# API parameter -> the identifier the language uses for it.
SDK_SPELLINGS: dict[Language, dict[str, str]] = {
    Language.CURL: dict(_SNAKE),  # JSON body keys
    Language.PYTHON: dict(_SNAKE),  # plivo-python Calls.start_stream keyword arguments
    Language.NODE: dict(_CAMEL),  # plivo-node calls.stream(callUUID, serviceUrl, optionalParams)
    Language.RUBY: dict(_SNAKE),  # plivo-ruby calls.start_stream(call_uuid, service_url, options)
    Language.PHP: dict(_SNAKE),  # plivo-php calls->startStream($callUuid, $optionalArgs)
    Language.JAVA: dict(_CAMEL),  # plivo-java Call.streamer(callUuid, serviceUrl) setters
    Language.DOTNET: dict(_CAMEL),  # plivo-dotnet Call.StartStream named parameters
    Language.GO: dict(_PASCAL),  # plivo-go CallStreamParams fields
    Language.XML: dict(_CAMEL),  # <Stream> attributes; service_url is the element text
}

# How a set parameter shows up in each snippet, `{}` being its spelling. service_url is
# positional in Node, Ruby and Java and the element text in XML, so it has its own form.
SPELLING_FORMS: dict[Language, str] = {
    Language.CURL: '"{}":',
    Language.PYTHON: "{}=",
    Language.NODE: "{}:",
    Language.RUBY: "{}:",
    Language.PHP: "'{}' =>",
    Language.JAVA: ".{}(",
    Language.DOTNET: "{}:",
    Language.GO: "{}:",
    Language.XML: '{}="',
}
POSITIONAL_SERVICE_URL = frozenset({Language.NODE, Language.RUBY, Language.JAVA, Language.XML})
