"""Check a stream service as Plivo's media server would meet it (docs/service-check.md).

Stages, each timed and bounded: find the host, connect, TLS with certificate verification (wss),
the WebSocket upgrade, the `start` event with the requested format and extra headers, a few
seconds of the simulator's synthetic speech in real time (20 ms frames), on a bidirectional
setup what the service sends back (`playAudio` checked and decoded, `checkpoint` answered with
`playedStream` once the audio before it has played, `clearAudio` with `clearedAudio`), then the
close Plivo makes when a stream ends (1000; no `stop` message is documented). The whole check
stays within the request's budget (15 s by default), whatever the service does.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import ipaddress
import json
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from console import __version__
from console.domain.service_check import (
    NOT_FROM_PLIVO,
    CheckReport,
    CheckRequest,
    Stage,
    StageResult,
    after_words,
    close_words,
    format_words,
    plivo_rules_problems,
)
from console.servicecheck.wsclient import (
    OP_CLOSE,
    OP_TEXT,
    BadFrame,
    Connection,
    TooBig,
    UpgradeRefused,
    upgrade,
)

RESOLVE_S = 3.0
CONNECT_S = 5.0
TLS_S = 5.0
UPGRADE_S = 5.0
ANSWER_GRACE_S = 1.0  # after the last frame, how long a bidirectional service may still answer
CLOSE_S = 2.0
FRAME_MS = 20
ACCOUNT_ID = "MASTREAMCONSOLECHECK"  # shaped like an Auth ID, plainly not a real one
USER_AGENT = f"StreamConsole-check/{__version__}"
_WIDTH = {("audio/x-l16", 8000): 2, ("audio/x-l16", 16000): 2, ("audio/x-mulaw", 8000): 1}


class _Failed(Exception):
    def __init__(self, stage: Stage, words: str) -> None:
        super().__init__(words)
        self.stage = stage
        self.words = words


@dataclass
class _Run:
    request: CheckRequest
    clock: Callable[[], float]
    deadline: float
    stages: list[StageResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    current: float = 0.0

    def start(self) -> float:
        """A stage begins now (a failure is timed from here)."""
        self.current = self.clock()
        return self.current

    def limit(self, seconds: float) -> float:
        """A stage's timeout: its own, or what is left of the whole check's budget."""
        return max(0.05, min(seconds, self.deadline - self.clock()))

    def record(self, stage: Stage, started: float, words: str, ok: bool = True) -> None:
        self.stages.append(StageResult(stage, ok, self.clock() - started, words))


async def check_service(
    request: CheckRequest,
    *,
    cafile: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> CheckReport:
    """Run the check; never raises for anything the service or the network does."""
    run = _Run(request, clock, clock() + request.budget_s)
    run.start()
    run.warnings.extend(plivo_rules_problems(request))
    run.warnings.append(NOT_FROM_PLIVO)
    writer: asyncio.StreamWriter | None = None
    try:
        writer = await _stages(run, cafile)
    except _Failed as failed:
        run.stages.append(StageResult(failed.stage, False, clock() - run.current, failed.words))
    finally:
        if writer is not None:
            writer.transport.abort()
    back = run.facts.get("first_audio_back_s")
    return CheckReport(request.service_url, tuple(run.stages), tuple(run.warnings), back, run.facts)


async def _stages(run: _Run, cafile: str | None) -> asyncio.StreamWriter | None:
    parts = urlsplit(run.request.service_url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss") or not parts.hostname:
        raise _Failed(
            Stage.RESOLVE, "The stream URL must start with wss:// (or ws://) and name a host"
        )
    host = parts.hostname
    try:
        port = parts.port or (443 if scheme == "wss" else 80)
    except ValueError as exc:
        raise _Failed(Stage.RESOLVE, f"The stream URL's port is not a port: {exc}") from None
    addresses = await _resolve(run, host, port)
    reader, writer = await _connect(run, host, port, addresses)
    try:
        if scheme == "wss":
            await _tls(run, writer, host, port, addresses[0], cafile)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default = 443 if scheme == "wss" else 80
        shown = f"[{host}]" if ":" in host else host
        host_header = shown if port == default else f"{shown}:{port}"
        started = run.start()
        try:
            headers = await asyncio.wait_for(
                upgrade(reader, writer, host_header=host_header, target=target,
                        user_agent=USER_AGENT),
                run.limit(UPGRADE_S),
            )  # fmt: skip
        except UpgradeRefused as refused:
            raise _Failed(Stage.UPGRADE, f"The service {refused.words}") from None
        except TimeoutError:
            raise _Failed(
                Stage.UPGRADE, f"The service did not answer the WebSocket upgrade within "
                f"{run.limit(UPGRADE_S):.0f} s",
            ) from None  # fmt: skip
        except (ConnectionError, OSError) as exc:
            raise _Failed(
                Stage.UPGRADE, f"The connection broke during the upgrade: {exc}"
            ) from None
        run.facts["server"] = headers.get("server", "")[:80]
        run.record(Stage.UPGRADE, started, "accepted the WebSocket upgrade (101)")
        await _stream(run, Connection(reader, writer))
    except BaseException:
        writer.transport.abort()
        raise
    return writer


async def _resolve(run: _Run, host: str, port: int) -> list[str]:
    started = run.start()
    try:
        literal = ipaddress.ip_address(host)
        run.record(Stage.RESOLVE, started, f"{host} is an address")
        return [str(literal)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), run.limit(RESOLVE_S)
        )
    except socket.gaierror as exc:
        raise _Failed(
            Stage.RESOLVE, f"This computer could not find {host} (DNS: {exc.strerror or exc})"
        ) from None
    except TimeoutError:
        raise _Failed(
            Stage.RESOLVE, f"Finding {host} took over {RESOLVE_S:.0f} s (DNS did not answer)"
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise _Failed(Stage.RESOLVE, f"{host} has no address")
    shown = ", ".join(addresses[:3]) + (" …" if len(addresses) > 3 else "")
    run.record(Stage.RESOLVE, started, f"{host} is {shown}")
    return addresses


async def _connect(
    run: _Run, host: str, port: int, addresses: list[str]
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    started = run.start()
    words = ""
    for address in addresses[:3]:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address, port, limit=64 * 1024), run.limit(CONNECT_S)
            )
        except ConnectionRefusedError:
            words = f"{host}:{port} refused the connection"
        except TimeoutError:
            words = (
                f"{host}:{port} did not answer within {run.limit(CONNECT_S):.0f} s "
                "(a firewall may be dropping the connection)"
            )
        except OSError as exc:
            words = f"{host}:{port} could not be reached: {exc.strerror or exc}"
        else:
            run.record(Stage.CONNECT, started, f"connected to {address} port {port}")
            return reader, writer
    raise _Failed(Stage.CONNECT, words)


async def _tls(
    run: _Run, writer: asyncio.StreamWriter, host: str, port: int, address: str, cafile: str | None
) -> None:
    started = run.start()
    context = ssl.create_default_context(cafile=cafile)
    try:
        await asyncio.wait_for(writer.start_tls(context, server_hostname=host), run.limit(TLS_S))
    except ssl.SSLCertVerificationError as exc:
        raise _Failed(Stage.TLS, await _certificate_words(exc, host, port, address)) from None
    except ssl.SSLError as exc:
        raise _Failed(
            Stage.TLS, f"The TLS handshake with {host} failed: {exc.reason or exc}"
        ) from None
    except TimeoutError:
        raise _Failed(Stage.TLS, f"The TLS handshake with {host} took over {TLS_S:.0f} s") from None
    except (ConnectionError, OSError) as exc:
        raise _Failed(
            Stage.TLS, f"{host} closed the connection during the TLS handshake ({exc})"
        ) from None
    peer = writer.get_extra_info("peercert") or {}
    until = peer.get("notAfter", "")
    when = _cert_date(until)
    run.record(
        Stage.TLS,
        started,
        f"certificate for {host} verified" + (f", valid until {when}" if when else ""),
    )


def _cert_date(text: str) -> str:
    try:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(text)).strftime("%d %b %Y")
    except (ValueError, OverflowError):
        return ""


async def _certificate_words(
    exc: ssl.SSLCertVerificationError, host: str, port: int, address: str
) -> str:
    code = exc.verify_code
    facts = await _unverified_certificate(host, port, address)
    if code == 10:  # X509_V_ERR_CERT_HAS_EXPIRED
        when = facts.get("not_after")
        return f"The certificate of {host} expired" + (f" on {when}" if when else "")
    if code == 9:
        when = facts.get("not_before")
        return f"The certificate of {host} is not valid yet" + (f" (from {when})" if when else "")
    if code == 18:
        return (
            f"The certificate of {host} is self-signed: Plivo, like this computer, does not "
            "trust it"
        )
    if code in (19, 20, 21):
        return (
            f"The certificate of {host} is issued by an authority this computer does not trust "
            f"({exc.verify_message})"
        )
    if code == 62:
        names = facts.get("names")
        return f"The certificate presented is for {names or 'another name'}, not {host}"
    return f"The certificate of {host} was refused: {exc.verify_message or exc}"


async def _unverified_certificate(host: str, port: int, address: str) -> dict[str, str]:
    """Dates and names of a certificate that failed verification, read from a second,
    unverified handshake (only to say what is wrong with it); {} when that fails."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(address, port, ssl=context, server_hostname=host), 3.0
        )
    except (OSError, TimeoutError, ssl.SSLError):
        return {}
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    finally:
        writer.transport.abort()
    if not der:
        return {}
    try:
        from cryptography import x509
    except ImportError:  # optional: without it, the words leave the dates out
        return {}
    try:
        cert = x509.load_der_x509_certificate(der)
        facts = {
            "not_after": cert.not_valid_after_utc.strftime("%d %b %Y"),
            "not_before": cert.not_valid_before_utc.strftime("%d %b %Y"),
        }
        with contextlib.suppress(x509.ExtensionNotFound):
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            names = [str(n) for n in san.value.get_values_for_type(x509.DNSName)]
            names += [str(a) for a in san.value.get_values_for_type(x509.IPAddress)]
            facts["names"] = ", ".join(names[:4])
        return facts
    except ValueError:
        return {}


