"""Team benchmark: two collectors on one PostgreSQL database against one SQLite receiver.

A throwaway PostgreSQL cluster (tests/pg/cluster.py), two `stream-console receive --db
postgresql://...` collectors with the same public URL, signed callbacks from separate load
processes (benchmarks/receiver.py's generator, one per collector, half the rate each), and five
subscribers (each a PgEventLog with its own LISTEN connection) in this process. Then the same
load, from one generator, into one `receive --db file.sqlite3`. Figures:

- exactly once: every callback answered 200 is one row (200s == rows, on both stores), and each
  of the 5 subscribers got every row exactly once, in id order;
- ack latency p99 (send to 200) of the team collectors under 500 ms, the same budget as a
  callback's way to the consoles (printed next to the SQLite receiver's, which has the machine
  to itself: the team phase runs PostgreSQL, 2 collectors, 2 load processes and 5 subscribers
  on the same cores);
- subscriber latency p99 < 500 ms (a collector's receive time to a subscriber's listener call);
- throughput of the team / throughput of the single SQLite receiver >= 0.5.

Needs the PostgreSQL server binaries (Debian package `postgresql`).
Run: python benchmarks/team.py [--seconds 30] [--rate 2000]
Last line: `target met` or `target missed: ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.receiver import AUTH_ID, PUBLIC, TOKEN, pct  # noqa: E402

ACK_P99_TARGET_MS = 500.0
SUBSCRIBER_P99_TARGET_MS = 500.0
RATIO_TARGET = 0.5
SUBSCRIBERS = 5


async def generate(url: str, rate: float, seconds: float) -> dict[str, object]:
    """benchmarks/receiver.py's load generator in a process of its own; its JSON result."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "benchmarks" / "receiver.py"), "--load", url,
        "--rate", str(rate), "--seconds", str(seconds),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    result: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def combine(results: list[dict[str, object]], latencies_p99: float) -> dict[str, object]:
    elapsed = max(float(r["elapsed_s"]) for r in results)  # type: ignore[arg-type]
    ok = sum(int(r["ok"]) for r in results)  # type: ignore[call-overload]
    return {
        "sent": sum(int(r["sent"]) for r in results),  # type: ignore[call-overload]
        "ok": ok,
        "errors": sum(int(r["errors"]) for r in results),  # type: ignore[call-overload]
        "throughput": ok / elapsed if elapsed else 0.0,
        "ack_p99_ms": latencies_p99,
    }


async def team_phase(
    url: str, tmp: Path, rate: float, seconds: float, password: str
) -> tuple[dict[str, object], int, list[list[int]], list[float]]:
    from console.domain.events import StoredEvent
    from console.store.pg.event_log import PgEventLog
    from tests.pg.collectors import Collector

    subscribers = [PgEventLog(url, password=password, maintenance_interval_s=0) for _ in range(5)]
    seen: list[list[int]] = [[] for _ in subscribers]
    delays: list[float] = []
    for log, ids in zip(subscribers, seen, strict=True):
        await log.open()

        def listener(events: list[StoredEvent], ids: list[int] = ids) -> None:
            now = time.time()
            ids.extend(e.id for e in events)
            delays.extend((now - e.received_at) * 1000 for e in events)

        log.add_listener(listener)
    while any(log.health != "connected" for log in subscribers):
        await asyncio.sleep(0.05)
    collectors = [
        Collector(url, tmp, password=password, name=f"c{i}", public=PUBLIC, token=TOKEN)
        for i in range(2)
    ]
    try:
        results = await asyncio.gather(*(generate(c.url, rate / 2, seconds) for c in collectors))
    finally:
        for c in collectors:
            c.stop()
    readback = subscribers[0]
    from console.domain.events import EventFilter

    rows = await readback.count(EventFilter())
    deadline = time.monotonic() + 30
    while any(len(ids) < rows for ids in seen) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # anything arriving now would be a duplicate
    for log in subscribers:
        await log.close()
    worst = max(float(r["ack_p99_ms"]) for r in results)  # type: ignore[arg-type]
    return combine(list(results), worst), rows, seen, delays


async def sqlite_phase(tmp: Path, rate: float, seconds: float) -> tuple[dict[str, object], int]:
    from tests.pg.collectors import Collector

    db = tmp / "events.sqlite3"
    collector = Collector(str(db), tmp, name="sqlite", public=PUBLIC, token=TOKEN)
    try:
        result = await generate(collector.url, rate, seconds)
    finally:
        collector.stop()
    conn = sqlite3.connect(db)
    rows = int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    conn.close()
    return combine([result], float(result["ack_p99_ms"])), rows  # type: ignore[arg-type]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=2000.0)
    args = parser.parse_args()
    from tests.pg.cluster import PASSWORD, started_cluster

    print(
        f"{args.rate:,.0f} signed callbacks/s for {args.seconds:.0f} s: 2 collectors + PostgreSQL "
        f"+ {SUBSCRIBERS} subscribers, then 1 SQLite receiver; AUTH_ID {AUTH_ID}",
        flush=True,
    )
    cluster = started_cluster()
    try:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            url = cluster.url(cluster.new_database("bench"))
            team, team_rows, seen, delays = asyncio.run(
                team_phase(url, tmp, args.rate, args.seconds, PASSWORD)
            )
            single, single_rows = asyncio.run(sqlite_phase(tmp, args.rate, args.seconds))
    finally:
        cluster.destroy()
    once = all(len(ids) == len(set(ids)) == team_rows and ids == sorted(ids) for ids in seen)
    sub99 = pct(delays, 0.99)
    ratio = float(team["throughput"]) / float(single["throughput"] or 1)  # type: ignore[arg-type]
    team_ack99 = float(team["ack_p99_ms"])  # type: ignore[arg-type]
    single_ack99 = float(single["ack_p99_ms"])  # type: ignore[arg-type]
    print(f"  team: {json.dumps(team)}; rows {team_rows:,}")
    print(f"  subscribers: {[len(ids) for ids in seen]} events each, exactly once: {once}")
    print(f"  subscriber latency p50 {pct(delays, 0.5):.1f} ms, p99 {sub99:.1f} ms")
    print(f"  sqlite: {json.dumps(single)}; rows {single_rows:,}")
    print(
        f"  ack p99: team {team_ack99:.1f} ms, SQLite {single_ack99:.1f} ms (target < "
        f"{ACK_P99_TARGET_MS:.0f} ms)"
    )
    print(
        f"  throughput: team {float(team['throughput']):,.0f}/s, "  # type: ignore[arg-type]
        f"single SQLite {float(single['throughput']):,.0f}/s, ratio {ratio:.2f} "  # type: ignore[arg-type]
        f"(target >= {RATIO_TARGET})"
    )
    missed = []
    if not (team["ok"] == team["sent"] == team_rows):
        missed.append(
            f"team lost or refused: sent {team['sent']}, 200s {team['ok']}, rows {team_rows}"
        )
    if not (single["ok"] == single["sent"] == single_rows):
        missed.append(f"sqlite sent {single['sent']}, 200s {single['ok']}, rows {single_rows}")
    if not once:
        missed.append("a subscriber missed or repeated events")
    if not team_ack99 < ACK_P99_TARGET_MS:
        missed.append(f"team ack p99 {team_ack99:.1f} ms (SQLite {single_ack99:.1f} ms)")
    if not sub99 < SUBSCRIBER_P99_TARGET_MS:
        missed.append(f"subscriber p99 {sub99:.1f} ms")
    if not ratio >= RATIO_TARGET:
        missed.append(f"throughput ratio {ratio:.2f}")
    print("target met" if not missed else "target missed: " + "; ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
