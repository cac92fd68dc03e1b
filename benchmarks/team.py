"""Team benchmark at the stated team size: 2 collectors, 200 consoles, one durable PostgreSQL.

A throwaway PostgreSQL cluster (tests/pg/cluster.py) with the settings a team's server keeps
(`fsync=on`, `synchronous_commit=on`, `full_page_writes=on`); two `stream-console receive --db
postgresql://...` collectors behind one public URL; 200 consoles, each opened with the console's
own code (`console.store.pg.console_stores.open_console_stores`: its LISTEN subscription and its
one shared connection), as asyncio tasks spread over a few processes; signed callbacks at a
steady rate from sender processes of their own (one per collector, half the rate each), each
carrying the wall-clock time it was sent (`SentAt`, covered by the signature). A 5xx is sent
again (the same signed request), as Plivo retries.

Figures (`name: value` lines), and the targets:
- lost: callbacks the senders never got a 200 for, plus 200s without a row: 0;
- exactly once, in order: every console's listener got every row once, ids increasing;
- console latency p99: from the sender's send to each console's listener call, < 500 ms;
- connections peak: client connections at PostgreSQL (sampled every 100 ms) <= 2 x consoles
  + collectors x their pool (docs/team-mode.md, Sizing).

Each console's CPU (reading and decoding every row, 12 µs a row alone, 27-44 µs a delivery
measured here) is printed per delivery, with the cores the co-located consoles would need at the
rate asked: 200 consoles at 2,000/s are 400,000 deliveries a second, 5 to 11 cores, where a team
has 200 computers. On a smaller machine the consoles fall behind and the latency target is
missed for want of CPU; `--rate` and `--consoles` scale the run down.

Needs the PostgreSQL server binaries (Debian package `postgresql`).
Run: python benchmarks/team.py [--seconds 30] [--rate 2000] [--consoles 200] [--processes 4]
Last line: `target met` or `target missed: ...`; exit 0 only when met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATENCY_TARGET_MS = 500.0
HIST_MS = 60_000  # latencies are counted per millisecond up to a minute
SENDER_CONCURRENCY = 64
PASSWORD_ENV = "BENCH_PGPASSWORD"


# --- a process of consoles ----------------------------------------------------------------------
class Seen:
    """What one console's listener got: how many, whether ids only increased."""

    def __init__(self, hist: list[int]) -> None:
        self.count = 0
        self.last = 0
        self.disorder = 0
        self.hist = hist

    def __call__(self, events: list[Any]) -> None:
        now = time.time()
        for event in events:
            if event.id <= self.last:
                self.disorder += 1
            self.last = event.id
            self.count += 1
            sent = float(event.params.get("SentAt") or now)
            self.hist[max(0, min(HIST_MS, int((now - sent) * 1000)))] += 1


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def consoles_process(url: str, n: int) -> None:
    """Open `n` consoles, say `ready`, then wait for `expect ROWS` on stdin and report."""
    from console.store.pg.console_stores import open_console_stores

    password = os.environ.get(PASSWORD_ENV)
    hist = [0] * (HIST_MS + 1)
    seen = [Seen(hist) for _ in range(n)]
    stores = []
    for listener in seen:
        log, activity = await open_console_stores(url, password=password)
        log.add_listener(listener)
        stores.append((log, activity))
    while any(log.health != "connected" for log, _ in stores):
        await asyncio.sleep(0.05)
    print("ready", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    expected = int(line.split()[1])
    deadline = time.monotonic() + 120
    while any(s.count < expected for s in seen) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    report = {
        "counts": [s.count for s in seen],
        "disorder": sum(s.disorder for s in seen),
        "hist": {ms: n for ms, n in enumerate(hist) if n},
        "cpu_s": cpu_seconds(),
    }
    print(json.dumps(report), flush=True)
    for log, activity in stores:
        await activity.close()
        await log.close()


# --- a sender -----------------------------------------------------------------------------------
async def sender_process(url: str, rate: float, seconds: float, first: int) -> None:
    """Send `rate * seconds` distinct signed callbacks on schedule; JSON figures on stdout."""
    import aiohttp

    from tests.pg.collectors import callback

    total = int(rate * seconds)
    figures: dict[str, Any] = {"sent": total, "ok": 0, "retries": 0, "refused": 0, "late": 0}
    acks: list[float] = []
    room = asyncio.Semaphore(SENDER_CONCURRENCY)

    async def one(http: aiohttp.ClientSession, n: int) -> None:
        body, headers, _ = callback(n, SentAt=f"{time.time():.6f}")
        started = time.perf_counter()
        try:
            while True:
                try:
                    async with http.post(url, data=body, headers=headers) as r:
                        await r.read()
                        status = r.status
                except (aiohttp.ClientError, OSError, TimeoutError):
                    status = 599
                if status == 200:
                    figures["ok"] += 1
                    acks.append((time.perf_counter() - started) * 1000)
                    return
                if status < 500:
                    figures["refused"] += 1
                    return
                figures["retries"] += 1
                await asyncio.sleep(0.05)  # Plivo's retry, compressed
        finally:
            room.release()

    start = time.monotonic()
    connector = aiohttp.TCPConnector(limit=SENDER_CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as http:
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.1:
                figures["late"] += 1
            await room.acquire()
            tasks.append(asyncio.create_task(one(http, first + i)))
        await asyncio.gather(*tasks)
    acks.sort()
    figures["elapsed_s"] = time.monotonic() - start
    figures["ack_p99_ms"] = acks[int(0.99 * (len(acks) - 1))] if acks else float("nan")
    print(json.dumps(figures), flush=True)


# --- the run ------------------------------------------------------------------------------------
async def child(*args: str, password: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).resolve()), *args,
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**24,
        env=dict(os.environ, **{PASSWORD_ENV: password}),
    )  # fmt: skip


