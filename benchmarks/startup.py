"""Start-up of Stream Console against a bare PySide6 window, as a user sees it on a desktop.

Runs under Xvfb with Qt's xcb platform (what a Linux desktop shows; it re-runs itself under
`xvfb-run` when there is no display), a throwaway HOME, and bytecode compiled by the warm-up
runs (as an installed console has it), for the bare window and the console alike. For each of
RUNS interleaved pairs it starts (a) a bare QMainWindow script and (b) `stream-console --demo
--benchmark-paint`, and times from process start to the lines each prints once painted:

- bare: its window's first paint;
- console: `first-paint` (the light window), `usable` (composed and titled, the calls region
  loading), `first-calls` (the demo's live calls listed), `services-ready` (receiver, event log,
  activity history and monitor started); its resident memory is read at `services-ready`.

Targets, medians of the runs: usable <= 1.5 x the bare window, first calls <= 2.5 x, RSS with
every service running <= 150 MB.

For scale it also starts (c) the stack's floor: the bare window, then asyncio with qasync (the
loop the console runs on), then an aiohttp server on loopback serving twelve calls and an httpx
client listing them into the window, with no console code at all. Its `usable` (window painted,
loop running) and `first-calls` are what any console built on PySide6, qasync, aiohttp and
httpx pays on this machine; the console's figures over the floor's are its own share. The
targets stay against the bare window.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

RUNS = 7
USABLE_TARGET = 1.5
FIRST_CALLS_TARGET = 2.5
RSS_TARGET_MB = 150.0
TIMEOUT_S = 30.0
CONSOLE_MARKS = ("first-paint", "usable", "first-calls", "services-ready")

BARE = """
import sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv)
class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print("first-paint", flush=True)
            obj.removeEventFilter(self)
        return False
w = QMainWindow(); w.setCentralWidget(QLabel("bare")); w.resize(1280, 820)
watch = Watch(); w.centralWidget().installEventFilter(watch)
w.show()
app.exec()
"""


FLOOR = """
import sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QListWidget, QMainWindow
app = QApplication(sys.argv)
painted = []
class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not painted:
            painted.append(True)
        return False
w = QMainWindow(); calls = QListWidget(); w.setCentralWidget(calls); w.resize(1280, 820)
watch = Watch(); calls.viewport().installEventFilter(watch)
w.show()
import asyncio
import qasync
async def main():
    while not painted:
        await asyncio.sleep(0.001)
    print("usable", flush=True)
    import httpx
    from aiohttp import web
    async def listing(request):
        return web.json_response({"objects": [{"call_uuid": str(n)} for n in range(12)]})
    server = web.Application(); server.router.add_get("/calls", listing)
    runner = web.AppRunner(server); await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0); await site.start()
    port = site._server.sockets[0].getsockname()[1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        found = (await client.get("/calls")).json()["objects"]
    calls.addItems([c["call_uuid"] for c in found]); calls.repaint()
    print("first-calls", flush=True)
    await asyncio.Event().wait()
with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
    runner.run(main())
"""
FLOOR_MARKS = ("usable", "first-calls")


def measure(cmd: list[str], env: dict[str, str], marks: tuple[str, ...]) -> dict[str, float]:
    """Seconds from start to each mark line; 'rss_mb' read when the last mark arrives."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    seen: dict[str, float] = {}
    try:
        assert proc.stdout is not None
        while len(seen) < len(marks):
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{cmd[-1]} exited before {set(marks) - set(seen)}")
            word = line.strip()
            if word in marks and word not in seen:
                seen[word] = time.perf_counter() - started
            if time.perf_counter() - started > TIMEOUT_S:
                raise RuntimeError(f"{cmd[-1]}: no {set(marks) - set(seen)} in {TIMEOUT_S} s")
        seen["rss_mb"] = psutil.Process(proc.pid).memory_info().rss / 2**20
        return seen
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_all(
    env: dict[str, str], home: str
) -> tuple[list[dict[str, float]], list[float], list[dict[str, float]]]:
    bare_script, floor_script = Path(home) / "bare.py", Path(home) / "floor.py"
    bare_script.write_text(BARE)
    floor_script.write_text(FLOOR)
    bare_cmd = [sys.executable, str(bare_script)]
    floor_cmd = [sys.executable, str(floor_script)]
    console_cmd = [sys.executable, "-m", "console", "--demo", "--benchmark-paint"]
    measure(bare_cmd, env, ("first-paint",))  # warm the page cache (and bytecode) for all
    measure(floor_cmd, env, FLOOR_MARKS)
    measure(console_cmd, env, CONSOLE_MARKS)
    bare: list[float] = []
    floor: list[dict[str, float]] = []
    console: list[dict[str, float]] = []
    for _ in range(RUNS):
        bare.append(measure(bare_cmd, env, ("first-paint",))["first-paint"])
        console.append(measure(console_cmd, env, CONSOLE_MARKS))
        floor.append(measure(floor_cmd, env, FLOOR_MARKS))
    return console, bare, floor


def main() -> int:
    if not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):
        xvfb = ["xvfb-run", "-a", "-s", "-screen 0 1920x1200x24"]
        os.execvp("xvfb-run", [*xvfb, sys.executable, *sys.argv])
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as home:
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="xcb",
            HOME=home,
            XDG_CONFIG_HOME=f"{home}/.config",
            XDG_DATA_HOME=f"{home}/.local/share",
            PYTHONPATH=str(root),
            # As installed (pip and PyInstaller ship bytecode): each module compiled once, by
            # the warm-up runs, into this run's own cache. A start that compiles all of them from
            # source (PYTHONDONTWRITEBYTECODE) is not what a user waits for.
            PYTHONPYCACHEPREFIX=f"{home}/pycache",
        )
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        console, bare, floor = run_all(env, home)
    b = statistics.median(bare)
    med = {m: statistics.median(r[m] for r in console) for m in (*CONSOLE_MARKS, "rss_mb")}
    low = {m: statistics.median(r[m] for r in floor) for m in FLOOR_MARKS}
    usable, first_calls, rss = med["usable"] / b, med["first-calls"] / b, med["rss_mb"]
    print(f"medians of {RUNS} interleaved runs, Qt's xcb platform under Xvfb:")
    print(f"  bare PySide6 window, start -> first paint: {b * 1000:.0f} ms")
    for mark in CONSOLE_MARKS:
        print(f"  stream-console --demo, start -> {mark}: {med[mark] * 1000:.0f} ms")
    for mark in FLOOR_MARKS:
        print(
            f"  the stack's floor (bare window, qasync, aiohttp, httpx), start -> {mark}: "
            f"{low[mark] * 1000:.0f} ms ({low[mark] / b:.2f} x bare; the console "
            f"{med[mark] / low[mark]:.2f} x this)"
        )
    print(f"usable window: {usable:.2f} x bare (target <= {USABLE_TARGET})")
    print(f"first calls listed: {first_calls:.2f} x bare (target <= {FIRST_CALLS_TARGET})")
    print(f"RSS with every service started: {rss:.0f} MB (target <= {RSS_TARGET_MB:.0f} MB)")
    missed = []
    if usable > USABLE_TARGET:
        missed.append(f"usable {usable:.2f} x > {USABLE_TARGET}")
    if first_calls > FIRST_CALLS_TARGET:
        missed.append(f"first calls {first_calls:.2f} x > {FIRST_CALLS_TARGET}")
    if rss > RSS_TARGET_MB:
        missed.append(f"RSS {rss:.0f} MB > {RSS_TARGET_MB:.0f} MB")
    print("target met" if not missed else "target missed: " + "; ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
