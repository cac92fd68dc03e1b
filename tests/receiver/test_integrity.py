"""Nothing an unauthenticated sender (or a missing flag) does makes the receiver lose a genuine
callback: no Auth ID given, a flood of fat refused requests, a log full of genuine events, a
replay dressed up with other signature headers, a signed request re-split into other
parameters (docs/callbacks.md, "What is kept" and "Replays")."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from console.domain.events import EventFilter, StoredEvent, Verdict
from console.domain.refused import REFUSED_ROW_MAX_BYTES
from console.domain.signature import (
    MAIN_ACCOUNT_SIGNATURE_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    sign_request,
)
from console.receiver.server import CALLBACK_PATH, Credential
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator
from console.store.event_log import EventLog
from tests.receiver.conftest import FORM, PUBLIC, TOKEN, Rig, params, wait_for
from tests.simulator.conftest import ACCOUNT, quiet_config

URL = PUBLIC + CALLBACK_PATH
REPO = Path(__file__).resolve().parents[2]


async def accepted(rig: Rig) -> list[StoredEvent]:
    return await rig.log.newest(EventFilter(), limit=10_000)


async def refused(rig: Rig) -> list[StoredEvent]:
    return await rig.log.newest(EventFilter(rejected=True), limit=10_000)


# --- 1. a label never decides whether a signature matched ----------------------------------------
@pytest.mark.asyncio
async def test_an_account_given_without_an_auth_id_still_keeps_its_callbacks(rig: Rig) -> None:
    rig.creds[:] = [Credential("", TOKEN, URL)]
    assert (await rig.send(params(1))).status == 200
    [event] = await accepted(rig)
    assert event.verdict is Verdict.ACCEPTED and event.account == ""
    assert (await rig.send(params(2), token="not-the-token")).status == 403


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_receive_with_only_the_required_options_keeps_a_simulators_start(
    tmp_path: Path,
) -> None:
    """`receive --help` marks --public-url, one token option and --db required: started with
    just those (the default port, no --auth-id), it keeps what the simulator sends."""
    assert _free(8765), "the default port 8765 is taken on this machine"
    public = "http://127.0.0.1:8765"  # no tunnel: Plivo (the simulator) calls this directly
    db = tmp_path / "events.sqlite3"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "console", "receive",
            "--public-url", public, "--auth-token-env", "PLIVO_TOKEN", "--db", str(db),
        ],
        cwd=REPO, env=dict(os.environ, PLIVO_TOKEN=DEMO_AUTH_TOKEN),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    sim = Simulator(quiet_config())
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "listening on http://127.0.0.1:8765", line
        await sim.start()
        call = sim.live_call_uuids()[0]
        async with httpx.AsyncClient(
            base_url=sim.base_url + ACCOUNT, auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN), timeout=5.0
        ) as api:
            started = await api.post(
                f"/Call/{call}/Stream/",
                json={
                    "service_url": "wss://agent.example/a",
                    "status_callback_url": public + CALLBACK_PATH,
                },
            )
            assert started.status_code == 201, started.text
            stream_id = started.json()["stream_id"]

        def kept() -> list[tuple[str, str, str]]:
            if not db.exists():
                return []
            with sqlite3.connect(db) as conn:
                return conn.execute("SELECT event, stream_id, verdict FROM events").fetchall()

        await wait_for(kept, timeout=20, what="the StartStream in the log")
        assert kept() == [("StartStream", stream_id, "accepted")]
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM rejected").fetchone()[0] == 0
    finally:
        await sim.stop()
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "1 events kept" in out and "0 refused" in out


# --- 2. refused traffic is bounded in bytes and never costs an event ---------------------------
def _fat_unsigned(n: int) -> dict[str, str]:
    headers = {f"X-Pad-{i:02d}": f"{n}-" + "p" * 4000 for i in range(50)}
    return headers | {"Content-Type": FORM}


@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_a_flood_of_fat_refused_requests_cannot_push_events_out(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    log = EventLog(path, max_bytes=1_000_000, max_rejected_bytes=200_000, maintenance_interval_s=0)
    await log.open()
    rig_creds = [Credential("MAAAAAAAAAAAAAAAAAA1", TOKEN, URL)]
    from console.receiver.server import CallbackReceiver

    receiver = CallbackReceiver(log, lambda: rig_creds, port=0)
    receiver.recorder.rate = receiver.recorder.burst = 1e9  # record every refusal: worst case
    await receiver.start()
    import aiohttp

    http = aiohttp.ClientSession()
    rig = Rig(receiver, log, http, rig_creds)
    try:
        genuine = [(await rig.send(params(n))).status for n in range(40)]
        assert genuine == [200] * 40
        body = urlencode(params(999)).encode()
        for n in range(300):  # about 60 MB offered, each request with 200 KB of headers
            assert await rig.raw(body, _fat_unsigned(n)) == 403
        await log.maintain()
        assert {e.stream_id for e in await accepted(rig)} == {
            params(n)["StreamID"] for n in range(40)
        }
        assert not log.full, log.full
        records = await refused(rig)
        assert 0 < len(records) <= 200_000 // REFUSED_ROW_MAX_BYTES + 100
        newest = records[0]
        assert len(newest.headers) < 50 and "more header(s) not kept" in newest.detail
        with sqlite3.connect(path) as conn:
            row_bytes = conn.execute(
                "SELECT max(length(CAST(params AS BLOB)) + length(CAST(headers AS BLOB)) "
                "+ length(url) + length(detail)) FROM rejected"
            ).fetchone()[0]
        assert row_bytes <= REFUSED_ROW_MAX_BYTES
        assert path.stat().st_size < 3_000_000  # events, their index and the refused budget
    finally:
        await http.close()
        await receiver.stop()
        await log.close()


@pytest.mark.asyncio
async def test_a_log_full_of_genuine_events_says_so_and_answers_503(rig: Rig) -> None:
    for n in range(30):
        assert (await rig.send(params(n, Pad="x" * 3000))).status == 200
    rig.log.max_bytes = 50_000
    await rig.log.maintain()
    assert "full" in rig.log.full
    statuses = [(await rig.send(params(100 + n))).status for n in range(3)]
    assert statuses == [503] * 3 and rig.receiver.stats.unavailable == 3
    assert len(await accepted(rig)) == 30  # nothing kept was deleted to make room
    rig.log.max_bytes = 10**9
    await rig.log.maintain()
    assert (await rig.send(params(200))).status == 200


# --- 3. a nonce is used once, whatever the headers around it -----------------------------------
def _variants(signature: str) -> dict[str, dict[str, str]]:
    junk = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    return {
        "trailing comma": {SIGNATURE_HEADER: signature + ","},
        "junk after": {SIGNATURE_HEADER: signature + ",x"},
        "junk before": {SIGNATURE_HEADER: "x," + signature},
        "junk in V3, real in Ma-V3": {
            SIGNATURE_HEADER: junk,
            MAIN_ACCOUNT_SIGNATURE_HEADER: signature,
        },
        "only Ma-V3": {MAIN_ACCOUNT_SIGNATURE_HEADER: signature},
    }


@pytest.mark.asyncio
async def test_a_replay_with_other_signature_headers_is_stored_once(rig: Rig) -> None:
    p = params(5)
    signed = sign_request(TOKEN, "POST", URL, p)
    body = urlencode(p).encode()
    assert await rig.raw(body, signed.as_dict() | {"Content-Type": FORM}) == 200
    for name, headers in _variants(signed.signature).items():
        sent = {NONCE_HEADER: signed.nonce, "Content-Type": FORM} | headers
        assert await rig.raw(body, sent) == 200, name
    assert len(await accepted(rig)) == 1
    assert rig.receiver.stats.replays == len(_variants(signed.signature))


@pytest.mark.asyncio
async def test_a_signed_request_re_split_into_other_parameters_is_forged(rig: Rig) -> None:
    p = {"CallUUID": "c-1", "Event": "StopStream", "StreamID": "s-1"}
    signed = sign_request(TOKEN, "POST", URL, p)
    headers = signed.as_dict() | {"Content-Type": FORM}
    assert await rig.raw(urlencode(p).encode(), headers) == 200
    # V3 concatenates keys and values with no separator: one parameter holding the rest
    # gives the same base string, so the same signature verifies it.
    resplit = {"CallUUID": "c-1EventStopStreamStreamIDs-1"}
    assert sign_request(TOKEN, "POST", URL, resplit, nonce=signed.nonce) == signed
    for extra in ({}, {SIGNATURE_HEADER: signed.signature + ",x"}):
        assert await rig.raw(urlencode(resplit).encode(), headers | extra) == 403
    [event] = await accepted(rig)
    assert event.params == p
    forged = [r for r in await refused(rig) if r.verdict is Verdict.FORGED]
    assert len(forged) == 2 and "other parameters" in forged[0].detail
    assert rig.receiver.stats.forged == 2


@pytest.mark.asyncio
async def test_a_log_from_before_keeps_its_replay_record(tmp_path: Path) -> None:
    """A log written by the previous schema keyed replays by (nonce, signature): opening it
    carries those nonces over, and a copy of a kept request is still a replay."""
    path = tmp_path / "old.sqlite3"
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    p = params(1)
    signed = sign_request(TOKEN, "POST", URL, p)
    from tests.store.events_factory import make_event

    first = await log.append(
        make_event(1, url=URL, params=p, headers={NONCE_HEADER: signed.nonce}),
        nonce=signed.nonce,
    )
    await log.close()
    with sqlite3.connect(path) as conn:  # as the previous version left it
        conn.executescript(
            "DROP TABLE used_nonces;"
            "CREATE TABLE nonces (nonce TEXT NOT NULL, signature TEXT NOT NULL, received_at "
            "REAL NOT NULL, event_id INTEGER NOT NULL, PRIMARY KEY (nonce, signature)) "
            "WITHOUT ROWID;"
        )
        conn.execute("INSERT INTO nonces VALUES (?, ?, 1, ?)", (signed.nonce, signed.signature, 1))
    reopened = EventLog(path, maintenance_interval_s=0)
    await reopened.open()
    try:
        again = await reopened.append(make_event(2, url=URL, params=p), nonce=signed.nonce)
        assert again.replay and again.event.id == first.event.id
        other = await reopened.append(
            make_event(3, url=URL, params={"CallUUID": "x"}), nonce=signed.nonce
        )
        assert other.conflict and not other.replay
        assert await reopened.count(EventFilter()) == 1
    finally:
        await reopened.close()


@pytest.mark.asyncio
async def test_a_body_too_slow_is_answered_408_then_closed(rig: Rig) -> None:
    import asyncio

    rig.receiver.body_deadline_s = 0.3
    reader, writer = await asyncio.open_connection("127.0.0.1", rig.receiver.port)
    writer.write(
        (
            f"POST {CALLBACK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
            "Content-Length: 500\r\n\r\nEvent=Start"
        ).encode()
    )
    await writer.drain()
    try:
        async with asyncio.timeout(5):
            answer = await reader.read()  # until the receiver closes the connection
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    [record] = await refused(rig)
    assert record.verdict is Verdict.MALFORMED and "too slow" in record.detail


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_receive_on_a_full_log_says_so_answers_503_and_deletes_nothing(
    tmp_path: Path,
) -> None:
    from tests.store.events_factory import make_event

    db = tmp_path / "events.sqlite3"
    log = EventLog(db, maintenance_interval_s=0)
    await log.open()
    for n in range(40):
        await log.append(make_event(n, extra={"Pad": "x" * 3000}))
    await log.close()
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "console", "receive", "--port", "0", "--public-url", PUBLIC,
            "--auth-token-env", "PLIVO_TOKEN", "--db", str(db), "--max-log-mb", "0.05",
        ],
        cwd=REPO, env=dict(os.environ, PLIVO_TOKEN=TOKEN),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        p = params(1)
        headers = sign_request(TOKEN, "POST", URL, p).as_dict() | {"Content-Type": FORM}
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                line.split()[-1] + CALLBACK_PATH, content=urlencode(p), headers=headers
            )
        assert answer.status_code == 503 and answer.headers["Retry-After"]
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "the event log is full" in err and "answering 503" in err
    assert "1 not stored (503)" in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 40
