"""Team mode on screen: three real console windows following one team database at 200/s.

A throwaway PostgreSQL cluster with a team server's durable settings (tests/pg/cluster.py,
`fsync=on`, `synchronous_commit=on`); a collector (`stream-console receive --db
postgresql://…`, a process of its own); three real console windows (offscreen, one process,
one qasync loop, each with its own settings, data and Team database setting On, so each holds
its own two connections); signed callbacks at a steady rate from a sender process of its own
(`benchmarks/team.py --send`), each carrying the wall-clock time it was sent (`SentAt`).

Figures (`name: value` lines): callbacks sent and answered 200, and for each window how many
rows appeared in its event pane, how many twice, and the latency from the sender's send to the
row's appearing (p50, p99; the pane batches rows on a short timer).
Target: every callback shown exactly once in each of the three panes, pane p99 < 500 ms.
Run: python benchmarks/team_console.py [--seconds 30] [--rate 200] [--windows 3]
Last line: `target met` or `target missed: ...`; exit 0 only when met.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import qasync  # noqa: E402
from PySide6.QtCore import QModelIndex, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.receiver import pct  # noqa: E402
from console.app.composition import ConsoleApp  # noqa: E402
from console.app.services.team import ENABLED_KEY, PASSWORD_KEY, URL_KEY  # noqa: E402
from console.credentials import MemoryCredentialStore  # noqa: E402
from console.domain.secret import Secret  # noqa: E402
from tests.pg.cluster import PASSWORD, started_cluster  # noqa: E402
from tests.pg.collectors import Collector  # noqa: E402

PANE_P99_TARGET_MS = 500.0


async def until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def open_window(url: str, workdir: Path, shown: dict[str, list[float]]) -> ConsoleApp:
    """A console whose Team database setting is On; `shown[StreamID]` gets each time a row for
    it appears in the event pane, as the send-to-row latency in ms."""
    workdir.mkdir()
    settings = QSettings(str(workdir / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    settings.setValue(URL_KEY, url)
    settings.setValue(ENABLED_KEY, True)
    store = MemoryCredentialStore()
    await store.set(PASSWORD_KEY, Secret(PASSWORD))
    console = ConsoleApp(settings, keyring_store=store, data_dir=workdir / "data")
    model = console.events_pane.model

    def on_rows(_parent: QModelIndex, first: int, last: int) -> None:
        now = time.time()
        for row in range(first, last + 1):
            event = model.event_at(row)
            sent = float(event.params.get("SentAt") or now)
            shown.setdefault(event.stream_id, []).append((now - sent) * 1000)

    model.rowsInserted.connect(on_rows)
    return console


async def send(target: str, rate: float, seconds: float) -> dict[str, object]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "benchmarks" / "team.py"), "--send", target,
        "--rate", str(rate), "--seconds", str(seconds),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        env=dict(os.environ, BENCH_PGPASSWORD=PASSWORD),
    )  # fmt: skip
    out, _ = await proc.communicate()
    result: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def run(url: str, workdir: Path, args: argparse.Namespace) -> list[str]:
    shown: list[dict[str, list[float]]] = [{} for _ in range(args.windows)]
    consoles = [
        await open_window(url, workdir / f"agent{i}", shown[i]) for i in range(args.windows)
    ]
    runners = [asyncio.ensure_future(c.run()) for c in consoles]
    collector = Collector(url, workdir, password=PASSWORD, name="collector")
    try:
        connected = "Team database: connected"
        await until(lambda: all(c.window.team_status.text() == connected for c in consoles), 60,
                    "every console connected")  # fmt: skip
        sent = await send(collector.url, args.rate, args.seconds)
        ok = int(sent["ok"])  # type: ignore[call-overload]
        try:
            await until(lambda: all(len(s) >= ok for s in shown), 60, "every callback shown")
        except TimeoutError as exc:
            print(f"note: {exc}")
    finally:
        collector.stop()
        for console in consoles:
            console.window.close()
        await asyncio.gather(*runners, return_exceptions=True)
        for console in consoles:
            await console.shutdown()
    return judge(sent, shown)


def judge(sent: dict[str, object], shown: list[dict[str, list[float]]]) -> list[str]:
    ok = int(sent["ok"])  # type: ignore[call-overload]
    print(f"callbacks sent: {sent['sent']}")
    print(f"answered 200: {ok}")
    missed = []
    if ok != sent["sent"]:
        missed.append(f"{sent['sent']} sent, {ok} answered 200")
    for i, rows in enumerate(shown, 1):
        first = [times[0] for times in rows.values()]
        twice = sum(1 for times in rows.values() if len(times) > 1)
        p99 = pct(first, 0.99)
        print(f"window {i} rows shown: {len(rows)}")
        print(f"window {i} rows shown twice: {twice}")
        print(f"window {i} pane latency p50 ms: {pct(first, 0.5):.0f}")
        print(f"window {i} pane latency p99 ms: {p99:.0f}")
        if len(rows) != ok or twice:
            missed.append(f"window {i}: {ok - len(rows)} missing, {twice} twice")
        if not p99 < PANE_P99_TARGET_MS:
            missed.append(f"window {i}: pane p99 {p99:.0f} ms")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0, help="callbacks per second")
    parser.add_argument("--windows", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.rate:.0f} callbacks/s for {args.seconds:.0f} s, {args.windows} console windows, "
          "durable PostgreSQL", flush=True)  # fmt: skip
    cluster = started_cluster(durable=True)
    try:
        url = cluster.url(cluster.new_database("bench"))
        app = QApplication.instance() or QApplication([])
        with (
            tempfile.TemporaryDirectory() as tmp,
            asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
        ):
            missed = runner.run(run(url, Path(tmp), args))
    finally:
        cluster.destroy()
    if missed:
        print("target missed: " + "; ".join(missed))
        return 1
    print("target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