async def last_json(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    if not line:
        raise RuntimeError("a benchmark process ended without its figures")
    result: dict[str, Any] = json.loads(line)
    return result


async def sample_connections(admin: Any, db: str, stop: asyncio.Event) -> int:
    peak = 0
    while not stop.is_set():
        cursor = await admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
            (db,),
        )
        row = await cursor.fetchone()
        peak = max(peak, int(row[0]) if row else 0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)
    return peak


async def start_consoles(url: str, args: argparse.Namespace) -> list[asyncio.subprocess.Process]:
    per = [args.consoles // args.processes + (i < args.consoles % args.processes)
           for i in range(args.processes)]  # fmt: skip
    procs = [
        await child("--consoles-of", str(k), "--db", url, password=args.password) for k in per if k
    ]
    for proc in procs:
        assert proc.stdout is not None
        if (await proc.stdout.readline()).strip() != b"ready":
            raise RuntimeError("a consoles process did not start")
    return procs


async def run(cluster: Any, db: str, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    from console.store.pg.event_log import PgEventLog
    from tests.pg.cluster import USER
    from tests.pg.collectors import Collector

    url = cluster.url(db)
    migrated = PgEventLog(url, password=args.password, maintenance_interval_s=0)
    await migrated.open()  # the schema, once, before 200 consoles ask for it
    await migrated.close()
    consoles = await start_consoles(url + "?application_name=bench-console", args)
    collectors = [Collector(url, tmp, password=args.password, name=f"c{i}") for i in range(2)]
    admin = await psycopg.AsyncConnection.connect(
        host=str(cluster.sock), port=cluster.port, user=USER, dbname=db, autocommit=True
    )
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_connections(admin, db, stop))
    half = int(args.rate * args.seconds / 2)
    server_before, started = server_cpu_s(cluster), time.monotonic()
    senders = [
        await child("--send", c.url, "--rate", str(args.rate / 2), "--seconds",
                    str(args.seconds), "--first", str(i * half), password=args.password)
        for i, c in enumerate(collectors)
    ]  # fmt: skip
    sent = [await last_json(s) for s in senders]
    server = (server_cpu_s(cluster) - server_before) / (time.monotonic() - started)
    rows = int((await (await admin.execute("SELECT count(*) FROM events")).fetchone())[0])
    for proc in consoles:
        assert proc.stdin is not None
        proc.stdin.write(f"expect {rows}\n".encode())
        await proc.stdin.drain()
    reports = [await last_json(p) for p in consoles]
    stop.set()
    peak = await sampler
    await admin.close()
    for c in collectors:
        c.stop()
    for proc in (*consoles, *senders):
        if proc.stdin is not None:
            proc.stdin.close()
        await proc.wait()
    return {"sent": sent, "rows": rows, "reports": reports, "peak": peak, "server": server}


def server_cpu_s(cluster: Any) -> float:
    """CPU seconds used so far by the PostgreSQL server's processes (the postmaster's children,
    live ones: the backends of the consoles and collectors, WAL writer, checkpointer)."""
    postmaster = (cluster.data / "postmaster.pid").read_text().split()[0]
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == postmaster or stat.parent.name == postmaster:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(hist: list[int], q: float) -> float:
    total = sum(hist)
    if not total:
        return float("nan")
    rank, running = q * total, 0
    for ms, n in enumerate(hist):
        running += n
        if running >= rank:
            return float(ms)
    return float(HIST_MS)


