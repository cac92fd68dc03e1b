"""The qasync loop on our Qt binding must survive many callbacks.

PySide6-Essentials 6.12.0 decrements None's reference count on every `QObject.killTimer()`, and
qasync calls killTimer once per scheduled callback. On Python 3.11 (where None is not immortal)
the count reaches zero after some tens of thousands of callbacks and the interpreter aborts with
"Fatal Python error: none_dealloc". This test fails on such a binding long before that happens.

It runs in a process of its own: in the test process, objects left by earlier tests (their
threads, their garbage) release references to None meanwhile and blur the count.
"""

from __future__ import annotations

import os
import subprocess
import sys

CALLBACKS = 5_000

PROBE = f"""
import asyncio, gc, sys
import qasync
from PySide6.QtWidgets import QApplication

async def drain() -> int:
    before = sys.getrefcount(None)
    for _ in range({CALLBACKS}):
        await asyncio.sleep(0)
    return before - sys.getrefcount(None)

app = QApplication([])
loop = qasync.QEventLoop(app)
gc.disable()
print(loop.run_until_complete(drain()))
"""


def test_loop_callbacks_do_not_drain_none_refcount() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lost = int(done.stdout.strip().splitlines()[-1])
    assert lost < CALLBACKS // 10, f"{lost} references to None lost in {CALLBACKS} callbacks"
