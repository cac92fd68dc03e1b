"""JSON -> domain, leniently: the SDKs' recorded responses parse, and the type disagreements the
spec warns about (strings for booleans and durations, count vs total_count) are absorbed."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.api import parse

SDKS = ("plivo-python", "plivo-go", "plivo-java")


def fixture(fixtures_dir: Path, sdk: str, name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((fixtures_dir / "plivo" / sdk / name).read_text())
    return data


@pytest.mark.parametrize("sdk", SDKS)
def test_sdk_fixtures_parse(fixtures_dir: Path, sdk: str) -> None:
    call = parse.live_call(fixture(fixtures_dir, sdk, "liveCallGetResponse.json"))
    assert call.call_uuid == "d0a87a1a-b0e9-4ab2-ac07-c22ee87cd04a"
    assert (call.from_number, call.to_number) == ("+918687888990", "919798990001")
    assert (call.direction, call.call_status, call.caller_name) == ("outbound", "in-progress", "")
    ids = parse.call_ids(fixture(fixtures_dir, sdk, "liveCallListGetResponse.json"))
    assert ids and all(isinstance(i, str) for i in ids)
    started = parse.stream_started(fixture(fixtures_dir, sdk, "liveCallStreamCreateResponse.json"))
    assert started.stream_id == "30852c23-ee79-4eb4-b7b9-cd360545965b"
    assert started.message == "audio streaming started"


@pytest.mark.parametrize("sdk", ["plivo-python", "plivo-go"])
def test_stream_list_fixture(fixtures_dir: Path, sdk: str) -> None:
    data = fixture(fixtures_dir, sdk, "liveCallStreamGetAllResponse.json")
    streams, following = parse.stream_page(data)
    assert following is None
    assert parse.list_total(data) == 1
    (stream,) = streams
    assert stream.stream_id == "c436abf8-e8a1-4d96-9aa8-b9143f7f3517"
    assert (stream.status, stream.end_time, stream.status_callback_url) == ("initiated", None, "")
    assert stream.is_active and stream.bill_duration is None


def test_go_fixture_has_stir_fields(fixtures_dir: Path) -> None:
    call = parse.live_call(fixture(fixtures_dir, "plivo-go", "liveCallGetResponse.json"))
    assert (call.stir_verification, call.stir_attestation) == ("Verified", "A")


def test_lenient_types_as_the_sdks_disagree() -> None:
    stream = parse.stream(
        {
            "stream_id": "s",
            "bidirectional": "true",  # Java models it as a string
            "bill_duration": "42",  # Java: string
            "rounded_bill_duration": 60.0,  # docs: number; Go: string
            "billed_amount": 0.003,
            "end_time": "",
        }
    )
    assert stream.bidirectional is True
    assert (stream.bill_duration, stream.rounded_bill_duration) == (42, 60)
    assert stream.billed_amount == "0.003"
    assert stream.end_time is None and stream.is_active
    assert parse.stream({"stream_id": 7, "bidirectional": "maybe"}).bidirectional is None
    assert parse.integer("NaN") is None and parse.integer(True) is None
    assert parse.list_total({"meta": {"total_count": "3"}}) == 3
    assert parse.list_total({"meta": {"count": 2, "total_count": None}}) == 2
    assert parse.list_total({}) is None


@pytest.mark.parametrize("hostile", [-1, "-5", 10**30, "1e300", 31 * 86_400 + 1])
def test_out_of_range_durations_and_counts_are_unknown_not_shown(hostile: object) -> None:
    item = {"stream_id": "s1", "bill_duration": hostile, "rounded_bill_duration": hostile}
    stream = parse.stream(item)
    assert (stream.bill_duration, stream.rounded_bill_duration) == (None, None)
    total = 10**10 if hostile == 31 * 86_400 + 1 else hostile
    assert parse.list_total({"meta": {"total_count": total}}) is None


def test_paging_follows_meta_next() -> None:
    _, following = parse.stream_page(
        {"meta": {"next": "/v1/Account/MA/Call/c/Stream/?limit=20&offset=20"}, "objects": []}
    )
    assert following == {"limit": "20", "offset": "20"}


@pytest.mark.parametrize(
    "bad",
    [{"calls": "abc"}, {"objects": {}}],
)
def test_wrong_shapes_are_shape_errors(bad: dict[str, object]) -> None:
    with pytest.raises(parse.ShapeError):
        parse.call_ids(bad) if "calls" in bad else parse.stream_page(bad)
    with pytest.raises(parse.ShapeError):
        parse.stream_started({"api_id": "x"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "stream_id",
                "bidirectional",
                "bill_duration",
                "rounded_bill_duration",
                "status",
                "end_time",
                "objects",
                "meta",
                "calls",
                "call_uuid",
                "from",
            ]
        ),
        json_values,
    )
)
def test_any_json_object_parses_or_is_a_shape_error(data: dict[str, object]) -> None:
    for reader in (parse.stream, parse.stream_page, parse.call_ids, parse.live_call,
                   parse.stream_started, parse.list_total):  # fmt: skip
        with contextlib.suppress(parse.ShapeError):
            reader(data)  # type: ignore[operator]


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), "inf", "NaN"])
def test_non_finite_numbers_are_no_duration(value: object) -> None:
    """Python's json.loads accepts Infinity and NaN; found by the property test above."""
    assert parse.integer(value) is None
    stream = parse.stream({"stream_id": "s", "bill_duration": value})
    assert stream.bill_duration is None
