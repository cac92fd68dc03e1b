"""`stream-console receive` and `export` as a user runs them: real processes, signals, files."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from console.domain.signature import sign_request
from console.receiver.server import CALLBACK_PATH
from tests.receiver.conftest import AUTH_ID, FORM, PUBLIC, TOKEN, params

REPO = Path(__file__).resolve().parents[2]
SIGNED_URL = PUBLIC + CALLBACK_PATH


class Receive:
    """A running `stream-console receive` child process."""

    def __init__(self, db: Path, *extra: str) -> None:
        env = dict(os.environ, RECEIVER_TOKEN=TOKEN)
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "console", "receive", "--port", "0",
                "--public-url", PUBLIC + "/", "--auth-token-env", "RECEIVER_TOKEN",
                "--auth-id", AUTH_ID, "--db", str(db), *extra,
            ],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks until ready (pytest-timeout bounds it)
        assert line.startswith("listening on http://127.0.0.1:"), line + self._stderr()
        self.url = line.split()[-1] + CALLBACK_PATH

    def _stderr(self) -> str:
        if self.proc.poll() is None:
            return ""
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, _ = self.proc.communicate(timeout=30)
        return self.proc.returncode, out


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "events.sqlite3"


def _post_args(n: int, **extra: str) -> tuple[str, dict[str, str]]:
    p = params(n, **extra)
    return urlencode(p), sign_request(TOKEN, "POST", SIGNED_URL, p).as_dict() | {
        "Content-Type": FORM
    }


async def _load(url: str, count: int, concurrency: int, stop_after_s: float) -> set[str]:
    """Send distinct signed callbacks; return the StreamIDs that were answered 200."""
    acked: set[str] = set()
    counter = iter(range(count))
    deadline = time.monotonic() + stop_after_s

    async def worker(http: aiohttp.ClientSession) -> None:
        for n in counter:
            if time.monotonic() > deadline:
                return
            body, headers = _post_args(n)
            try:
                async with http.post(url, data=body, headers=headers) as r:
                    await r.read()
                    if r.status == 200:
                        acked.add(params(n)["StreamID"])
            except (aiohttp.ClientError, OSError):
                return  # the receiver was killed: this one was never acknowledged

    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    return acked


def _stream_ids(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {r[0] for r in conn.execute("SELECT stream_id FROM events")}
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_kill_9_under_load_loses_no_acknowledged_event(db: Path) -> None:
    receiver = Receive(db)

    async def load_then_kill() -> set[str]:
        task = asyncio.ensure_future(_load(receiver.url, 100_000, 32, stop_after_s=20))
        await asyncio.sleep(1.5)
        receiver.proc.kill()  # SIGKILL mid-load: no chance to flush anything
        return await task

    acked = asyncio.run(load_then_kill())
    receiver.stop()
    assert receiver.proc.returncode == -signal.SIGKILL
    assert len(acked) > 100  # the load really ran
    stored = _stream_ids(db)
    assert acked <= stored, f"{len(acked - stored)} acknowledged events lost"
    # and the log opens and takes callbacks again after the crash
    again = Receive(db)
    try:
        acked_after = asyncio.run(_load(again.url, 10, 2, stop_after_s=10))
        assert len(acked_after) == 10
    finally:
        code, _ = again.stop()
    assert code == 0


def test_sigterm_drains_commits_and_exits_0(db: Path) -> None:
    receiver = Receive(db)
    acked = asyncio.run(_load(receiver.url, 200, 8, stop_after_s=30))
    code, out = receiver.stop(signal.SIGTERM)
    assert code == 0 and "stopped: 200 events kept" in out
    assert _stream_ids(db) == acked and len(acked) == 200


def test_export_round_trips_every_parameter(db: Path, tmp_path: Path) -> None:
    receiver = Receive(db)

    async def send_some() -> list[int]:
        statuses = []
        async with aiohttp.ClientSession() as http:
            for n, extra in enumerate(
                [{}, {"Error": 'ws closed, "1011"'}, {"Ünï": "çødé\nline"}, {"id": "=1+2"}]
            ):
                body, headers = _post_args(n, **extra)
                async with http.post(receiver.url, data=body, headers=headers) as r:
                    statuses.append(r.status)
            async with http.post(receiver.url, data="Event=x", headers={"Content-Type": FORM}) as r:
                statuses.append(r.status)  # unsigned: refused
        return statuses

    assert asyncio.run(send_some()) == [200, 200, 200, 200, 403]
    assert receiver.stop()[0] == 0

    def export(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "console", "export", "--db", str(db), *args],
            cwd=REPO, capture_output=True, text=True, encoding="utf-8", check=True, umask=0o022,
        )  # fmt: skip
        return out.stdout

    lines = [json.loads(line) for line in export("--format", "jsonl").splitlines()]
    assert [row["params"] for row in lines] == [
        params(0),
        params(1, Error='ws closed, "1011"'),
        params(2, **{"Ünï": "çødé\nline"}),
        params(3, id="=1+2"),
    ]
    assert all(row["account"] == AUTH_ID and row["verdict"] == "accepted" for row in lines)
    assert lines[0]["url"] == SIGNED_URL and lines[0]["received_at"].endswith("Z")

    rows = list(csv.DictReader(io.StringIO(export("--format", "csv"))))
    assert len(rows) == 4 and rows[1]["Error"] == 'ws closed, "1011"'
    assert json.loads(rows[2]["other_params"]) == {"Ünï": "çødé\nline"}
    assert json.loads(rows[3]["other_params"]) == {"id": "=1+2"}  # inside JSON: not a formula
    assert rows[0]["StreamID"] == params(0)["StreamID"] and rows[0]["id"] == "1"

    call = params(0)["CallUUID"]
    assert len(export("--call", call).splitlines()) == 4
    assert export("--call", "no-such-call") == ""
    assert export("--since", "2999-01-01T00:00:00Z") == ""
    assert len(export("--since", "2000-01-01").splitlines()) == 4
    [refused] = [json.loads(line) for line in export("--rejected").splitlines()]
    assert refused["verdict"] == "unsigned" and refused["params"] == {"Event": "x"}

    target = tmp_path / "out.csv"
    export("--format", "csv", "-o", str(target))
    with target.open(encoding="utf-8", newline="") as f:
        assert len(list(csv.DictReader(f))) == 4
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # like the log it comes from
    assert not target.with_name("out.csv.part").exists()


def test_bad_command_lines_say_why(db: Path) -> None:
    def receive(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "console", "receive", "--db", str(db), *args],
            cwd=REPO, capture_output=True, text=True, timeout=60,
            env=dict(os.environ, **(env or {})),
        )  # fmt: skip

    missing = receive("--public-url", PUBLIC, "--auth-token-env", "NO_SUCH_VAR_XYZ")
    assert missing.returncode == 2 and "NO_SUCH_VAR_XYZ is empty or not set" in missing.stderr
    bad_url = receive("--public-url", "abc.ngrok.app", "--auth-token-env", "T", env={"T": "x"})
    assert bad_url.returncode == 2 and "https://" in bad_url.stderr
    no_db = subprocess.run(
        [sys.executable, "-m", "console", "export", "--db", str(db.with_name("none.sqlite3"))],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert no_db.returncode == 1 and "no event log" in no_db.stderr
    assert not db.with_name("none.sqlite3").exists()
