"""Receiver benchmark: 2,000 signed status callbacks a second into the running console's parts.

Three processes: the console's parts as the console runs them (the event log opened on the
qasync GUI loop, the receiver on its own thread and loop, and the event pane shown offscreen
following the commits, with a probe measuring the GUI loop's lag), a load generator sending
distinct signed form-encoded POSTs at a fixed rate, and, in the same run, the same load against a
bare aiohttp handler that only answers 200 (the ceiling on this machine). Figures:

- zero lost: every callback sent was answered 200, and 200s == rows in the log == events the
  pane was given (its newest row is the log's newest);
- ack latency p99 < 100 ms (from when the request was due to its 200, seen by the generator);
- GUI loop lag p99 < 50 ms and max < 100 ms (a 10 ms sleep's overshoot, sampled during the
  load), with p50 and the time-weighted share of time blocked > 50 ms;
- the highest sustainable rate of each side, found by stepping the offered load (1,000/s,
  1,500/s, 2,000/s, ... for 10 s each, a fresh server every step, its start-up included) until
  a step loses a callback, answers slower than 100 ms at p99 or falls behind the offered rate:
  console / bare >= 0.5. (At
  the paced 2,000/s both keep up, so their throughput ratio is 1.00 whatever either costs.)

The generator is lean on purpose: an aiohttp client took most of a core at 2,000/s on 2 cores.
BENCH_RECEIVER=gui-loop runs the receiver on the GUI loop instead (the earlier design), and
BENCH_PROFILE=PREFIX writes cProfiles of the GUI, receiver and writer threads, for comparison.

Run: python benchmarks/receiver.py [--seconds 30] [--rate 2000]
     python benchmarks/receiver.py --console-url http://127.0.0.1:PORT/plivo/stream-status
       (hook for the running console: sends the same load to its receiver, e.g. a `--demo`
       console whose public URL is its loopback URL, and reports acks and latency; the event
       pane's own figures are read from the console, not from here)
Last line: `target met` or `target missed: ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    import cProfile

    from console.domain.events import StoredEvent
    from console.store.event_log import EventLog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "BenchToken-not-a-secret-0000000000000000"
AUTH_ID = "MABENCHMARKACCOUNT01"
PUBLIC = "https://bench.example.ngrok.app"
ACK_P99_TARGET_MS = 100.0
LAG_P99_TARGET_MS = 50.0
LAG_MAX_TARGET_MS = 100.0
BLOCKED_MS = 50.0
RATIO_TARGET = 0.5
STEPS = (1000.0, 1500.0, 2000.0, 2500.0, 3000.0, 4000.0, 5000.0, 6000.0, 8000.0)
STEP_SECONDS = 10.0
SUSTAINED = 0.95  # of the offered rate, answered 200, with nothing lost


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---- the receiver process: the console's parts on the console's loop -----------------------
def serve_receiver(db: str) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(_receiver_main(Path(db)))


async def _receiver_main(db: Path) -> None:
    from console.app.runtime.gc_guard import MainThreadCollector
    from console.app.services.receiver import CallbackFeed
    from console.receiver.server import CallbackReceiver, Credential, callback_url
    from console.receiver.thread import ThreadedReceiver
    from console.store.event_log import EventLog
    from console.ui.events_pane import EventsPane

    # As the console runs: collection on the GUI thread from its timer, never in the receiver's
    # or the writer's thread (console/app/runtime/gc_guard.py, started first thing in `run`).
    collector = MainThreadCollector()
    collector.start()
    log = EventLog(db)
    await log.open()
    credential = Credential(AUTH_ID, TOKEN, callback_url(PUBLIC))
    # As the console runs it: on a thread of its own. BENCH_RECEIVER=gui-loop puts it on the GUI
    # loop instead, as before, for comparison.
    on_gui_loop = os.environ.get("BENCH_RECEIVER") == "gui-loop"
    receiver: CallbackReceiver | ThreadedReceiver
    if on_gui_loop:
        receiver = CallbackReceiver(log, lambda: [credential], port=0)
    else:
        receiver = ThreadedReceiver(log, lambda: [credential], port=0)
    await receiver.start()
    # The event pane, shown (offscreen), following the commits as the console's pane does.
    pane = EventsPane()
    pane.resize(1200, 420)
    pane.show()
    pane.set_reader(log)
    feed = CallbackFeed()
    delivered = 0

    def to_pane(events: list[StoredEvent]) -> None:
        nonlocal delivered
        delivered += len(events)
        pane.add_events(events)

    feed.events_committed.connect(to_pane)
    marks: list[float] = []
    # CPU when the first commit arrives: what the load costs, apart from start-up (imports, Qt).
    at_first: dict[str, float] = {}

    def committed(events: list[StoredEvent]) -> None:
        now = time.monotonic()
        if not marks:
            marks.extend((now, now))
            at_first.update(_thread_cpu(), process=time.process_time())
        marks[1] = now
        feed.events_committed.emit(events)

    log.add_listener(committed)
    lags: list[tuple[float, float]] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    async def probe() -> None:
        while True:
            t0 = time.monotonic()
            await asyncio.sleep(0.010)
            lags.append((t0, (time.monotonic() - t0 - 0.010) * 1000))

    probing = loop.create_task(probe())
    profiles = await _start_profiles(log, receiver) if os.environ.get("BENCH_PROFILE") else []
    print(f"listening on {receiver.local_url}", flush=True)
    await stop.wait()
    probing.cancel()
    threads = _thread_cpu()
    for name, profiler in profiles:  # written once the load is over: enough to read
        profiler.disable()
        profiler.dump_stats(f"{os.environ['BENCH_PROFILE']}.{name}")
    await receiver.stop()
    while pane.model.loading or pane._flush_timer.isActive():  # the pane's last update
        await asyncio.sleep(0.01)
    newest = pane.model.newest_id
    await log.close()
    pane.close()
    first, last = [*marks, 0.0, 0.0][:2]
    window = [lag for at, lag in lags if first <= at <= last]
    print(
        json.dumps(
            {
                "accepted": receiver.stats.accepted,
                "rejected": receiver.stats.rejected,
                "unavailable": receiver.stats.unavailable,
                "lag_p50_ms": pct(window, 0.50),
                "lag_p99_ms": pct(window, 0.99),
                "lag_max_ms": max(window, default=float("nan")),
                # Time-weighted: one 500 ms stall counts 500 ms, not one sample.
                "lag_blocked_share": sum(lag for lag in window if lag > BLOCKED_MS)
                / max(1e-9, (last - first) * 1000),
                "batches": log._writer.batches,
                "pane_delivered": delivered,
                "pane_newest_id": newest,
                "pane_rows": pane.model.rowCount(),
                "threads_cpu_s": threads,
                "cpu_s": time.process_time(),
                "load_threads_cpu_s": {
                    name: round(t - at_first.get(name, 0.0), 2) for name, t in threads.items()
                },
                "load_cpu_s": time.process_time() - at_first.get("process", 0.0),
            }
        ),
        flush=True,
    )
    collector.stop()


async def _start_profiles(log: EventLog, receiver: object) -> list[tuple[str, cProfile.Profile]]:
    """BENCH_PROFILE=PREFIX: a cProfile (in thread CPU time) of the GUI thread, the receiver's
    thread and the log's writer, written to PREFIX.gui, PREFIX.receiver, PREFIX.writer."""
    import cProfile

    out = [(name, cProfile.Profile(time.thread_time)) for name in ("gui", "receiver", "writer")]
    out[0][1].enable()
    loop = getattr(receiver, "loop", None)
    if loop is not None:

        async def enable() -> None:
            out[1][1].enable()

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(enable(), loop))
    await log._writer.submit(lambda conn: out[2][1].enable(), transactional=False)
    return out


