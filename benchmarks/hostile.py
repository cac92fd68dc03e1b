"""Hostile-traffic benchmark: a forged flood must not cost a single genuine callback.

Three processes on loopback: `stream-console receive` (the receiver and SQLite event log as a
collector runs them, started with only its required options plus `--port 0`), a flood of
forged requests from 32 keep-alive connections sent as fast as the receiver absorbs them (each
connection sends its next request when the last is answered), and, in this process, genuine
signed callbacks at 50/s, each timed from when it was due to its answer. Two phases: forged
requests of ordinary size, then "fat" ones carrying 50 padding headers of 4 KB each. Figures:

- genuine callbacks answered 200: >= 99 % (a flood may slow them, never get them refused);
- their latency p99 (from when each was due, seen by the sender) < 1 s;
- every acknowledged callback is in the log afterwards, and nothing forged is;
- the refused record stays within its byte budget (`DEFAULT_MAX_REJECTED_BYTES`), and the
  file within the events' budget plus that one.

Run: python benchmarks/hostile.py [--seconds 10]   (seconds per phase)
Last line: `target met` or `target missed: ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console.domain.signature import sign_request  # noqa: E402
from console.receiver.server import CALLBACK_PATH  # noqa: E402
from console.store.event_log import DEFAULT_MAX_BYTES  # noqa: E402
from console.store.event_rows import DEFAULT_MAX_REJECTED_BYTES  # noqa: E402

TOKEN = "HostileBenchToken-not-a-secret-00000000"
PUBLIC = "https://hostile.example.ngrok.app"
FLOOD_CONNECTIONS = 32
GENUINE_RATE = 50.0
ANSWERED_TARGET = 0.99
P99_TARGET_S = 1.0


def _request(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: hostile.example.ngrok.app\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def forged_request(n: int, fat: bool) -> bytes:
    p = {"Event": "StopStream", "StreamID": f"f-{n}", "CallUUID": "c", "Timestamp": "t"}
    signed = sign_request("not-the-token", "POST", PUBLIC + CALLBACK_PATH, p).as_dict()
    headers = signed | {"Content-Type": "application/x-www-form-urlencoded"}
    if fat:
        headers |= {f"X-Pad-{i:02d}": f"{n}-" + "p" * 4000 for i in range(50)}
    return _request(CALLBACK_PATH, urlencode(p).encode(), headers)


class _Flooder(asyncio.Protocol):
    """One keep-alive connection: a request, wait for the answer's end, the next one."""

    def __init__(self, requests: list[bytes], counts: dict[int, int], done: asyncio.Event) -> None:
        self.requests, self.counts, self.done = requests, counts, done
        self.buffer = b""
        self.n = 0
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._next()

    def _next(self) -> None:
        if self.done.is_set() or self.transport is None:
            if self.transport is not None:
                self.transport.close()
            return
        self.transport.write(self.requests[self.n % len(self.requests)])
        self.n += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return
            status = int(head.split(b" ", 2)[1])
            self.counts[status] = self.counts.get(status, 0) + 1
            self.buffer = rest[length:]
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.closed.done():
            self.closed.set_result(None)


async def flood(port: int, fat: bool, seconds: float) -> dict[int, int]:
    """FLOOD_CONNECTIONS connections sending forged requests until `seconds` pass; connections
    the receiver closes are opened again (as an attacker would)."""
    requests = [forged_request(n, fat) for n in range(64)]
    counts: dict[int, int] = {}
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def one() -> None:
        while not done.is_set():
            try:
                _, proto = await loop.create_connection(
                    lambda: _Flooder(requests, counts, done), "127.0.0.1", port
                )
                await proto.closed
            except OSError:
                counts[-1] = counts.get(-1, 0) + 1
                await asyncio.sleep(0.05)

    tasks = [asyncio.ensure_future(one()) for _ in range(FLOOD_CONNECTIONS)]
    await asyncio.sleep(seconds)
    done.set()
    await asyncio.wait(tasks, timeout=5)
    for task in tasks:
        task.cancel()
    return counts


def flood_process(port: int, fat: bool, seconds: float) -> None:
    counts = asyncio.run(flood(port, fat, seconds))
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())), flush=True)


async def genuine(port: int, seconds: float, first: int) -> tuple[dict[str, int], list[float]]:
    """Signed callbacks at GENUINE_RATE from keep-alive connections; StreamID -> status, and
    each one's latency from when it was due."""
    import aiohttp

    url = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
    results: dict[str, int] = {}
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    count = int(seconds * GENUINE_RATE)

    async def send(http: aiohttp.ClientSession, n: int) -> None:
        due = start + n / GENUINE_RATE
        await asyncio.sleep(max(0.0, due - loop.time()))
        p = {
            "Event": "StartStream",
            "StreamID": f"g-{first + n:08d}",
            "CallUUID": "genuine-call",
            "Timestamp": "2026-12-06 08:00:00",
        }
        headers = sign_request(TOKEN, "POST", PUBLIC + CALLBACK_PATH, p).as_dict()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            async with http.post(url, data=urlencode(p), headers=headers) as r:
                await r.read()
                results[p["StreamID"]] = r.status
        except (aiohttp.ClientError, OSError, TimeoutError):
            results[p["StreamID"]] = -1
        latencies.append(loop.time() - due)

    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(send(http, n) for n in range(count)))
    return results, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per phase (10)")
    parser.add_argument("--flood", nargs=3, help=argparse.SUPPRESS)  # PORT FAT SECONDS
    args = parser.parse_args()
    if args.flood:
        flood_process(int(args.flood[0]), args.flood[1] == "fat", float(args.flood[2]))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        return run(Path(tmp), args.seconds)


