"""A simulator started as its own process, as a developer or trainer runs it, for tests that
drive a real (non-demo) account whose API base is that simulator."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def simulator_process(auth_id: str, token: str, calls: int = 3) -> Iterator[str]:
    """Yields the simulator's base URL once it listens; stops it afterwards."""
    sim = subprocess.Popen(
        [
            sys.executable, "-m", "console", "simulate", "--port", "0", "--calls", str(calls),
            "--no-churn", "--auth-id", auth_id, "--auth-token-env", "SIM_TOKEN",
        ],
        cwd=REPO, env=dict(os.environ, SIM_TOKEN=token),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert sim.stdout is not None
        line = ""
        while not line.startswith("listening on "):
            line = sim.stdout.readline()
            assert line, "the simulator ended before listening"
        yield line.split()[-1]
    finally:
        sim.terminate()
        sim.communicate(timeout=30)