def _thread_cpu() -> dict[str, float]:
    """CPU seconds so far of each Python thread (Linux: /proc), to show where the time goes."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        out[thread.name] = round((int(fields[11]) + int(fields[12])) / tick, 2)
    return out


# ---- the bare handler process --------------------------------------------------------------
def serve_bare() -> None:
    from aiohttp import web

    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="OK\n")

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/plivo/stream-status", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        print(f"listening on http://127.0.0.1:{port}", flush=True)
        await stop.wait()
        await runner.cleanup()
        print(json.dumps({"cpu_s": time.process_time()}), flush=True)

    asyncio.run(main())


# ---- the load generator process ------------------------------------------------------------
# The generator must cost little: on 2 cores an aiohttp client took most of one core at
# 2,000 requests/s and starved the server it was measuring. So the requests are signed and
# encoded up front, and sent as raw bytes over a fixed pool of keep-alive connections (as a
# tunnel or Plivo's own senders hold them), paced from one timer: each request is due at
# start + i/rate, and its latency runs from when it was DUE, so a server that falls behind is
# charged for the queue it causes (no coordinated omission).
POOL = 128


def load(url: str, rate: float, seconds: float) -> None:
    from urllib.parse import urlsplit

    from console.domain.signature import sign_request

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    count = int(rate * seconds)
    signed_url = PUBLIC + "/plivo/stream-status"
    requests = []
    for n in range(count):
        params = {
            "Event": ("StartStream", "StopStream", "DegradedStream", "DroppedStream")[n % 4],
            "StreamID": f"b0000000-0000-4000-8000-{n:012d}",
            "CallUUID": f"c0000000-0000-4000-8000-{n % 997:012d}",
            "Timestamp": "2026-12-02 17:00:00",
            "ServiceURL": "wss://agent.example.com/audio",
        }
        body = urlencode(params).encode()
        signed = sign_request(TOKEN, "POST", signed_url, params).as_dict()
        head = [
            f"POST {parts.path or '/'} HTTP/1.1",
            f"Host: {parts.netloc}",
            "User-Agent: PlivoHTTP/1.1 (bench)",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in signed.items()),
        ]
        requests.append(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    gc.collect()
    gc.freeze()  # the prepared requests are never garbage: no collector passes over them
    print(json.dumps(asyncio.run(_send(host, port, requests, rate))), flush=True)


class _Conn(asyncio.Protocol):
    """One keep-alive connection: one request at a time, the answer parsed by hand."""

    def __init__(self, gen: _Generator) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.due = 0.0
        self.busy = False
        self.buf = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, request: bytes, due: float) -> None:
        assert self.transport is not None
        self.busy, self.due = True, due
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buf) < end + 4 + length:
                return
            self.buf = self.buf[end + 4 + length :]
            self.busy = False
            self.gen.answered(self, int(head[9:12]), self.due)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.gen.lost(self)


class _Generator:
    def __init__(self, requests: list[bytes], rate: float) -> None:
        self.requests = requests
        self.rate = rate
        self.next = 0  # the next request to send
        self.done = 0
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0
        self.idle: list[_Conn] = []
        self.backlog: list[float] = []  # due times of requests waiting for a free connection
        self.finished = asyncio.get_running_loop().create_future()
        self.start = 0.0
        self.last = 0.0

    def dispatch(self, now: float) -> None:
        due_count = min(len(self.requests), int((now - self.start) * self.rate) + 1)
        while self.next < due_count:
            if not self.idle:
                return
            conn = self.idle.pop()
            conn.send(self.requests[self.next], self.start + self.next / self.rate)
            self.next += 1

    def answered(self, conn: _Conn, status: int, due: float) -> None:
        now = time.monotonic()
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append((now - due) * 1000)
        self.last = now
        self.idle.append(conn)
        self._count_one()
        self.dispatch(now)

    def lost(self, conn: _Conn) -> None:
        if conn in self.idle:
            self.idle.remove(conn)
        if conn.busy:
            conn.busy = False
            self.errors += 1
            self._count_one()

    def _count_one(self) -> None:
        self.done += 1
        if self.done >= len(self.requests) and not self.finished.done():
            self.finished.set_result(None)


async def _send(host: str, port: int, requests: list[bytes], rate: float) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    gen = _Generator(requests, rate)
    conns = []
    for _ in range(POOL):
        _, conn = await loop.create_connection(lambda: _Conn(gen), host, port)
        conns.append(conn)
    gen.idle = list(conns)
    gen.start = time.monotonic()
    while gen.next < len(requests):
        if not any(c.transport for c in conns):  # every connection gone: the rest are errors
            gen.errors += len(requests) - gen.next
            break
        gen.dispatch(time.monotonic())
        await asyncio.sleep(0.002)
    if gen.errors + gen.done < len(requests) or not gen.finished.done():
        try:
            await asyncio.wait_for(asyncio.shield(gen.finished), 30.0)
        except TimeoutError:
            gen.errors += len(requests) - gen.done
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    elapsed = (gen.last or time.monotonic()) - gen.start
    ok = gen.statuses.get(200, 0)
    return {
        "sent": len(requests),
        "ok": ok,
        "statuses": gen.statuses,
        "errors": gen.errors,
        "elapsed_s": elapsed,
        "throughput": ok / elapsed if elapsed else 0.0,
        "ack_p50_ms": pct(gen.latencies, 0.50),
        "ack_p99_ms": pct(gen.latencies, 0.99),
        "cpu_s": time.process_time(),
    }


# ---- the driver ------------------------------------------------------------------------------
def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def read_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"helper process exited early ({proc.wait()})")
    return line.strip()


def run_load(url: str, rate: float, seconds: float) -> dict[str, object]:
    gen = spawn("--load", url, "--rate", str(rate), "--seconds", str(seconds))
    result: dict[str, object] = json.loads(read_line(gen))
    gen.wait()
    return result


def against(
    kind: str, rate: float, seconds: float, db: Path
) -> tuple[dict[str, object], dict[str, object]]:
    server = spawn("--serve-receiver", str(db)) if kind == "receiver" else spawn("--serve-bare")
    url = read_line(server).split()[-1] + "/plivo/stream-status"
    try:
        result = run_load(url, rate, seconds)
    finally:
        server.send_signal(signal.SIGTERM)
    stats: dict[str, object] = json.loads(read_line(server))
    server.wait(timeout=60)
    return result, stats


def sustainable(result: dict[str, object], rate: float) -> bool:
    """Nothing lost or refused, ack p99 < ACK_P99_TARGET_MS, and the offered rate kept up."""
    sent, ok = int(result["sent"]), int(result["ok"])  # type: ignore[call-overload]
    return (
        sent > 0
        and ok == sent
        and float(result["ack_p99_ms"]) < ACK_P99_TARGET_MS  # type: ignore[arg-type]
        and float(result["throughput"]) >= SUSTAINED * rate  # type: ignore[arg-type]
    )


def highest_rate(kind: str, tmp: Path) -> tuple[float, list[str]]:
    """Step the offered load up until `kind` no longer sustains it: the last rate it did."""
    best, notes = 0.0, []
    for i, rate in enumerate(STEPS):
        result, _stats = against(kind, rate, STEP_SECONDS, tmp / f"step-{kind}-{i}.sqlite3")
        ok = sustainable(result, rate)
        notes.append(
            f"{rate:,.0f}/s {'ok' if ok else 'no'} "
            f"({float(result['throughput']):,.0f}/s, p99 {float(result['ack_p99_ms']):.0f} ms)"  # type: ignore[arg-type]
        )
        if not ok:
            break
        best = rate
    return best, notes


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--console-url", help="load a running console's receiver instead")
    parser.add_argument("--serve-receiver", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_receiver:
        serve_receiver(args.serve_receiver)
        return 0
    if args.serve_bare:
        serve_bare()
        return 0
    if args.load:
        load(args.load, args.rate, args.seconds)
        return 0
    if args.console_url:
        # Hook for the running console (the event pane's figures are taken in the console).
        result = run_load(args.console_url, args.rate, args.seconds)
        print(f"console receiver: {json.dumps(result)}")
        met = result["ok"] == result["sent"] and float(result["ack_p99_ms"]) < ACK_P99_TARGET_MS  # type: ignore[arg-type]
        print("target met" if met else "target missed: see the figures above")
        return 0 if met else 1

    print(f"{args.rate:,.0f} signed callbacks/s for {args.seconds:.0f} s, from a separate process")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "events.sqlite3"
        got, stats = against("receiver", args.rate, args.seconds, db)
        conn = sqlite3.connect(db)
        rows, top = conn.execute("SELECT count(*), max(id) FROM events").fetchone()
        conn.close()
        bare, bare_stats = against("bare", args.rate, args.seconds, Path(tmp) / "unused")
        console_max, console_steps = highest_rate("receiver", Path(tmp))
        bare_max, bare_steps = highest_rate("bare", Path(tmp))
    sent, ok = int(got["sent"]), int(got["ok"])  # type: ignore[call-overload]
    thr, bare_thr = float(got["throughput"]), float(bare["throughput"])  # type: ignore[arg-type]
    paced_ratio = thr / bare_thr if bare_thr else 0.0
    ratio = console_max / bare_max if bare_max else 0.0
    ack99 = float(got["ack_p99_ms"])  # type: ignore[arg-type]
    lag99 = float(stats["lag_p99_ms"])  # type: ignore[arg-type]
    print(
        f"  console (receiver + log + pane): sent {sent:,}, answered 200 {ok:,}, "
        f"other {got['statuses']}, errors {got['errors']}; rows in the log {rows:,}; "
        f"{stats['batches']} commits"
    )
    shown = int(stats["pane_delivered"])  # type: ignore[call-overload]
    print(
        f"  event pane: {shown:,} events shown live, newest row #{stats['pane_newest_id']} "
        f"(log's newest #{top}), {stats['pane_rows']:,} rows loaded"
    )
    cpu_us = 1e6 * float(stats["cpu_s"]) / max(1, ok)  # type: ignore[arg-type]
    bare_us = 1e6 * float(bare_stats["cpu_s"]) / max(1, int(bare["ok"]))  # type: ignore[arg-type, call-overload]
    print(
        f"  CPU per callback (start-up included): receiver process {cpu_us:.0f} µs, "
        f"bare handler {bare_us:.0f} µs"
    )
    by_thread = stats["threads_cpu_s"]
    assert isinstance(by_thread, dict)
    print(
        "  of which, by thread: "
        + ", ".join(f"{name} {1e6 * t / max(1, ok):.0f} µs" for name, t in by_thread.items() if t)
    )
    load_us = 1e6 * float(stats["load_cpu_s"]) / max(1, ok)  # type: ignore[arg-type]
    load_threads = stats["load_threads_cpu_s"]
    assert isinstance(load_threads, dict)
    per_thread = (f"{name} {1e6 * t / max(1, ok):.0f} µs" for name, t in load_threads.items() if t)
    print(
        f"  after the first commit (start-up left out): {load_us:.0f} µs; " + ", ".join(per_thread)
    )
    print(
        f"  ack latency p50 {float(got['ack_p50_ms']):.1f} ms, p99 {ack99:.1f} ms "  # type: ignore[arg-type]
        f"(target < {ACK_P99_TARGET_MS:.0f} ms)"
    )
    lag_max = float(stats["lag_max_ms"])  # type: ignore[arg-type]
    print(
        f"  GUI loop lag p50 {float(stats['lag_p50_ms']):.1f} ms, p99 {lag99:.1f} ms, "  # type: ignore[arg-type]
        f"max {lag_max:.1f} ms, blocked > {BLOCKED_MS:.0f} ms "
        f"{100 * float(stats['lag_blocked_share']):.1f} % of the time "  # type: ignore[arg-type]
        f"(targets p99 < {LAG_P99_TARGET_MS:.0f} ms, max < {LAG_MAX_TARGET_MS:.0f} ms)"
    )
    print(
        f"  paced throughput: console {thr:,.0f}/s, bare aiohttp 200 handler {bare_thr:,.0f}/s "
        f"(ratio {paced_ratio:.2f}; both keep up with the offered rate, so this says little)"
    )
    print(f"  stepped, console: {'; '.join(console_steps)}")
    print(f"  stepped, bare handler: {'; '.join(bare_steps)}")
    print(
        f"  highest sustainable rate (nothing lost, ack p99 < {ACK_P99_TARGET_MS:.0f} ms, "
        f">= {SUSTAINED:.0%} of the offered rate, {STEP_SECONDS:.0f} s a step): console "
        f"{console_max:,.0f}/s, bare handler {bare_max:,.0f}/s, ratio {ratio:.2f} "
        f"(target >= {RATIO_TARGET})"
    )
    missed = []
    if not (ok == sent == rows == shown) or stats["pane_newest_id"] != top:
        missed.append(f"lost or refused: sent {sent}, 200s {ok}, rows {rows}, in the pane {shown}")
    if not ack99 < ACK_P99_TARGET_MS:
        missed.append(f"ack p99 {ack99:.1f} ms")
    if not lag99 < LAG_P99_TARGET_MS:
        missed.append(f"GUI loop lag p99 {lag99:.1f} ms")
    if not lag_max < LAG_MAX_TARGET_MS:
        missed.append(f"GUI loop lag max {lag_max:.1f} ms")
    if not ratio >= RATIO_TARGET:
        missed.append(f"highest sustainable rate ratio {ratio:.2f}")
    print("target met" if not missed else "target missed: " + "; ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
