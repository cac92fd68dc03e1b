"""Start-up cost of Stream Console against a bare PySide6 window, measured in the same run.

For each of several interleaved runs it times process start -> first paint of the main window for
(a) a bare QMainWindow script and (b) `stream-console --demo`, then reads the console's resident
memory once it has been idle for a moment. Targets: median ratio (b)/(a) <= 1.5 and idle RSS
<= 150 MB. Offscreen Qt, a throwaway HOME.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

RUNS = 7
IDLE_S = 2.0
RATIO_TARGET = 1.5
RSS_TARGET_MB = 150.0

BARE = """
import sys, time
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


def measure(cmd: list[str], env: dict[str, str], idle_rss: bool) -> tuple[float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        while True:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{cmd} exited before painting")
            if line.startswith("first-paint"):
                break
        elapsed = time.perf_counter() - started
        rss = 0.0
        if idle_rss:
            time.sleep(IDLE_S)  # let deferred start-up work (demo simulator, clients) settle
            rss = psutil.Process(proc.pid).memory_info().rss / 2**20
        return elapsed, rss
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> int:
    with tempfile.TemporaryDirectory() as home:
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            HOME=home,
            XDG_CONFIG_HOME=f"{home}/.config",
            XDG_DATA_HOME=f"{home}/.local/share",
        )
        bare_script = Path(home) / "bare.py"
        bare_script.write_text(BARE)
        bare_cmd = [sys.executable, str(bare_script)]
        console_cmd = [sys.executable, "-m", "console", "--demo", "--benchmark-paint"]
        measure(bare_cmd, env, False)  # warm the page cache for both
        measure(console_cmd, env, False)
        bare, console, rss = [], [], []
        for _ in range(RUNS):
            bare.append(measure(bare_cmd, env, False)[0])
            t, r = measure(console_cmd, env, True)
            console.append(t)
            rss.append(r)
    b, c = statistics.median(bare), statistics.median(console)
    ratio = c / b
    idle = statistics.median(rss)
    print(f"bare PySide6 window, start -> first paint: median {b * 1000:.0f} ms over {RUNS} runs")
    print(f"stream-console --demo, start -> first paint: median {c * 1000:.0f} ms over {RUNS} runs")
    print(f"ratio: {ratio:.2f} (target <= {RATIO_TARGET})")
    print(f"idle RSS of stream-console --demo: {idle:.0f} MB (target <= {RSS_TARGET_MB:.0f} MB)")
    missed = []
    if ratio > RATIO_TARGET:
        missed.append(f"ratio {ratio:.2f} > {RATIO_TARGET}")
    if idle > RSS_TARGET_MB:
        missed.append(f"idle RSS {idle:.0f} MB > {RSS_TARGET_MB:.0f} MB")
    print("target met" if not missed else "target missed: " + "; ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