@dataclass
class _Answer:
    """What a bidirectional service sent back."""

    audio_s: float = 0.0
    messages: int = 0
    not_json: int = 0
    checkpoints: int = 0
    clears: int = 0
    first_at: float | None = None
    formats: set[str] = field(default_factory=set)
    problem: str = ""
    play_until: float = 0.0


async def _stream(run: _Run, conn: Connection) -> None:
    """Start, audio (and what comes back), close: the stream as Plivo would run it."""
    request = run.request
    stream_id = str(uuid.uuid4())
    started = await _send_start(run, conn, stream_id)
    from console.simulator import audio  # the simulator's synthetic speech, in this format

    loop = asyncio.get_running_loop()
    loops = [
        await loop.run_in_executor(None, audio.frames, request.content_type, voice, FRAME_MS)
        for voice in range(len(request.tracks))
    ]
    answer = _Answer()
    closed: dict[str, Any] = {}
    media_started = run.start()
    reading = asyncio.ensure_future(_read(run, conn, answer, closed, stream_id, started))
    sent = 0
    try:
        sent = await _send_media(run, conn, stream_id, request, loops, reading)
        if request.bidirectional and not reading.done():
            await asyncio.wait({reading}, timeout=run.limit(ANSWER_GRACE_S))
    finally:
        if not reading.done():
            reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
    if closed:
        raise _Failed(Stage.MEDIA, closed.get("error") or _closed_words(closed, started))
    run.facts["frames_sent"] = sent
    words = f"sent {sent * FRAME_MS / 1000:.1f} s of speech in real time ({sent} frames)"
    run.record(Stage.MEDIA, media_started, words)
    if request.bidirectional:
        _judge_answer(run, answer, media_started)
    elif answer.messages:
        run.warnings.append(
            f"The service sent {answer.messages} message(s) on a stream that is not "
            "bidirectional: Plivo ignores them"
        )
    await _close(run, conn)


