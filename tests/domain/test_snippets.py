"""Copy-as-code: every language, each SDK's spelling, escaping that survives any text."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.snippets import (
    CALL_UUID_PLACEHOLDER,
    LANGUAGES,
    Language,
    render_all,
    render_snippet,
)
from console.domain.snippets.spellings import (
    POSITIONAL_SERVICE_URL,
    SDK_SPELLINGS,
    SPELLING_FORMS,
)
from console.domain.stream_params import AudioTrack, CallbackMethod, ContentType
from console.domain.stream_request import BODY_FIELDS, StreamRequest

GOLDEN = Path(__file__).parent / "golden"
CALL = "2f6c7d2e-8a1b-4c3d-9e0f-123456789abc"

FULL = StreamRequest(
    service_url="wss://stream.example.com/audio?agent=ann&note='hi'&cost=$5",
    bidirectional=True,
    audio_track=AudioTrack.INBOUND,
    stream_timeout=3600,
    status_callback_url="https://cb.example.com/stream-status#ct=2000",
    status_callback_method=CallbackMethod.GET,
    content_type=ContentType.MULAW_8K,
    extra_headers="ticket=12345,agent=ann",
)
MINIMAL = StreamRequest(service_url="wss://stream.example.com/audio")
# Not a valid request (the validator rejects it); the renderers must still escape it exactly.
NASTY_TEXT = "a'b\"c\\d$e`f#{g}${h}%i\nj\tk\x01l\x7fé😀\u2028\\u000a"
NASTY = StreamRequest(
    service_url="wss://n.example/" + NASTY_TEXT,
    audio_track=AudioTrack.BOTH,
    stream_timeout=60,
    status_callback_url="https://cb.example/" + NASTY_TEXT,
    extra_headers="x=" + NASTY_TEXT,
)
EXTENSIONS = {lang: LANGUAGES[lang].filename.rsplit(".", 1)[1] for lang in Language}


def golden_path(name: str, language: Language) -> Path:
    return GOLDEN / f"{name}.{language.value}.{EXTENSIONS[language]}.txt"


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize(("name", "request_"), [("full", FULL), ("minimal", MINIMAL)])
def test_golden(language: Language, name: str, request_: StreamRequest) -> None:
    code = render_snippet(language, request_, call_uuid=CALL)
    path = golden_path(name, language)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(code, encoding="utf-8")
    assert code == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", list(Language))
def test_every_set_parameter_appears_with_the_sdk_spelling(language: Language) -> None:
    code = render_snippet(language, FULL, call_uuid=CALL)
    spelling = SDK_SPELLINGS[language]
    form = SPELLING_FORMS[language]
    for field in FULL.to_body():
        if field == "service_url" and language in POSITIONAL_SERVICE_URL:
            continue
        assert form.format(spelling[field]) in code, (language, field)


@pytest.mark.parametrize("language", list(Language))
def test_unset_parameters_do_not_appear(language: Language) -> None:
    code = render_snippet(language, MINIMAL, call_uuid=CALL)
    for field in BODY_FIELDS[1:]:
        assert SDK_SPELLINGS[language][field] not in code, (language, field)
    assert "stream.example.com/audio" in code


@pytest.mark.parametrize("language", list(Language))
def test_credentials_come_from_the_environment(language: Language) -> None:
    code = render_snippet(language, FULL, call_uuid=CALL)
    if language is not Language.XML:
        assert "PLIVO_AUTH_ID" in code and "PLIVO_AUTH_TOKEN" in code


def test_the_published_mistakes_are_not_repeated() -> None:
    snippets = render_all(FULL, call_uuid=CALL)
    assert "extraheaders" not in snippets[Language.PHP]
    assert "'extra_headers' =>" in snippets[Language.PHP]
    assert not re.search(r"^\s*\);\s*$", snippets[Language.DOTNET], re.MULTILINE)
    java = snippets[Language.JAVA]
    for imported in re.findall(r"^import [\w.]+\.(\w+);", java, re.MULTILINE):
        assert len(re.findall(rf"\b{imported}\b", java)) >= 2, f"unused import {imported}"


def test_placeholder_when_no_call_is_selected() -> None:
    for code in render_all(MINIMAL).values():
        assert CALL_UUID_PLACEHOLDER in code or "<Stream" in code


# --- executed or parsed checks --------------------------------------------------------------


def _python_call_kwargs(code: str) -> dict[str, object]:
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "start_stream":
            return {kw.arg or "": ast.literal_eval(kw.value) for kw in node.keywords}
    raise AssertionError("no start_stream call")


@pytest.mark.parametrize("request_", [FULL, MINIMAL, NASTY])
def test_python_snippet_parses_to_the_exact_values(request_: StreamRequest) -> None:
    kwargs = _python_call_kwargs(render_snippet(Language.PYTHON, request_, call_uuid=CALL))
    assert kwargs == {"call_uuid": CALL, **request_.to_body()}


NODE_STUB = """
class Client {
  constructor(authId, authToken) {
    this.calls = {
      stream: (...args) => {
        console.log(JSON.stringify({ authId, authToken, args }));
        return Promise.resolve({ streamId: 'stub' });
      },
    };
  }
}
module.exports = { Client };
"""


@pytest.mark.parametrize("request_", [FULL, MINIMAL, NASTY])
def test_node_snippet_passes_node_check_and_passes_the_exact_values(
    tmp_path: Path, request_: StreamRequest
) -> None:
    code = render_snippet(Language.NODE, request_, call_uuid=CALL)
    script = tmp_path / "start_stream.js"
    script.write_text(code, encoding="utf-8")
    node = shutil.which("node")
    assert node, "node is needed for the Node snippet check (scripts/system-deps.sh installs it)"
    subprocess.run([node, "--check", str(script)], check=True, timeout=30)
    # Run it against a stand-in `plivo` module (the real SDK is not installed for node here)
    # to prove the literals carry the exact values and the options use the SDK's names.
    stub = tmp_path / "node_modules" / "plivo"
    stub.mkdir(parents=True)
    (stub / "index.js").write_text(NODE_STUB, encoding="utf-8")
    env = {
        "PATH": os.environ["PATH"],
        "PLIVO_AUTH_ID": "MAXXXXXXXXXXXXXXXXXX",
        "PLIVO_AUTH_TOKEN": "t",
    }
    out = subprocess.run(
        [node, str(script)], check=True, capture_output=True, timeout=30, env=env, cwd=tmp_path
    )
    seen = json.loads(out.stdout.decode("utf-8").split("\n")[0])
    body = request_.to_body()
    assert seen["authId"] == "MAXXXXXXXXXXXXXXXXXX"
    assert seen["args"][0] == CALL
    assert seen["args"][1] == body.pop("service_url")
    options = seen["args"][2] if len(seen["args"]) > 2 else {}
    names = SDK_SPELLINGS[Language.NODE]
    assert options == {names[k]: v for k, v in body.items()}


@pytest.mark.parametrize("request_", [FULL, NASTY])
def test_curl_snippet_passes_the_exact_url_and_body_to_curl(
    tmp_path: Path, request_: StreamRequest
) -> None:
    code = render_snippet(Language.CURL, request_, call_uuid=CALL, api_base_url="https://h.example")
    # A shell function named curl shadows the program and prints the arguments it was given.
    script = "curl() { printf '%s\\0' \"$@\"; }\n" + code
    env = {"PATH": os.environ["PATH"], "PLIVO_AUTH_ID": "MAID", "PLIVO_AUTH_TOKEN": "tok"}
    out = subprocess.run(["bash", "-c", script], check=True, capture_output=True, env=env)
    args = out.stdout.decode("utf-8").split("\0")[:-1]
    assert args[0] == f"https://h.example/v1/Account/MAID/Call/{CALL}/Stream/"
    assert args[args.index("-u") + 1] == "MAID:tok"
    assert json.loads(args[args.index("--data-raw") + 1]) == request_.to_body()


@pytest.mark.parametrize("request_", [FULL, MINIMAL, NASTY])
def test_xml_parses_to_the_same_values(request_: StreamRequest) -> None:
    root = ET.fromstring(render_snippet(Language.XML, request_).encode("utf-8"))
    stream = root.find("Stream")
    assert stream is not None
    body = {k: v for k, v in request_.to_body().items()}
    expected_url = str(body.pop("service_url")).replace("\x01", "\ufffd").replace("\x7f", "\x7f")
    assert stream.text == expected_url
    names = SDK_SPELLINGS[Language.XML]
    expected = {
        names[k]: (str(v).lower() if isinstance(v, bool) else str(v)).replace("\x01", "\ufffd")
        for k, v in body.items()
    }
    assert stream.attrib == expected


# Decoders for the literal syntaxes the other languages use (no interpreter here for them).
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"', "'": "'", "#": "#"}


def _decode(body: str, numeric: str) -> str:
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        rest = body[i + 1 :]
        m = re.match(numeric, rest)
        if m:
            out.append(chr(int(m.group(1), 16 if numeric.startswith(("x", "u")) else 8)))
            i += 1 + len(m.group(0))
        else:
            out.append(_SIMPLE[rest[0]])
            i += 2
    return "".join(out)


def _single_quoted(code: str) -> list[str]:
    # Ruby and PHP single quotes: only \\ and \' are escapes.
    return [re.sub(r"\\([\\'])", r"\1", m) for m in re.findall(r"'((?:[^'\\]|\\.)*)'", code, re.S)]


def _double_quoted(code: str, numeric: str) -> list[str]:
    return [_decode(m, numeric) for m in re.findall(r'"((?:[^"\\\n]|\\.)*)"', code)]


LITERALS = {
    Language.RUBY: lambda code: _single_quoted(code) + _double_quoted(code, r"x([0-9A-F]{2})"),
    Language.PHP: _single_quoted,
    Language.JAVA: lambda code: _double_quoted(code, r"([0-7]{3})"),
    Language.DOTNET: lambda code: _double_quoted(code, r"u([0-9A-F]{4})"),
    Language.GO: lambda code: _double_quoted(code, r"x([0-9a-f]{2})"),
}


@pytest.mark.parametrize("language", list(LITERALS))
def test_string_literals_decode_to_the_exact_values(language: Language) -> None:
    code = render_snippet(language, NASTY, call_uuid=CALL)
    literals = LITERALS[language](code)
    body = NASTY.to_body()
    for value in (CALL, body["service_url"], body["status_callback_url"], body["extra_headers"]):
        assert value in literals, (language, value)


@pytest.mark.parametrize("language", [Language.JAVA, Language.DOTNET, Language.GO, Language.PHP])
def test_brackets_balance(language: Language) -> None:
    code = render_snippet(language, FULL, call_uuid=CALL)
    without_strings = re.sub(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', "", code)
    for open_, close in ("()", "[]", "{}"):
        assert without_strings.count(open_) == without_strings.count(close), (language, open_)


text_or_none = st.none() | st.text(max_size=30)


@settings(max_examples=150, deadline=None)
@given(
    url=st.text(max_size=40),
    bidirectional=st.none() | st.booleans(),
    timeout=st.none() | st.integers(-5, 10**12),
    extra=text_or_none,
    callback=text_or_none,
    call=st.none() | st.text(max_size=10),
)
def test_rendering_never_raises_and_is_utf8(
    url: str,
    bidirectional: bool | None,
    timeout: int | None,
    extra: str | None,
    callback: str | None,
    call: str | None,
) -> None:
    request = StreamRequest(
        url,
        bidirectional=bidirectional,
        stream_timeout=timeout,
        extra_headers=extra,
        status_callback_url=callback,
    )
    for code in render_all(request, call_uuid=call).values():
        code.encode("utf-8")
