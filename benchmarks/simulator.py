"""Simulator benchmark: media CPU share and status-callback rate.

1. Media: one simulator process (`stream-console simulate`, as a trainer runs it) streams 100
   concurrent streams (a mix of the three formats, one-way and bidirectional, single and dual
   track) in real time to a WebSocket receiver in a separate process. Its CPU share over ~10 s
   (psutil cpu_times delta / wall time) must stay under one core, and the receiver must get at
   least 95 % of the frames real time calls for.
2. Callbacks: the simulator's CallbackEmitter sends signed, form-encoded POST callbacks to a
   receiver in a separate process (which checks a sample of signatures); the rate must be at
   least 2,000 callbacks/s.

Run: python benchmarks/simulator.py   (prints figures, then `target met` or `target missed: ...`)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STREAMS = 100
MEASURE_S = 10.0
CALLBACKS = 12_000
CPU_TARGET = 1.0
CALLBACK_TARGET = 2000.0
DELIVERY_TARGET = 0.95
TOKEN = "BenchToken-not-a-secret-0000000000000000"
AUTH_ID = "MABENCHMARKACCOUNT01"


# ---- helper processes ----------------------------------------------------------------------
async def ws_receiver() -> None:
    """Counts media frames; on /bidi/ streams plays 0.5 s of audio plus a checkpoint each second."""
    import base64

    from aiohttp import WSMsgType, web

    counts = {"frames": 0, "played": 0, "connections": 0}
    play = json.dumps(
        {
            "event": "playAudio",
            "media": {
                "contentType": "audio/x-mulaw",
                "sampleRate": 8000,
                "payload": base64.b64encode(b"\xff" * 4000).decode(),
            },
        }
    )

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        counts["connections"] += 1
        bidi = request.path.startswith("/bidi/")
        last = time.monotonic()
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            if '"media"' in msg.data[:20]:
                counts["frames"] += 1
            elif "playedStream" in msg.data:
                counts["played"] += 1
            if bidi and time.monotonic() - last >= 1.0:
                last = time.monotonic()
                await ws.send_str(play)
                await ws.send_str(json.dumps({"event": "checkpoint", "name": "tick"}))
        return ws

    async def report(request: web.Request) -> web.Response:
        return web.json_response(counts)

    app = web.Application()
    app.router.add_get("/counts", report)
    app.router.add_get("/{tail:.*}", handle)
    await serve_until_signal(app)


async def callback_receiver() -> None:
    """A minimal keep-alive HTTP/1.1 endpoint (asyncio protocol: the harness must not be the
    bottleneck) that answers 200 and verifies every 50th request's V3 signature."""
    from console.domain.signature import NONCE_HEADER, SIGNATURE_HEADER, verify_signature

    counts = {"received": 0, "verified": 0, "bad_signatures": 0}
    url_holder: dict[str, str] = {}

    class Http(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while True:
                head_end = self.buffer.find(b"\r\n\r\n")
                if head_end < 0:
                    return
                head = self.buffer[:head_end].decode("latin-1").split("\r\n")
                headers = {}
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                if len(self.buffer) < head_end + 4 + length:
                    return
                body = self.buffer[head_end + 4 : head_end + 4 + length]
                self.buffer = self.buffer[head_end + 4 + length :]
                if head[0].startswith("GET /counts"):
                    payload = json.dumps(counts).encode()
                    self.transport.write(  # type: ignore[attr-defined]
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
                    )
                    continue
                counts["received"] += 1
                if counts["received"] % 50 == 1:
                    params = dict(parse_qsl(body.decode()))
                    ok = verify_signature(
                        TOKEN,
                        "POST",
                        url_holder["url"],
                        params,
                        headers.get(NONCE_HEADER.lower(), ""),
                        [headers.get(SIGNATURE_HEADER.lower())],
                    )
                    counts["verified" if ok else "bad_signatures"] += 1
                self.transport.write(  # type: ignore[attr-defined]
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(Http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url_holder["url"] = f"http://127.0.0.1:{port}/status"
    print(f"port {port}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    server.close()


async def serve_until_signal(app: object) -> None:
    from aiohttp import web

    assert isinstance(app, web.Application)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"port {runner.addresses[0][1]}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def read_line(proc: subprocess.Popen[str], prefix: str, timeout: float = 30.0) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"process ended early: {proc.stderr.read() if proc.stderr else ''}")
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    raise RuntimeError(f"no line starting {prefix!r}")


# ---- phase 1: media CPU share --------------------------------------------------------------
def stream_plan(ws_base: str) -> list[dict[str, object]]:
    formats = ("audio/x-mulaw;rate=8000", "audio/x-l16;rate=8000", "audio/x-l16;rate=16000")
    plan: list[dict[str, object]] = []
    for i in range(STREAMS):
        body: dict[str, object] = {"content_type": formats[i % 3]}
        if i % 5 == 0:
            body.update(bidirectional=True, service_url=f"{ws_base}/bidi/{i}")
        elif i % 5 == 1:
            body.update(audio_track="both", service_url=f"{ws_base}/both/{i}")
        else:
            body["service_url"] = f"{ws_base}/in/{i}"
        plan.append(body)
    return plan


def media_phase() -> tuple[float, float, int]:
    import httpx
    import psutil

    receiver = spawn(__file__, "--role", "ws-receiver")
    sim = spawn(
        "-m", "console", "simulate", "--port", "0", "--calls", str(STREAMS), "--no-churn",
        "--no-rate-limit", "--seed", "1", "--auth-id", AUTH_ID, "--auth-token", TOKEN,
    )  # fmt: skip
    try:
        ws_port = read_line(receiver, "port ")
        base = read_line(sim, "listening on ")
        auth = (AUTH_ID, TOKEN)
        with httpx.Client(base_url=f"{base}/v1/Account/{AUTH_ID}", auth=auth) as http:
            calls = http.get("/Call/", params={"status": "live"}).json()["calls"]
            offset = 20
            while len(calls) < STREAMS:
                page = http.get("/Call/", params={"status": "live", "offset": offset}).json()
                calls += page["calls"]
                offset += 20
            plan = stream_plan(f"ws://127.0.0.1:{ws_port}")
            tracks = sum(2 if body.get("audio_track") == "both" else 1 for body in plan)
            for call, body in zip(calls, plan, strict=True):
                response = http.post(f"/Call/{call}/Stream/", json=body)
                response.raise_for_status()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                streams = http.get(f"{base}/_sim/streams").json()["streams"]
                if sum(s["status"] == "in-progress" for s in streams) == STREAMS:
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("streams did not all start")
            time.sleep(1.0)  # settle: audio loops built, first bursts sent
            counts_url = f"http://127.0.0.1:{ws_port}/counts"
            process = psutil.Process(sim.pid)
            cpu0, wall0 = process.cpu_times(), time.monotonic()
            frames0 = httpx.get(counts_url).json()["frames"]
            time.sleep(MEASURE_S)
            cpu1, wall1 = process.cpu_times(), time.monotonic()
            counts = httpx.get(counts_url).json()
        wall = wall1 - wall0
        share = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall
        delivered = (counts["frames"] - frames0) / (tracks * 50 * wall)
        due = tracks * 50
        print(f"media: {STREAMS} streams ({tracks} tracks, {due} frames/s due), {wall:.1f} s")
        print(f"  simulator CPU share: {share:.2f} core (target < {CPU_TARGET:.1f})")
        print(f"  frames delivered: {delivered:.1%} of real time (target >= {DELIVERY_TARGET:.0%})")
        print(f"  checkpoints answered (playedStream): {counts['played']}")
        return share, delivered, counts["played"]
    finally:
        for proc in (sim, receiver):
            proc.send_signal(signal.SIGINT if proc is sim else signal.SIGTERM)
        for proc in (sim, receiver):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


# ---- phase 2: callback rate ----------------------------------------------------------------
async def callback_phase() -> tuple[float, int, int]:
    import httpx

    from console.simulator.callbacks import CallbackEmitter
    from console.simulator.faults import Stats

    receiver = spawn(__file__, "--role", "callback-receiver")
    try:
        port = await asyncio.to_thread(read_line, receiver, "port ")
        url = f"http://127.0.0.1:{port}/status"
        stats = Stats()
        emitter = CallbackEmitter(stats, concurrency=64, retries=0)
        params = {
            "Event": "StartStream",
            "CallUUID": "4f045f7a-b04a-4364-8523-74e6072f4f72",
            "ServiceURL": "wss://agent.example.com/audio",
            "Timestamp": "2024-05-01 10:00:00.000000+00:00",
        }
        # Warm up the connection pool, then time the burst.
        await asyncio.gather(*(emitter.emit(url, "POST", params, TOKEN) for _ in range(200)))
        began = time.perf_counter()
        tasks = [
            emitter.emit(url, "POST", params | {"StreamID": f"s-{i}"}, TOKEN)
            for i in range(CALLBACKS)
        ]
        results = await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
        await emitter.close()
        async with httpx.AsyncClient() as http:
            counts = (await http.get(f"http://127.0.0.1:{port}/counts")).json()
        rate = CALLBACKS / elapsed
        print(
            f"callbacks: {CALLBACKS} signed POSTs in {elapsed:.2f} s = {rate:,.0f}/s "
            f"(target >= {CALLBACK_TARGET:,.0f}/s)"
        )
        print(
            f"  delivered {sum(results)}, receiver got {counts['received']} (with 200 warm-up),"
            f" signatures checked {counts['verified']}, bad {counts['bad_signatures']}"
        )
        lost = CALLBACKS - sum(results)
        return rate, lost, counts["bad_signatures"]
    finally:
        receiver.send_signal(signal.SIGTERM)
        try:
            receiver.wait(10)
        except subprocess.TimeoutExpired:
            receiver.kill()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=("ws-receiver", "callback-receiver"))
    role = parser.parse_args().role
    if role == "ws-receiver":
        asyncio.run(ws_receiver())
        return 0
    if role == "callback-receiver":
        asyncio.run(callback_receiver())
        return 0
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    share, delivered, played = media_phase()
    rate, lost, bad = asyncio.run(callback_phase())
    missed = []
    if share >= CPU_TARGET:
        missed.append(f"simulator CPU {share:.2f} core >= {CPU_TARGET}")
    if delivered < DELIVERY_TARGET:
        missed.append(f"frames delivered {delivered:.1%} < {DELIVERY_TARGET:.0%}")
    if played == 0:
        missed.append("no checkpoint was answered on the bidirectional streams")
    if rate < CALLBACK_TARGET:
        missed.append(f"callback rate {rate:,.0f}/s < {CALLBACK_TARGET:,.0f}/s")
    if lost or bad:
        missed.append(f"{lost} callbacks not delivered, {bad} bad signatures")
    print("target met" if not missed else "target missed: " + "; ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
