"""What the console keeps and shows of setups besides the file a lead sends: the list kept in the
settings file (read leniently), the name a start records, and the setup named in copied code
without letting an outside name break out of the comment."""

from __future__ import annotations

import ast
import json

import pytest

from console.domain.setups import StreamSetup, export_text, load_stored, used_label
from console.domain.snippets import Language, render_snippet, with_setup_comment
from console.domain.stream_request import StreamRequest

SALES = StreamSetup("Sales bot", "wss://bot.example.com/sales", bidirectional=True)


def test_the_stored_list_reads_back_and_skips_what_it_cannot_read() -> None:
    body = json.loads(export_text([SALES]))
    body["setups"] += [{"name": 3}, {"name": "sales BOT"}, "junk", {"name": "Plain"}]
    assert load_stored(json.dumps(body)) == [SALES, StreamSetup("Plain")]
    assert load_stored("not json") == [] and load_stored("[1, 2]") == []


def test_a_start_names_the_setup_and_what_was_changed() -> None:
    assert used_label(None, []) == ""
    assert used_label(SALES, []) == "Sales bot"
    assert used_label(SALES, ["Stream URL", "Extra headers"]) == (
        "Sales bot (changed: Stream URL, Extra headers)"
    )


REQUEST = StreamRequest(service_url="wss://bot.example.com/sales")


@pytest.mark.parametrize("language", list(Language))
def test_each_language_names_the_setup_in_a_comment_after_its_opening_line(
    language: Language,
) -> None:
    code = render_snippet(language, REQUEST)
    named = with_setup_comment(language, code, "Sales bot")
    assert "Stream setup: Sales bot" in named.splitlines()[0] + named.splitlines()[1]
    assert (
        named.replace(next(ln for ln in named.splitlines() if "Stream setup" in ln) + "\n", "")
        == code
    )
    assert with_setup_comment(language, code, "") == code


HOSTILE = "x\\u000a */ ?> --> -- <!-- \\\"'$`{}<>*\nrm -rf"


@pytest.mark.parametrize("language", list(Language))
def test_an_outside_name_cannot_leave_the_comment(language: Language) -> None:
    code = render_snippet(language, REQUEST)
    named = with_setup_comment(language, code, HOSTILE)
    line = next(ln for ln in named.splitlines() if "Stream setup" in ln)
    body = line.split("Stream setup: ", 1)[1]
    for dangerous in ("\\", "*/", "?>", "--", "<", "$", "`", "{", '"'):
        assert dangerous not in body.removesuffix(" -->"), dangerous
    assert len(named.splitlines()) == len(code.splitlines()) + 1


def test_the_python_snippet_still_parses_with_a_hostile_name() -> None:
    named = with_setup_comment(Language.PYTHON, render_snippet(Language.PYTHON, REQUEST), HOSTILE)
    ast.parse(named)