def run(tmp: Path, seconds: float) -> int:
    db = tmp / "events.sqlite3"
    receive = subprocess.Popen(
        [
            sys.executable, "-m", "console", "receive", "--port", "0",
            "--public-url", PUBLIC, "--auth-token-env", "HOSTILE_TOKEN", "--db", str(db),
        ],
        cwd=ROOT, env=dict(os.environ, HOSTILE_TOKEN=TOKEN),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert receive.stdout is not None
    line = receive.stdout.readline()
    if not line.startswith("listening on http://"):
        print(f"receive did not start: {line}{receive.stderr.read() if receive.stderr else ''}")
        print("target missed: the receiver did not start")
        return 1
    port = int(line.strip().rsplit(":", 1)[1])
    print(f"receiver: stream-console receive on port {port}, log {db.name}")
    acked: set[str] = set()
    answered: dict[str, int] = {}
    latencies: list[float] = []
    missed: list[str] = []
    for phase, fat in (("plain forged", False), ("fat forged (50 x 4 KB headers)", True)):
        flooder = subprocess.Popen(
            [sys.executable, __file__, "--flood", str(port), "fat" if fat else "plain",
             str(seconds)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(0.5)  # let the flood build up before the first genuine callback
        results, lat = asyncio.run(genuine(port, seconds - 1.0, len(answered)))
        flooded, _ = flooder.communicate(timeout=seconds + 30)
        counts = dict(part.split("=") for part in flooded.split())
        absorbed = sum(int(v) for k, v in counts.items() if k != "-1") / seconds
        ok = sum(1 for s in results.values() if s == 200)
        print(
            f"{phase}: flood answered {absorbed:,.0f}/s ({flooded.strip() or 'nothing'}); "
            f"genuine {ok}/{len(results)} answered 200, latency p50 "
            f"{pct(lat, 0.5) * 1000:.0f} ms, p99 {pct(lat, 0.99) * 1000:.0f} ms, "
            f"max {max(lat) * 1000:.0f} ms"
        )
        answered |= results
        latencies += lat
        acked |= {sid for sid, s in results.items() if s == 200}
    receive.send_signal(signal.SIGINT)
    out, err = receive.communicate(timeout=60)
    print(f"receive: {out.strip().splitlines()[-1] if out.strip() else err.strip()[-300:]}")
    conn = sqlite3.connect(db)
    try:
        kept = {r[0] for r in conn.execute("SELECT stream_id FROM events")}
        refused_bytes = conn.execute(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat "
            "WHERE name IN ('rejected', 'rejected_received')"
        ).fetchone()[0]
        refused_rows = conn.execute("SELECT count(*) FROM rejected").fetchone()[0]
    finally:
        conn.close()
    size = db.stat().st_size
    share = len(acked) / len(answered) if answered else 0.0
    p99 = pct(latencies, 0.99)
    print(
        f"genuine: {len(acked)}/{len(answered)} answered 200 ({share:.1%}), p99 "
        f"{p99 * 1000:.0f} ms; in the log {len(acked & kept)}/{len(acked)} acknowledged, "
        f"{len(kept - acked)} other rows"
    )
    print(
        f"log: {size / 2**20:.1f} MB on disk, refused record {refused_rows:,} rows in "
        f"{refused_bytes / 2**20:.1f} MB (budget {DEFAULT_MAX_REJECTED_BYTES / 2**20:.0f} MB)"
    )
    if share < ANSWERED_TARGET:
        missed.append(f"genuine answered 200 {share:.1%} < {ANSWERED_TARGET:.0%}")
    if not p99 < P99_TARGET_S:
        missed.append(f"genuine p99 {p99 * 1000:.0f} ms >= {P99_TARGET_S * 1000:.0f} ms")
    if acked - kept:
        missed.append(f"{len(acked - kept)} acknowledged callbacks missing from the log")
    if kept - acked:
        missed.append(f"{len(kept - acked)} rows in the log that were not acknowledged")
    if refused_bytes > DEFAULT_MAX_REJECTED_BYTES:
        missed.append("the refused record is over its budget")
    if size > DEFAULT_MAX_BYTES + DEFAULT_MAX_REJECTED_BYTES:
        missed.append("the log file is over its budget")
    print("target met" if not missed else "target missed: " + "; ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