def _closed_words(closed: dict[str, Any], started: float) -> str:
    after = closed["at"] - started
    how = close_words(closed.get("code"), closed.get("reason", ""))
    return f"The service closed the connection {after_words(after)} after the start event ({how})"


async def _send_start(run: _Run, conn: Connection, stream_id: str) -> float:
    """The `start` message Plivo sends first (docs/monitor.md); returns when it was sent."""
    request = run.request
    ct = request.content_type
    start = {
        "event": "start",
        "sequenceNumber": 1,
        "start": {
            "callId": str(uuid.uuid4()),
            "streamId": stream_id,
            "accountId": ACCOUNT_ID,
            "tracks": list(request.tracks),
            "mediaFormat": {"encoding": ct.encoding, "sampleRate": ct.sample_rate},
        },
        "extra_headers": request.extra_headers,
    }
    started = run.start()
    await conn.send_text(json.dumps(start))
    words = f"sent start: {format_words(ct.encoding, ct.sample_rate)}, tracks "
    words += ", ".join(request.tracks)
    if request.extra_headers:
        words += f", extra headers {request.extra_headers}"
    run.record(Stage.START, started, words)
    return started


async def _send_media(
    run: _Run,
    conn: Connection,
    stream_id: str,
    request: CheckRequest,
    loops: list[tuple[str, ...]],
    reading: asyncio.Future[None],
) -> int:
    """20 ms frames per track, paced against a fixed origin, until `request.seconds` or the
    service closes; returns the frames sent per track."""
    loop = asyncio.get_running_loop()
    total = int(request.seconds * 1000 / FRAME_MS)
    origin = loop.time()
    wall0 = int(time.time() * 1000)
    extra = json.dumps(request.extra_headers)
    sequence = 1
    run.facts["first_frame_at"] = run.clock()
    for n in range(total):
        if reading.done() or run.clock() > run.deadline - CLOSE_S:
            return n
        delay = origin + n * FRAME_MS / 1000 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        for index, track in enumerate(request.tracks):
            frames = loops[index]
            sequence += 1
            media = {
                "track": track,
                "timestamp": str(wall0 + n * FRAME_MS),
                "chunk": n + 1,
                "payload": frames[n % len(frames)],
            }
            message = {"event": "media", "sequenceNumber": sequence, "streamId": stream_id,
                       "media": media}  # fmt: skip
            try:
                await conn.send_text(json.dumps(message)[:-1] + f',"extra_headers":{extra}}}')
            except (ConnectionError, OSError):
                await asyncio.wait({reading}, timeout=1.0)  # let the reader say how it ended
                return n
    return total


