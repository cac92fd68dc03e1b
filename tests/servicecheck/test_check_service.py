"""The service check against real services on loopback: a good one, TLS with an expired and a
self-signed certificate (made here), one that refuses the upgrade, one that closes on `start`,
one that answers in the wrong format, a bidirectional echo, hostile ones, and the simulator's
media sink; plus the command line as a bot team would run it."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import json
import re
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from console.domain.service_check import CheckReport, CheckRequest, Stage
from console.domain.stream_params import ContentType
from console.servicecheck import check_service
from console.servicecheck.wsclient import accept_for

REPO = Path(__file__).resolve().parents[2]
Handler = Callable[[web.WebSocketResponse, list[dict[str, Any]]], Awaitable[None]]


@asynccontextmanager
async def service(
    handler: Handler | None = None,
    *,
    tls: ssl.SSLContext | None = None,
    refuse: int | None = None,
) -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
    """A WebSocket service on 127.0.0.1: `handler(ws, received)` runs after the upgrade;
    `received` collects every JSON message it got. `refuse` answers the upgrade with that
    HTTP status instead."""
    received: list[dict[str, Any]] = []

    async def endpoint(request: web.Request) -> web.StreamResponse:
        if refuse is not None:
            return web.Response(status=refuse, text="no")
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        if handler is not None:
            await handler(ws, received)
        else:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    received.append(json.loads(msg.data))
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", endpoint)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield port, received
    finally:
        await runner.cleanup()


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    not_after: dt.datetime | None = None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    issuer_name, issuer_key = issuer if issuer else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(not_after or now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _server_context(
    tmp: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> ssl.SSLContext:
    cert_file, key_file = tmp / "server.pem", tmp / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def _ca(tmp: Path) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    key = _key()
    cert = _cert("Stream Console Test CA", key, None, ca=True)
    path = tmp / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, path


async def run_check(url: str, **kw: Any) -> CheckReport:
    cafile = kw.pop("cafile", None)
    return await check_service(
        CheckRequest(url, seconds=kw.pop("seconds", 1.0), **kw), cafile=cafile
    )


def stages(report: CheckReport) -> list[tuple[Stage, bool]]:
    return [(s.stage, s.ok) for s in report.stages]


# --- a good service -------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_good_service_passes_and_gets_what_plivo_would_send() -> None:
    async with service() as (port, received):
        report = await run_check(
            f"ws://127.0.0.1:{port}/bot?x=1",
            content_type=ContentType.L16_16K,
            extra_headers="agent=7,team=blue",
        )
    assert report.passed, report.as_text()
    assert [s for s, _ in stages(report)] == [
        Stage.RESOLVE, Stage.CONNECT, Stage.UPGRADE, Stage.START, Stage.MEDIA, Stage.CLOSE
    ]  # fmt: skip
    start, *media = received
    assert start["event"] == "start"
    assert start["start"]["mediaFormat"] == {"encoding": "audio/x-l16", "sampleRate": 16000}
    assert start["start"]["tracks"] == ["inbound"] and start["extra_headers"] == "agent=7,team=blue"
    assert len(media) == 50 and {m["event"] for m in media} == {"media"}
    sizes = {len(base64.b64decode(m["media"]["payload"])) for m in media}
    assert sizes == {640}  # 20 ms of 16-bit audio at 16 kHz
    assert [m["media"]["chunk"] for m in media] == list(range(1, 51))
    assert report.headline == "Passed: accepted the stream and its audio"


@pytest.mark.asyncio
async def test_both_tracks_are_sent_each_frame() -> None:
    async with service() as (port, received):
        report = await run_check(f"ws://127.0.0.1:{port}/", audio_track=_track("both"))
    assert report.passed
    tracks = [m["media"]["track"] for m in received[1:]]
    assert tracks.count("inbound") == tracks.count("outbound") == 50


def _track(name: str) -> Any:
    from console.domain.stream_params import AudioTrack

    return AudioTrack(name)


# --- TLS ----------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_an_expired_certificate_says_when_it_expired(tmp_path: Path) -> None:
    ca_key, ca_file = _ca(tmp_path)
    key = _key()
    expired = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    cert = _cert("localhost", key, ("Stream Console Test CA", ca_key), not_after=expired)
    async with service(tls=_server_context(tmp_path, cert, key)) as (port, _):
        report = await run_check(f"wss://localhost:{port}/", cafile=str(ca_file))
    assert not report.passed
    assert report.failure is not None and report.failure.stage is Stage.TLS
    assert report.headline == "The certificate of localhost expired on 30 Nov 2026"


@pytest.mark.asyncio
async def test_a_self_signed_certificate_is_named_so(tmp_path: Path) -> None:
    key = _key()
    cert = _cert("localhost", key, None)
    async with service(tls=_server_context(tmp_path, cert, key)) as (port, _):
        report = await run_check(f"wss://localhost:{port}/")
    assert report.failure is not None and report.failure.stage is Stage.TLS
    assert "self-signed" in report.headline


@pytest.mark.asyncio
async def test_a_valid_certificate_passes_with_its_date(tmp_path: Path) -> None:
    ca_key, ca_file = _ca(tmp_path)
    key = _key()
    cert = _cert("localhost", key, ("Stream Console Test CA", ca_key))
    async with service(tls=_server_context(tmp_path, cert, key)) as (port, received):
        report = await run_check(f"wss://localhost:{port}/", cafile=str(ca_file))
    assert report.passed, report.as_text()
    tls = next(s for s in report.stages if s.stage is Stage.TLS)
    assert "verified, valid until" in tls.words and received[0]["event"] == "start"


# --- services that say no -----------------------------------------------------------------------
@pytest.mark.asyncio
async def test_a_refused_upgrade_is_named_with_its_status() -> None:
    async with service(refuse=403) as (port, _):
        report = await run_check(f"ws://127.0.0.1:{port}/")
    assert report.failure is not None and report.failure.stage is Stage.UPGRADE
    assert report.headline == (
        "The service answered the WebSocket upgrade with HTTP 403 Forbidden "
        "(not 101 Switching Protocols)"
    )


async def _close_on_start(ws: web.WebSocketResponse, received: list[dict[str, Any]]) -> None:
    msg = await ws.receive()
    received.append(json.loads(msg.data))
    await asyncio.sleep(0.2)
    await ws.close(code=1008, message=b"unknown account")


@pytest.mark.asyncio
async def test_a_service_that_closes_on_start_says_when_and_why() -> None:
    async with service(_close_on_start) as (port, received):
        report = await run_check(f"ws://127.0.0.1:{port}/", seconds=3.0)
    assert received[0]["event"] == "start"
    assert report.failure is not None and report.failure.stage is Stage.MEDIA
    words = report.headline
    after = re.match(r"The service closed the connection (\d+) ms after the start event", words)
    assert after is not None, words
    assert 100 <= int(after.group(1)) < 2000  # the service waited 200 ms (on a busy machine)
    assert "(code 1008: policy violation, 'unknown account')" in words


@pytest.mark.asyncio
async def test_a_refused_port_and_an_unknown_host() -> None:
    async with service() as (port, _):
        pass  # closed again: nothing listens there now
    refused = await run_check(f"ws://127.0.0.1:{port}/")
    assert refused.headline == f"127.0.0.1:{port} refused the connection"
    unknown = await run_check("wss://nonexistent.invalid/a")
    assert unknown.failure is not None and unknown.failure.stage is Stage.RESOLVE
    assert unknown.headline.startswith("This computer could not find nonexistent.invalid")


# --- bidirectional --------------------------------------------------------------------------
def _echo(content_type: str, rate: int, width: int) -> Handler:
    async def handler(ws: web.WebSocketResponse, received: list[dict[str, Any]]) -> None:
        answered = False
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            message = json.loads(msg.data)
            received.append(message)
            if message["event"] == "media" and not answered:
                answered = True
                audio = base64.b64encode(b"\x00" * (rate * width // 10)).decode()  # 100 ms
                play = {"contentType": content_type, "sampleRate": rate, "payload": audio}
                await ws.send_str(json.dumps({"event": "playAudio", "media": play}))
                await ws.send_str(json.dumps({"event": "checkpoint", "name": "greeting"}))

    return handler


@pytest.mark.asyncio
async def test_a_bidirectional_echo_passes_with_its_answer_time_and_checkpoint() -> None:
    async with service(_echo("audio/x-l16", 16000, 2)) as (port, received):
        report = await run_check(
            f"ws://127.0.0.1:{port}/", bidirectional=True, content_type=ContentType.L16_16K
        )
    assert report.passed, report.as_text()
    assert report.first_audio_back_s is not None and report.first_audio_back_s < 0.5
    assert report.headline.startswith("Passed: accepted the stream, answered with audio ")
    answer = next(s for s in report.stages if s.stage is Stage.ANSWER)
    assert "0.1 s of L16 16 kHz audio back" in answer.words and "1 checkpoint" in answer.words
    played = [m for m in received if m.get("event") == "playedStream"]
    assert played and played[0]["name"] == "greeting"


@pytest.mark.asyncio
async def test_audio_back_in_another_format_is_named() -> None:
    async with service(_echo("audio/x-mulaw", 8000, 1)) as (port, _):
        report = await run_check(
            f"ws://127.0.0.1:{port}/", bidirectional=True, content_type=ContentType.L16_16K
        )
    assert report.failure is not None and report.failure.stage is Stage.ANSWER
    assert report.headline == (
        "The service sent audio back as μ-law 8 kHz while the stream asked for L16 16 kHz"
    )


# --- hostile services ---------------------------------------------------------------------
async def _huge(ws: web.WebSocketResponse, received: list[dict[str, Any]]) -> None:
    await ws.receive()
    await ws.send_str("x" * (5 * 1024 * 1024))
    await ws.receive()


async def _garbage(ws: web.WebSocketResponse, received: list[dict[str, Any]]) -> None:
    async for msg in ws:
        if msg.type is WSMsgType.TEXT and json.loads(msg.data)["event"] == "start":
            for _ in range(5):
                await ws.send_str("not json {")


@pytest.mark.asyncio
async def test_a_huge_frame_ends_the_check_with_a_clear_verdict() -> None:
    async with service(_huge) as (port, _):
        report = await run_check(f"ws://127.0.0.1:{port}/", seconds=2.0)
    assert report.failure is not None
    assert "a message of 5.0 MB, over the 4 MB" in report.headline


@pytest.mark.asyncio
async def test_garbage_is_noted_not_fatal() -> None:
    async with service(_garbage) as (port, _):
        report = await run_check(f"ws://127.0.0.1:{port}/", bidirectional=True)
    assert report.passed
    assert any("5 message(s) that are not JSON" in w for w in report.warnings)


@pytest.mark.asyncio
@pytest.mark.timeout(30)
async def test_a_service_that_never_answers_is_bounded_by_the_budget() -> None:
    held: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accepts, reads nothing, answers nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    began = loop.time()
    report = await check_service(CheckRequest(f"ws://127.0.0.1:{port}/", budget_s=2.0))
    took = loop.time() - began
    server.close()
    for writer in held:
        writer.close()
    await server.wait_closed()
    assert report.failure is not None and report.failure.stage is Stage.UPGRADE
    assert "did not answer the WebSocket upgrade" in report.headline
    assert took < 3.0


@pytest.mark.asyncio
async def test_the_reported_upgrade_time_matches_the_servers_own_within_20_ms() -> None:
    measured: list[float] = []

    async def slow_upgrade(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        arrived = asyncio.get_running_loop().time()
        key = next(
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        await asyncio.sleep(0.3)
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + f"Sec-WebSocket-Accept: {accept_for(key)}\r\n\r\n".encode()
        )
        await writer.drain()
        measured.append(asyncio.get_running_loop().time() - arrived)
        await reader.read()  # until the check closes
        writer.close()

    server = await asyncio.start_server(slow_upgrade, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        report = await run_check(f"ws://127.0.0.1:{port}/", seconds=0.5)
    finally:
        server.close()
        await server.wait_closed()
    upgrade = next(s for s in report.stages if s.stage is Stage.UPGRADE)
    assert upgrade.ok and measured
    assert abs(upgrade.seconds - measured[0]) < 0.020, (upgrade.seconds, measured[0])


# --- the simulator's media sink, and the rules for Plivo ------------------------------------
@pytest.mark.asyncio
async def test_the_simulators_sink_passes_and_the_plivo_rules_are_said() -> None:
    from console.simulator import Simulator
    from tests.simulator.conftest import quiet_config

    sim = Simulator(quiet_config())
    await sim.start()
    try:
        url = sim.base_url.replace("http://", "ws://") + "/_sim/media-sink"
        report = await run_check(url)
    finally:
        await sim.stop()
    assert report.passed, report.as_text()
    assert any(w.startswith("Plivo would refuse this: ") for w in report.warnings)
    assert any("not from Plivo's network" in w for w in report.warnings)


# --- the command line -------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", "check-service", *args],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_the_command_exits_0_only_when_the_service_passed() -> None:
    async with service() as (port, _):
        good = await asyncio.to_thread(_cli, f"ws://127.0.0.1:{port}/", "--seconds", "0.5")
        as_json = await asyncio.to_thread(
            _cli, f"ws://127.0.0.1:{port}/", "--seconds", "0.5", "--json"
        )
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("PASSED  Passed: accepted the stream")
    data = json.loads(as_json.stdout)
    assert data["passed"] is True and [s["stage"] for s in data["stages"]][-1] == "close"
    refused = await asyncio.to_thread(_cli, f"ws://127.0.0.1:{port}/")
    assert refused.returncode == 1 and "refused the connection" in refused.stdout
    bad = await asyncio.to_thread(_cli, "ws://x/", "--bidirectional", "--track", "both")
    assert bad.returncode == 2 and "inbound track only" in bad.stderr