def judge(result: dict[str, Any], args: argparse.Namespace) -> list[str]:
    from console.store.pg.event_log import POOL_SIZE

    sent, rows, reports = result["sent"], result["rows"], result["reports"]
    total = sum(s["sent"] for s in sent)
    ok = sum(s["ok"] for s in sent)
    counts = [c for r in reports for c in r["counts"]]
    hist = [0] * (HIST_MS + 1)
    for report in reports:
        for ms, n in report["hist"].items():
            hist[int(ms)] += n
    disorder = sum(r["disorder"] for r in reports)
    exact = sum(1 for c in counts if c == rows)
    limit = 2 * args.consoles + 2 * POOL_SIZE
    p99 = percentile(hist, 0.99)
    elapsed = max(s["elapsed_s"] for s in sent)
    print(f"callbacks sent: {total}")
    print(f"send rate achieved: {total / elapsed:.0f}/s")
    print(f"sender late sends (over 100 ms behind schedule): {sum(s['late'] for s in sent)}")
    print(f"answered 200: {ok}")
    print(f"retries after 5xx: {sum(s['retries'] for s in sent)}")
    print(f"rows stored: {rows}")
    print(f"lost: {total - ok + max(0, ok - rows)}")
    print(f"consoles: {len(counts)}")
    print(f"consoles that saw every event exactly once: {exact}")
    print(f"events out of order or repeated at a console: {disorder}")
    print(f"console deliveries: {sum(counts)}")
    print(f"console latency p50 ms: {percentile(hist, 0.5):.0f}")
    print(f"console latency p99 ms: {p99:.0f}")
    print(f"console latency max ms: {max((i for i, n in enumerate(hist) if n), default=0)}")
    print(f"ack p99 ms (worst sender): {max(s['ack_p99_ms'] for s in sent):.0f}")
    cpu_us = sum(r["cpu_s"] for r in reports) / max(1, sum(counts)) * 1e6
    print(f"console-side CPU per delivery us: {cpu_us:.1f}")
    needed = args.rate * args.consoles * cpu_us / 1e6
    print(
        f"cores the co-located consoles need at this rate: {needed:.1f} (machine: {os.cpu_count()})"
    )
    print(f"PostgreSQL server cores busy during the load: {result['server']:.2f}")
    print(f"connections peak: {result['peak']}")
    print(f"connections limit: {limit}")
    missed = []
    if total / elapsed < 0.95 * args.rate:
        missed.append(f"the senders managed {total / elapsed:.0f}/s, not {args.rate:.0f}/s")
    if total != ok or ok != rows:
        missed.append(f"sent {total}, answered 200 {ok}, rows {rows}")
    if disorder or any(c > rows for c in counts):
        missed.append(f"{disorder} events repeated or out of order at the consoles")
    if exact != args.consoles or len(counts) != args.consoles:
        missed.append(f"{args.consoles - exact} consoles had not seen every event 2 min after")
    if not p99 < LATENCY_TARGET_MS:
        missed.append(f"console latency p99 {p99:.0f} ms")
    if result["peak"] > limit:
        missed.append(f"{result['peak']} connections > {limit}")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=2000.0, help="callbacks per second")
    parser.add_argument("--consoles", type=int, default=200)
    parser.add_argument("--processes", type=int, default=4, help="processes the consoles share")
    parser.add_argument("--consoles-of", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--send", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.consoles_of:
        asyncio.run(consoles_process(args.db, args.consoles_of))
        return 0
    if args.send:
        asyncio.run(sender_process(args.send, args.rate, args.seconds, args.first))
        return 0
    from console.store.pg.event_log import POOL_SIZE
    from tests.pg.cluster import PASSWORD, started_cluster

    args.password = PASSWORD
    print(
        f"{args.rate:,.0f} signed callbacks/s for {args.seconds:.0f} s: 2 collectors, "
        f"{args.consoles} consoles in {args.processes} processes, durable PostgreSQL",
        flush=True,
    )
    cluster = started_cluster(durable=True, max_connections=2 * args.consoles + 4 * POOL_SIZE + 20)
    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            db = cluster.new_database("bench")
            result = asyncio.run(run(cluster, db, Path(tmp_dir), args))
    finally:
        cluster.destroy()
    missed = judge(result, args)
    print("target met" if not missed else "target missed: " + "; ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