async def _read(
    run: _Run,
    conn: Connection,
    answer: _Answer,
    closed: dict[str, Any],
    stream_id: str,
    started: float,
) -> None:
    """Everything the service sends, until it closes (recorded in `closed`)."""
    sequence = 10_000
    while True:
        try:
            message = await conn.receive()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            closed.update(at=run.clock(), code=None)
            return
        except TooBig as big:
            closed.update(at=run.clock(), error=(
                f"The service sent a message of {big.size / 2**20:.1f} MB, over the 4 MB this "
                "check accepts (Plivo's limit is not documented; real playAudio messages are "
                "a few KB)"))  # fmt: skip
            return
        except BadFrame as bad:
            closed.update(at=run.clock(), error=f"The service sent a broken WebSocket frame: {bad}")
            return
        if message.opcode == OP_CLOSE:
            closed.update(at=run.clock(), code=message.close_code, reason=message.close_reason)
            await conn.send_close(message.close_code or 1000)
            return
        answer.messages += 1
        if message.opcode != OP_TEXT or not run.request.bidirectional:
            continue
        sequence += 1
        await _handle(run, conn, answer, message.data, stream_id, sequence)


async def _handle(
    run: _Run, conn: Connection, answer: _Answer, data: bytes, stream_id: str, sequence: int
) -> None:
    try:
        event = json.loads(data)
    except ValueError:
        answer.not_json += 1
        return
    if not isinstance(event, dict):
        answer.not_json += 1
        return
    kind = event.get("event")
    now = run.clock()
    if kind == "playAudio":
        _play(run, answer, event.get("media"), now)
    elif kind == "checkpoint":
        answer.checkpoints += 1
        name = str(event.get("name", ""))[:200]
        reply = {"event": "playedStream", "streamId": stream_id, "name": name,
                 "sequenceNumber": sequence}  # fmt: skip
        wait = max(0.0, answer.play_until - now)
        asyncio.get_running_loop().call_later(
            wait, lambda: asyncio.ensure_future(_quiet_send(conn, json.dumps(reply)))
        )
    elif kind == "clearAudio":
        answer.clears += 1
        answer.play_until = now
        reply = {"event": "clearedAudio", "streamId": stream_id, "sequenceNumber": sequence}
        await _quiet_send(conn, json.dumps(reply))


