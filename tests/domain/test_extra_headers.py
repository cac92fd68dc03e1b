"""extra_headers: `k=v` pairs, [A-Za-z0-9] only, no duplicate keys, at most 512 bytes."""

from __future__ import annotations

import pytest

from console.domain.extra_headers import (
    byte_length,
    join_entries,
    parse_extra_headers,
    split_entries,
)


def codes(text: str) -> list[str]:
    return [issue.code for issue in parse_extra_headers(text).issues]


def test_docs_example_is_accepted() -> None:
    parsed = parse_extra_headers("k1=v1,k2=v2")
    assert parsed.ok
    assert [(p.key, p.value) for p in parsed.pairs] == [("k1", "v1"), ("k2", "v2")]
    assert parsed.byte_count == 11


def test_empty_is_fine() -> None:
    assert parse_extra_headers("").ok
    assert parse_extra_headers("   ").pairs == ()


def test_exactly_512_bytes_is_accepted_513_is_not() -> None:
    ok = "k=" + "v" * 510
    assert len(ok) == 512
    assert parse_extra_headers(ok).ok
    too_long = ok + "v"
    parsed = parse_extra_headers(too_long)
    assert codes(too_long) == ["extra_headers.too_long"]
    assert "513 bytes" in parsed.issues[0].message
    assert "at least 1" in parsed.issues[0].message


def test_bytes_not_characters_are_counted() -> None:
    # 'é' is two bytes in UTF-8: 256 of them make 512 bytes though only 256 characters.
    assert byte_length("é" * 256) == 512
    assert byte_length("  ab  ") == 2  # surrounding whitespace is not sent
    assert byte_length("\ud800") == 3  # never raises on an unpaired surrogate


def test_empty_entry_between_commas_is_flagged_at_the_commas() -> None:
    text = "k=v,,k2=v2"
    parsed = parse_extra_headers(text)
    assert codes(text) == ["extra_headers.empty_entry"]
    (start, end) = parsed.issues[0].spans[0]
    assert text[start:end] == ",,"


@pytest.mark.parametrize("text", ["k=v,", ",k=v"])
def test_leading_or_trailing_comma(text: str) -> None:
    assert codes(text) == ["extra_headers.empty_entry"]


def test_missing_equals_missing_key_missing_value() -> None:
    assert codes("abc") == ["extra_headers.missing_equals"]
    assert codes("=v") == ["extra_headers.missing_key"]
    assert codes("k=") == ["extra_headers.missing_value"]


def test_invalid_characters_are_located_exactly() -> None:
    text = "user-id=a b,x=é"
    parsed = parse_extra_headers(text)
    assert codes(text) == ["extra_headers.invalid_characters"]
    assert [text[s:e] for s, e in parsed.invalid_spans] == ["-", " ", "é"]
    assert "'-'" in parsed.issues[0].message and "a space" in parsed.issues[0].message


def test_second_equals_sign_is_an_invalid_character() -> None:
    text = "a=b=c"
    parsed = parse_extra_headers(text)
    assert codes(text) == ["extra_headers.invalid_characters"]
    assert [text[s:e] for s, e in parsed.invalid_spans] == ["="]


def test_unicode_letters_and_digits_are_not_ascii_alphanumerics() -> None:
    assert codes("k=١٢") == ["extra_headers.invalid_characters"]  # Arabic-Indic digits
    assert codes("ключ=v") == ["extra_headers.invalid_characters"]


def test_duplicate_keys() -> None:
    text = "a=1,b=2,a=3"
    parsed = parse_extra_headers(text)
    assert codes(text) == ["extra_headers.duplicate_key"]
    (start, end) = parsed.issues[0].spans[0]
    assert (start, text[start:end]) == (8, "a")


def test_keys_differing_only_in_case_warn() -> None:
    parsed = parse_extra_headers("Token=1,token=2")
    assert codes("Token=1,token=2") == ["extra_headers.case_duplicate"]
    assert parsed.ok  # a warning, not an error


def test_spans_refer_to_the_text_as_typed_with_leading_space() -> None:
    text = "  a=1,,b=2"
    parsed = parse_extra_headers(text)
    (start, end) = parsed.issues[0].spans[0]
    assert text[start:end] == ",,"


def test_table_round_trip() -> None:
    assert split_entries("k1=v1,k2=v2") == [("k1", "v1"), ("k2", "v2")]
    assert join_entries([("k1", "v1"), ("", ""), ("k2", "v2")]) == "k1=v1,k2=v2"
    assert split_entries("abc,x=") == [("abc", ""), ("x", "")]
    assert split_entries("") == []
