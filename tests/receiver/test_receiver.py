"""The receiver on loopback: what it keeps, what it refuses (with which answer), what it counts."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from console.domain.events import EventFilter, StoredEvent, Verdict
from console.domain.signature import NONCE_HEADER, SIGNATURE_HEADER, sign_request
from console.receiver.server import CALLBACK_PATH, CallbackReceiver, Credential
from console.store.event_log import EventLog
from tests.receiver.conftest import (
    AUTH_ID,
    FORM,
    OTHER_ID,
    OTHER_TOKEN,
    PUBLIC,
    TOKEN,
    Rig,
    params,
    wait_for,
)

URL = PUBLIC + CALLBACK_PATH


async def accepted(rig: Rig) -> list[StoredEvent]:
    return await rig.log.newest(EventFilter(), limit=1000)


async def rejected(rig: Rig) -> list[StoredEvent]:
    return await rig.log.newest(EventFilter(rejected=True), limit=1000)


@pytest.mark.asyncio
async def test_signed_post_is_committed_then_acknowledged(rig: Rig) -> None:
    seen: list[StoredEvent] = []
    rig.log.add_listener(seen.extend)
    p = params(1, Error="", ExtraHeaders="agent=7;team=blue")
    response = await rig.send(p)
    assert response.status == 200
    [event] = await accepted(rig)  # in the log when the 200 arrived
    assert event.params == p and event.verdict is Verdict.ACCEPTED
    assert event.account == AUTH_ID and event.url == URL and event.method == "POST"
    assert event.stream_id == p["StreamID"] and event.call_uuid == p["CallUUID"]
    assert event.source == "127.0.0.1" and event.headers[NONCE_HEADER].isdigit()
    await wait_for(lambda: seen, what="listener")
    assert seen[0].id == event.id
    assert rig.receiver.stats.accepted == 1 and rig.receiver.stats.per_minute() == 1


@pytest.mark.asyncio
async def test_get_callback_and_a_query_on_the_configured_url(rig: Rig) -> None:
    assert (await rig.send(params(2), method="GET")).status == 200
    assert (await rig.send(params(3), query="profile=blue&x=1")).status == 200
    second, first = await accepted(rig)
    assert first.method == "GET" and first.params == params(2)
    assert second.url == URL + "?profile=blue&x=1" and second.params == params(3)


@pytest.mark.asyncio
async def test_two_accounts_share_the_receiver_each_verified_with_its_own_token(
    rig: Rig,
) -> None:
    other_public = "https://other.trycloudflare.com"
    rig.creds.append(Credential(OTHER_ID, OTHER_TOKEN, other_public + CALLBACK_PATH))
    assert (await rig.send(params(1))).status == 200
    assert (
        await rig.send(params(2), token=OTHER_TOKEN, signed_url=other_public + CALLBACK_PATH)
    ).status == 200
    # account two's token over account one's URL is not what Plivo would have signed
    assert (await rig.send(params(3), token=OTHER_TOKEN)).status == 403
    two, one = await accepted(rig)
    assert one.account == AUTH_ID and two.account == OTHER_ID


@pytest.mark.asyncio
async def test_rotation_any_listed_signature_may_match(rig: Rig) -> None:
    p = params(4)
    good = sign_request(TOKEN, "POST", URL, p)
    headers = {
        NONCE_HEADER: good.nonce,
        SIGNATURE_HEADER: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=," + good.signature,
        "Content-Type": FORM,
    }
    assert await rig.raw(urlencode(p).encode(), headers) == 200


@pytest.mark.asyncio
async def test_exact_replay_is_answered_200_stored_once_and_counted(
    rig: Rig, tmp_path: Path
) -> None:
    p = params(5)
    signed = sign_request(TOKEN, "POST", URL, p)
    headers = signed.as_dict() | {"Content-Type": FORM}
    body = urlencode(p).encode()
    assert await rig.raw(body, headers) == 200
    assert await rig.raw(body, headers) == 200
    assert len(await accepted(rig)) == 1 and rig.receiver.stats.replays == 1
    [replay] = await rejected(rig)
    assert replay.verdict is Verdict.REPLAY and replay.detail.startswith("replay of event #")
    # the replay record is on disk: a new receiver on the same log still knows the request
    await rig.receiver.stop()
    fresh = CallbackReceiver(rig.log, lambda: rig.creds, port=0)
    await fresh.start()
    rig.receiver = fresh
    assert await rig.raw(body, headers) == 200
    assert len(await accepted(rig)) == 1 and fresh.stats.replays == 1


FORGERIES = {
    "wrong token": dict(token="not-the-token"),
    "other URL": dict(signed_url="https://evil.example" + CALLBACK_PATH),
    "local URL": dict(signed_url="http://127.0.0.1:8765" + CALLBACK_PATH),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("case", FORGERIES)
async def test_forged_signatures_are_refused_and_kept_apart(rig: Rig, case: str) -> None:
    response = await rig.send(params(6), **FORGERIES[case])  # type: ignore[arg-type]
    assert response.status == 403
    assert await accepted(rig) == [] and rig.receiver.stats.forged == 1
    [record] = await rejected(rig)
    assert record.verdict is Verdict.FORGED and record.params == params(6)


@pytest.mark.asyncio
async def test_tampered_parameter_is_forged(rig: Rig) -> None:
    p = params(7)
    signed = sign_request(TOKEN, "POST", URL, p)
    tampered = p | {"Event": "StopStream"}
    headers = signed.as_dict() | {"Content-Type": FORM}
    assert await rig.raw(urlencode(tampered).encode(), headers) == 403
    assert rig.receiver.stats.forged == 1 and await accepted(rig) == []


def _headers(**overrides: str | None) -> dict[str, str]:
    base = sign_request(TOKEN, "POST", URL, params(8)).as_dict() | {"Content-Type": FORM}
    for key, value in overrides.items():
        name = key.replace("_", "-")
        if value is None:
            base.pop(name)
        else:
            base[name] = value
    return base


BAD_HEADERS = {
    "no nonce": (_headers(**{"X-Plivo-Signature-V3-Nonce": None}), 403, Verdict.UNSIGNED),
    "empty nonce": (_headers(**{"X-Plivo-Signature-V3-Nonce": ""}), 403, Verdict.UNSIGNED),
    "no signatures": (
        _headers(**{"X-Plivo-Signature-V3": None, "X-Plivo-Signature-Ma-V3": None}),
        403,
        Verdict.UNSIGNED,
    ),
    "not base64": (
        _headers(**{"X-Plivo-Signature-V3": "%%%", "X-Plivo-Signature-Ma-V3": "???"}),
        403,
        Verdict.FORGED,
    ),
    "4 KiB signature": (
        _headers(**{"X-Plivo-Signature-V3": "A" * 4096, "X-Plivo-Signature-Ma-V3": None}),
        403,
        Verdict.FORGED,
    ),
    "JSON": (_headers(Content_Type="application/json"), 415, Verdict.MALFORMED),
    "multipart": (_headers(Content_Type="multipart/form-data; boundary=x"), 415, Verdict.MALFORMED),
    "text": (_headers(Content_Type="text/plain"), 415, Verdict.MALFORMED),
    "latin-1": (_headers(Content_Type=FORM + "; charset=latin-1"), 415, Verdict.MALFORMED),
    "gzip": (_headers(Content_Encoding="gzip"), 415, Verdict.MALFORMED),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("case", BAD_HEADERS)
async def test_bad_headers_get_their_documented_answer(rig: Rig, case: str) -> None:
    headers, status, verdict = BAD_HEADERS[case]
    assert await rig.raw(urlencode(params(8)).encode(), headers) == status
    assert await accepted(rig) == []
    [record] = await rejected(rig)
    assert record.verdict is verdict
    assert rig.receiver.stats.rejected == 1


BAD_BODIES = {
    "bad escape": (b"Event=Start%zzStream", 400),
    "percent-encoded non-UTF-8": (b"Event=%FF%FE", 400),
    "raw non-UTF-8": (b"Event=\xff\xfe", 400),
    "NUL": (b"Event=Start%00Stream", 400),
    "nameless": (b"=x&Event=StartStream", 400),
    "too many params": ("&".join(f"k{i}=v" for i in range(300)).encode(), 400),
    "16 KiB + 1": (b"Event=" + b"x" * (16 * 1024 - 5), 413),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("case", BAD_BODIES)
async def test_bad_bodies_are_refused_never_5xx(rig: Rig, case: str) -> None:
    body, status = BAD_BODIES[case]
    assert await rig.raw(body, _headers()) == status
    assert await accepted(rig) == [] and rig.receiver.stats.malformed == 1


@pytest.mark.asyncio
async def test_chunked_body_over_the_cap_is_413(rig: Rig) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 1024

    async with rig.http.post(rig.url, data=chunks(), headers=_headers()) as response:
        assert response.status == 413
    assert rig.receiver.stats.malformed == 1


@pytest.mark.asyncio
async def test_wrong_method_and_path(rig: Rig) -> None:
    assert await rig.raw(b"", {}, method="PUT") == 405
    assert await rig.raw(b"", {}, method="GET", path="/other") == 404
    assert rig.receiver.stats.malformed == 2 and await accepted(rig) == []


@pytest.mark.asyncio
async def test_rate_limit_charges_refused_requests_only(rig: Rig) -> None:
    rig.receiver.limiter.rate = 1.0
    rig.receiver.limiter.burst = 5.0
    rig.receiver.limiter._tokens = 5.0
    forged = [(await rig.send(params(n), token="not-the-token")).status for n in range(20)]
    assert forged.count(403) in (5, 6) and forged.count(429) == 20 - forged.count(403)
    assert rig.receiver.stats.rate_limited == forged.count(429)
    # the bucket is empty, yet every verified callback is kept and answered 200
    genuine = [(await rig.send(params(100 + n))).status for n in range(20)]
    assert genuine == [200] * 20 and len(await accepted(rig)) == 20


@pytest.mark.asyncio
async def test_full_database_is_503_never_200_and_recovers(rig: Rig) -> None:
    writer = rig.log._writer
    pages = await writer.submit(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    await writer.submit(
        lambda c: c.execute(f"PRAGMA max_page_count={pages}").fetchone(), transactional=False
    )
    statuses = [
        (await rig.send(params(n, Pad="p" * 4000))).status for n in range(30)
    ]  # fills the last free pages, then the disk is "full"
    assert 503 in statuses and set(statuses) <= {200, 503}
    kept = {e.stream_id for e in await accepted(rig)}
    acked = {params(n)["StreamID"] for n, s in enumerate(statuses) if s == 200}
    assert kept == acked and rig.receiver.stats.unavailable == statuses.count(503)
    await writer.submit(
        lambda c: c.execute("PRAGMA max_page_count=1073741823").fetchone(), transactional=False
    )
    assert (await rig.send(params(99))).status == 200


@pytest.mark.asyncio
async def test_unwritable_log_is_503(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    log = EventLog(blocker / "events.sqlite3", maintenance_interval_s=0)
    await log.open()
    creds = [Credential(AUTH_ID, TOKEN, URL)]
    receiver = CallbackReceiver(log, lambda: creds, port=0)
    await receiver.start()
    import aiohttp

    try:
        body = urlencode(params(1))
        headers = sign_request(TOKEN, "POST", URL, params(1)).as_dict() | {"Content-Type": FORM}
        async with (
            aiohttp.ClientSession() as http,
            http.post(receiver.local_url + CALLBACK_PATH, data=body, headers=headers) as r,
        ):
            assert r.status == 503
        assert receiver.stats.unavailable == 1
    finally:
        await receiver.stop()
        await log.close()


@pytest.mark.asyncio
async def test_binds_loopback_by_default(rig: Rig) -> None:
    assert rig.receiver.host == "127.0.0.1"
    listener = rig.receiver._listener
    assert listener is not None
    assert {s.getsockname()[0] for s in listener.sockets} == {"127.0.0.1"}
    # a non-loopback address of this machine does not reach it
    for address in _own_addresses():
        with pytest.raises(OSError):
            socket.create_connection((address, rig.receiver.port), timeout=1).close()


def _own_addresses() -> list[str]:
    """This machine's primary non-loopback IPv4 address, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            return []
        address = str(probe.getsockname()[0])
    return [] if address.startswith("127.") else [address]


@pytest.mark.asyncio
async def test_raw_bytes_on_the_wire_are_400_not_5xx(rig: Rig) -> None:
    """Bytes aiohttp lets through undecoded (request line, header values) never reach the
    signature maths as text it cannot encode."""
    import asyncio

    good = sign_request(TOKEN, "GET", URL, {"Event": "x"})
    requests = [
        f"GET {CALLBACK_PATH}?Event=\xff HTTP/1.1\r\nHost: x\r\n".encode("latin-1")
        + f"{NONCE_HEADER}: {good.nonce}\r\n{SIGNATURE_HEADER}: {good.signature}\r\n\r\n".encode(),
        f"GET {CALLBACK_PATH}?Event=x HTTP/1.1\r\nHost: x\r\n{NONCE_HEADER}: ".encode()
        + b"\xff\xfe1\r\n"
        + f"{SIGNATURE_HEADER}: {good.signature}\r\nConnection: close\r\n\r\n".encode(),
    ]
    for raw in requests:
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.receiver.port)
        writer.write(raw)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        await writer.wait_closed()
        assert status_line.split()[1] in (b"400", b"403"), status_line
    assert await accepted(rig) == []