async def _quiet_send(conn: Connection, text: str) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        await conn.send_text(text)


def _play(run: _Run, answer: _Answer, media: object, now: float) -> None:
    if not isinstance(media, dict):
        answer.problem = answer.problem or "sent a playAudio message without a media object"
        return
    content_type, rate, payload = (
        media.get("contentType"),
        media.get("sampleRate"),
        media.get("payload"),
    )
    encoding = str(content_type).split(";", 1)[0] if isinstance(content_type, str) else ""
    shown = format_words(encoding, rate)
    answer.formats.add(shown)
    width = _WIDTH.get((encoding, rate)) if isinstance(rate, int) else None
    if width is None or not isinstance(rate, int):
        answer.problem = (
            answer.problem or f"sent playAudio in a format Plivo does not take ({shown})"
        )
        return
    try:
        raw = base64.b64decode(str(payload), validate=True)
    except (binascii.Error, ValueError):
        answer.problem = answer.problem or "sent playAudio whose payload is not base64"
        return
    if len(raw) % width:
        answer.problem = (
            answer.problem or f"sent playAudio whose payload is not whole {shown} samples"
        )
        return
    seconds = len(raw) / (rate * width)
    answer.audio_s += seconds
    answer.play_until = max(answer.play_until, now) + seconds
    if answer.first_at is None:
        answer.first_at = now
        first_frame = run.facts.get("first_frame_at", now)
        run.facts["first_audio_back_s"] = max(0.0, now - first_frame)


def _judge_answer(run: _Run, answer: _Answer, media_started: float) -> None:
    ct = run.request.content_type
    asked = format_words(ct.encoding, ct.sample_rate)
    others = answer.formats - {asked}
    if others:
        raise _Failed(
            Stage.ANSWER,
            f"The service sent audio back as {', '.join(sorted(others))} while the stream asked "
            f"for {asked}",
        )
    if answer.problem:
        raise _Failed(Stage.ANSWER, f"The service {answer.problem}")
    if answer.not_json:
        run.warnings.append(
            f"The service sent {answer.not_json} message(s) that are not JSON: Plivo ignores them"
        )
    if answer.first_at is None:
        words = f"sent no audio back in {run.request.seconds:.0f} s"
        run.record(Stage.ANSWER, media_started, words + " (a bot may wait for the caller to speak)")
        return
    back = run.facts["first_audio_back_s"]
    words = f"sent {answer.audio_s:.1f} s of {asked} audio back, the first "
    words += f"{back * 1000:.0f} ms after the first frame"
    if answer.checkpoints or answer.clears:
        words += f"; {answer.checkpoints} checkpoint(s) and {answer.clears} clear(s) answered"
    run.record(Stage.ANSWER, media_started, words)


async def _close(run: _Run, conn: Connection) -> None:
    started = run.start()
    try:
        await conn.send_close(1000)
        async with asyncio.timeout(run.limit(CLOSE_S)):
            while True:
                message = await conn.receive()
                if message.opcode == OP_CLOSE:
                    run.record(
                        Stage.CLOSE, started, "closed as Plivo does when a stream ends (1000)"
                    )
                    return
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError, BadFrame, TooBig):
        pass
    run.record(Stage.CLOSE, started, "closed as Plivo does when a stream ends (1000); the service "
               "did not answer the close, which Plivo does not need")  # fmt: skip
