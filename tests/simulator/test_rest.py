"""The REST surface on the wire (httpx against the real server): paths, status codes, shapes
(compared with the official SDKs' recorded fixtures), errors, auth, filters and paging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator
from tests.simulator.conftest import ACCOUNT, wait_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "plivo"
UUID_LEN = 36


def fixture(sdk: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / sdk / name).read_text())
    return data


def assert_same_shape(ours: dict[str, Any], recorded: dict[str, Any]) -> None:
    """Every key Plivo returned is here, with a value of the same JSON type (null matches any
    type: Plivo returns null for times not yet set)."""
    missing = set(recorded) - set(ours)
    assert not missing, f"missing keys: {missing}"
    for key, value in recorded.items():
        if value is None or ours[key] is None:
            continue
        assert type(ours[key]) is type(value), (key, ours[key], value)
        if isinstance(value, dict):
            assert_same_shape(ours[key], value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            assert ours[key], f"{key}: empty where Plivo had items"
            for item in ours[key]:
                assert_same_shape(item, value[0])


def assert_error(response: httpx.Response, status: int, text: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"api_id", "error"}
    assert len(body["api_id"]) == UUID_LEN and isinstance(body["error"], str)
    if text is not None:
        assert body["error"] == text


@pytest.mark.asyncio
async def test_live_calls_list_and_get_match_the_fixtures(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    listed = await client.get("/Call/", params={"status": "live"})
    assert listed.status_code == 200
    body = listed.json()
    assert_same_shape(body, fixture("plivo-python", "liveCallListGetResponse.json"))
    assert body["calls"] == sim.live_call_uuids()
    one = await client.get(f"/Call/{body['calls'][0]}/", params={"status": "live"})
    assert one.status_code == 200
    call = one.json()
    assert_same_shape(call, fixture("plivo-go", "liveCallGetResponse.json"))
    assert call["call_status"] == "in-progress" and call["call_uuid"] == body["calls"][0]
    assert call["direction"] in ("inbound", "outbound")
    assert call["from"] and call["to"]


@pytest.mark.asyncio
async def test_stream_start_list_get_stop_match_the_fixtures(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    call = sim.live_call_uuids()[0]
    started = await client.post(f"/Call/{call}/Stream/", json={"service_url": "wss://x.example/a"})
    assert started.status_code == 201
    answer = started.json()
    assert_same_shape(answer, fixture("plivo-python", "liveCallStreamCreateResponse.json"))
    assert answer["message"] == "audio streaming started"
    stream_id = answer["stream_id"]

    listed = (await client.get(f"/Call/{call}/Stream/")).json()
    assert_same_shape(listed, fixture("plivo-python", "liveCallStreamGetAllResponse.json"))
    assert listed["meta"]["count"] == 1 and listed["objects"][0]["stream_id"] == stream_id
    assert listed["objects"][0]["status"] in ("initiated", "in-progress")

    await wait_for(lambda: sim.stream(stream_id).status == "in-progress", what="stream start")
    one = await client.get(f"/Call/{call}/Stream/{stream_id}/")
    assert one.status_code == 200
    detail = one.json()
    assert_same_shape(detail, listed["objects"][0] | {"api_id": ""})
    assert detail["status"] == "in-progress" and detail["start_time"] is not None
    assert detail["plivo_auth_id"] == DEMO_AUTH_ID
    assert detail["resource_uri"] == f"{ACCOUNT}/Call/{call}/Stream/{stream_id}/"

    stopped = await client.delete(f"/Call/{call}/Stream/{stream_id}/")
    assert stopped.status_code == 204 and stopped.content == b""
    after = (await client.get(f"/Call/{call}/Stream/{stream_id}/")).json()
    assert after["status"] == "completed" and after["end_time"] is not None
    assert isinstance(after["bill_duration"], int) and isinstance(after["billed_amount"], str)


@pytest.mark.asyncio
async def test_paths_work_with_and_without_trailing_slash(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    call = sim.live_call_uuids()[0]
    started = await client.post(f"/Call/{call}/Stream", json={"service_url": "ws://h.example/"})
    stream_id = started.json()["stream_id"]
    for path in (f"/Call/{call}/Stream/{stream_id}", f"/Call/{call}/Stream", "/Call"):
        response = await client.get(path, params={"status": "live"} if path == "/Call" else None)
        assert response.status_code == 200, path
    assert (await client.delete(f"/Call/{call}/Stream/{stream_id}")).status_code == 204


@pytest.mark.asyncio
async def test_stream_errors(sim: Simulator, client: httpx.AsyncClient) -> None:
    call = sim.live_call_uuids()[0]
    url = "wss://dup.example/a"
    bad = await client.post(f"/Call/{call}/Stream/", json={"service_url": "https://no.example"})
    assert_error(bad, 400, "service_url must be a valid ws:// or wss:// URL")
    first = await client.post(f"/Call/{call}/Stream/", json={"service_url": url})
    assert first.status_code == 201
    duplicate = await client.post(f"/Call/{call}/Stream/", json={"service_url": url})
    assert_error(duplicate, 400, "An active stream already exists for this service_url")
    other_call = sim.live_call_uuids()[1]
    elsewhere = await client.post(f"/Call/{other_call}/Stream/", json={"service_url": url})
    assert elsewhere.status_code == 201  # the rule is per call

    stream_id = first.json()["stream_id"]
    assert (await client.delete(f"/Call/{call}/Stream/{stream_id}/")).status_code == 204
    again = await client.delete(f"/Call/{call}/Stream/{stream_id}/")
    assert_error(again, 400, "No active stream found")
    restarted = await client.post(f"/Call/{call}/Stream/", json={"service_url": url})
    assert restarted.status_code == 201  # the URL is free once the first stream ended

    assert_error(await client.get(f"/Call/{call}/Stream/nope/"), 404, "Stream not found")
    assert_error(await client.delete(f"/Call/{call}/Stream/nope/"), 404)
    # A stream id that exists but belongs to another call is unknown on this one.
    foreign = (await client.get(f"/Call/{other_call}/Stream/")).json()["objects"][0]["stream_id"]
    assert_error(await client.get(f"/Call/{call}/Stream/{foreign}/"), 404)
    assert_error(await client.get("/Call/nope/Stream/"), 404, "Call not found")
    assert_error(await client.post("/Call/nope/Stream/", json={"service_url": url}), 404)


@pytest.mark.asyncio
async def test_body_parsing_json_form_and_garbage(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    call = sim.live_call_uuids()[0]
    form = await client.post(
        f"/Call/{call}/Stream/", data={"service_url": "ws://form.example/", "stream_timeout": "9"}
    )
    assert form.status_code == 201
    assert sim.stream(form.json()["stream_id"]).params.stream_timeout == 9
    garbage = await client.post(
        f"/Call/{call}/Stream/", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_error(garbage, 400, "Request body is not valid JSON")
    listed = await client.post(f"/Call/{call}/Stream/", json=["service_url"])
    assert_error(listed, 400, "Request body must be a JSON object")
    typed = await client.post(
        f"/Call/{call}/Stream/", json={"service_url": "ws://a.b/", "bidirectional": "maybe"}
    )
    assert_error(typed, 400, "bidirectional must be true or false")


@pytest.mark.asyncio
async def test_stop_all_ends_every_active_stream(sim: Simulator, client: httpx.AsyncClient) -> None:
    call = sim.live_call_uuids()[0]
    for i in range(3):
        await client.post(f"/Call/{call}/Stream/", json={"service_url": f"ws://h.example/{i}"})
    response = await client.delete(f"/Call/{call}/Stream/")
    assert response.status_code == 204 and response.content == b""
    assert [s.status for s in sim.streams_of(call)] == ["completed"] * 3
    assert (
        await client.delete(f"/Call/{call}/Stream/")
    ).status_code == 204  # nothing left: still 204


@pytest.mark.asyncio
async def test_unknown_or_ended_call_is_404_and_queued_calls_answer_too(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    call = sim.live_call_uuids()[0]
    sim.hangup(call)
    assert_error(
        await client.get(f"/Call/{call}/", params={"status": "live"}), 404, "Call not found"
    )
    assert_error(await client.get("/Call/unknown/", params={"status": "live"}), 404)
    assert call not in (await client.get("/Call/", params={"status": "live"})).json()["calls"]
    cdr = await client.get(f"/Call/{call}/")
    assert cdr.status_code == 200
    assert_same_shape(cdr.json(), fixture("plivo-python", "callGetResponse.json"))

    queued = sim.add_queued_calls(2)
    listing = (await client.get("/Call/", params={"status": "queued"})).json()
    assert listing["calls"] == queued
    one = await client.get(f"/Call/{queued[0]}/", params={"status": "queued"})
    assert one.status_code == 200 and one.json()["call_status"] == "queued"
    assert (await client.get(f"/Call/{queued[0]}/", params={"status": "live"})).status_code == 404
    not_live = await client.post(
        f"/Call/{queued[0]}/Stream/", json={"service_url": "ws://q.example"}
    )
    assert_error(not_live, 404)
    sim.answer(queued[0])
    assert (await client.get(f"/Call/{queued[0]}/", params={"status": "live"})).status_code == 200


@pytest.mark.asyncio
async def test_live_call_filters_and_paging(sim: Simulator, client: httpx.AsyncClient) -> None:
    inbound = sim.add_live_calls(
        25, direction="inbound", to="14155550123", **{"from": "+447700900001"}
    )
    outbound = sim.add_live_calls(
        2, direction="outbound", **{"from": "+14155550100"}, to="61491570123"
    )

    async def ids(**params: object) -> list[str]:
        response = await client.get("/Call/", params={"status": "live", **params})
        assert response.status_code == 200, response.text
        calls: list[str] = response.json()["calls"]
        return calls

    assert len(await ids()) == 20  # default limit
    everything = await ids(limit=20, offset=0) + await ids(limit=20, offset=20)
    assert everything == sim.live_call_uuids()
    assert set(await ids(call_direction="outbound")) >= set(outbound)
    assert set(await ids(call_direction="inbound", limit=20, offset=0)) <= set(
        sim.live_call_uuids()
    )
    assert await ids(from_number="447700900001", limit=5) == inbound[:5]
    assert await ids(to_number="61491570123<99999", limit=20) == outbound
    assert await ids(to_number="99999") == []
    for bad in (
        {"limit": 0},
        {"limit": 21},
        {"limit": "x"},
        {"offset": -1},
        {"call_direction": "up"},
    ):
        response = await client.get("/Call/", params={"status": "live", **bad})
        assert_error(response, 400)
    assert_error(await client.get("/Call/", params={"status": "ringing"}), 400)


@pytest.mark.asyncio
async def test_auth_failures_are_401_in_plivo_shape(sim: Simulator) -> None:
    good = (DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        path = f"{ACCOUNT}/Call/"
        live = {"status": "live"}
        assert (await http.get(path, params=live, auth=good)).status_code == 200
        for auth in (None, (DEMO_AUTH_ID, "wrong"), ("MAOTHERACCOUNT000001", DEMO_AUTH_TOKEN)):
            response = await http.get(path, params=live, auth=auth)
            assert_error(response, 401, "Authentication failed")
            assert response.headers["www-authenticate"].startswith("Basic")
        garbled = await http.get(path, params=live, headers={"Authorization": "Basic !!!"})
        assert_error(garbled, 401)
        # Good credentials, another account's path: 401 (the credentials do not open that account).
        other = await http.get("/v1/Account/MAOTHERACCOUNT000001/Call/", params=live, auth=good)
        assert_error(other, 401)
        unknown = await http.get(f"{ACCOUNT}/Nothing/", auth=good)
        assert_error(unknown, 404, "Resource not found")
        wrong_method = await http.put(f"{ACCOUNT}/Call/x/Stream/", auth=good)
        assert_error(wrong_method, 405)
    assert sim.stats.unauthorized == 5


@pytest.mark.asyncio
async def test_subaccount_sees_only_its_own_calls(sim: Simulator) -> None:
    sub_id, sub_token = "SADEMOSUBACCOUNT0001", "SubToken-demo-0001"
    sim.add_subaccount(sub_id, sub_token)
    [own] = sim.add_live_calls(1, auth_id=sub_id)
    main_call = sim.live_call_uuids()[0]
    async with httpx.AsyncClient(
        base_url=f"{sim.base_url}/v1/Account/{sub_id}", auth=(sub_id, sub_token)
    ) as http:
        assert (await http.get("/Call/", params={"status": "live"})).json()["calls"] == [own]
        assert (await http.get(f"/Call/{main_call}/", params={"status": "live"})).status_code == 404
        started = await http.post(f"/Call/{own}/Stream/", json={"service_url": "ws://sub.example"})
        assert started.status_code == 201
    with pytest.raises(ValueError, match="SA"):
        sim.add_subaccount("MAWRONG", "x")
