"""Team mode, from the collector to the agent's screen: how soon a callback shows in a console's
event pane when the console reads the team database.

A throwaway PostgreSQL cluster (tests/pg/cluster.py); a collector (the real receiver on the team
event log, as `stream-console receive --db postgresql://…` runs it) in this process; a real
console window (offscreen) whose Team database setting is On; a headless subscriber (the team
event log's listener alone) for comparison. Signed callbacks are posted to the collector at a
steady rate, each with its own StreamID; the figures are the time from sending the callback to
the collector's 200, to the listener call, and to the row appearing in the window's event pane
(the pane batches rows on a short timer, so it trails the listener a little).

Target: pane latency p99 < 1 s (README "Team mode": "within a second"); every callback shown
exactly once. The pane/listener p50 ratio is printed for context.
Run: python benchmarks/team_console.py [--seconds 10] [--rate 40]
Last line: `target met` or `target missed: ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import qasync  # noqa: E402
from PySide6.QtCore import QModelIndex, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.receiver import pct  # noqa: E402
from console.app.composition import ConsoleApp  # noqa: E402
from console.app.services.team import ENABLED_KEY, PASSWORD_KEY, URL_KEY  # noqa: E402
from console.credentials import MemoryCredentialStore  # noqa: E402
from console.domain.events import StoredEvent  # noqa: E402
from console.domain.secret import Secret  # noqa: E402
from console.domain.signature import sign_request  # noqa: E402
from console.store.pg.event_log import PgEventLog  # noqa: E402
from tests.pg.cluster import PASSWORD, started_cluster  # noqa: E402
from tests.team.collector import collector  # noqa: E402

AUTH_ID = "MATEAMBENCHMARK00001"
TOKEN = "team-bench-token-0123456789abcdef01"
PANE_P99_TARGET_S = 1.0


async def until(cond: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def run(url: str, workdir: Path, seconds: float, rate: float) -> list[str]:
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    heard: dict[str, float] = {}
    shown: dict[str, list[float]] = {}
    statuses: list[int] = []
    subscriber = PgEventLog(url, password=PASSWORD)

    def on_listener(events: list[StoredEvent]) -> None:
        now = time.monotonic()
        for e in events:
            heard.setdefault(e.stream_id, now)

    subscriber.add_listener(on_listener)
    await subscriber.open()
    settings = QSettings(str(workdir / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    settings.setValue(URL_KEY, url)
    settings.setValue(ENABLED_KEY, True)
    store = MemoryCredentialStore()
    await store.set(PASSWORD_KEY, Secret(PASSWORD))
    console = ConsoleApp(settings, keyring_store=store, data_dir=workdir / "data")
    model = console.events_pane.model

    def on_rows(_parent: QModelIndex, first: int, last: int) -> None:
        now = time.monotonic()
        for row in range(first, last + 1):
            shown.setdefault(model.event_at(row).stream_id, []).append(now)

    model.rowsInserted.connect(on_rows)
    runner = asyncio.ensure_future(console.run())
    try:
        await until(lambda: console.window.team_status.text() == "Team database: connected", 30,
                    "console connected")  # fmt: skip
        async with (
            collector(url, PASSWORD, AUTH_ID, TOKEN) as coll,
            aiohttp.ClientSession() as http,
        ):
            target = coll.callback_url

            async def post(n: int) -> None:
                stream = f"bench-{n:06d}"
                params = {"Event": "StartStream", "StreamID": stream, "CallUUID": f"call-{n}"}
                signed = sign_request(TOKEN, "POST", target, params)
                headers = signed.as_dict() | {"Content-Type": "application/x-www-form-urlencoded"}
                sent[stream] = time.monotonic()
                async with http.post(target, data=urlencode(params), headers=headers) as r:
                    statuses.append(r.status)
                    if r.status == 200:
                        acked[stream] = time.monotonic()

            total = int(seconds * rate)
            start = time.monotonic()
            posts = []
            for n in range(total):
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
                posts.append(asyncio.ensure_future(post(n)))
            await asyncio.gather(*posts)
            await until(lambda: len(shown) >= len(acked), 30, "every callback in the pane")
            await asyncio.sleep(0.5)  # late duplicates would show meanwhile
    finally:
        console.window.close()
        await runner
        await console.shutdown()
        await subscriber.close()

    ack = [acked[s] - sent[s] for s in acked]
    listener = [heard[s] - sent[s] for s in acked if s in heard]
    pane = [shown[s][0] - sent[s] for s in acked if s in shown]
    twice = sum(1 for times in shown.values() if len(times) > 1)
    ok = statuses.count(200)
    print(f"callbacks posted {len(statuses)}, answered 200 {ok}, in the pane {len(shown)}")
    print(f"ack latency      p50 {pct(ack, 0.5) * 1000:.0f} ms, p99 {pct(ack, 0.99) * 1000:.0f} ms")
    print(f"listener latency p50 {pct(listener, 0.5) * 1000:.0f} ms, "
          f"p99 {pct(listener, 0.99) * 1000:.0f} ms")  # fmt: skip
    print(f"pane latency     p50 {pct(pane, 0.5) * 1000:.0f} ms, "
          f"p99 {pct(pane, 0.99) * 1000:.0f} ms")  # fmt: skip
    ratio = pct(pane, 0.5) / max(pct(listener, 0.5), 1e-6)
    print(f"pane/listener p50 ratio {ratio:.2f}; shown twice: {twice}")
    missed = []
    if ok != len(statuses):
        missed.append(f"{len(statuses) - ok} callbacks not answered 200")
    if len(pane) != ok or twice:
        missed.append(f"{ok - len(pane)} missing and {twice} duplicated in the pane")
    if pane and pct(pane, 0.99) >= PANE_P99_TARGET_S:
        missed.append(f"pane p99 {pct(pane, 0.99):.2f} s >= {PANE_P99_TARGET_S:.0f} s")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=40.0, help="callbacks per second")
    args = parser.parse_args()
    cluster = started_cluster()
    try:
        url = cluster.url(cluster.new_database("bench"))
        app = QApplication.instance() or QApplication([])
        with (
            tempfile.TemporaryDirectory() as tmp,
            asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
        ):
            missed = runner.run(run(url, Path(tmp), args.seconds, args.rate))
    finally:
        cluster.destroy()
    if missed:
        print("target missed: " + "; ".join(missed))
        return 1
    print("target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
