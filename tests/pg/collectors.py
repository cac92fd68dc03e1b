"""`stream-console receive --db postgresql://...` collectors as child processes, and a load
that signs callbacks as Plivo does (the simulator's signer) and spreads them over them.

Shared by the team tests and benchmarks/team.py. Both collectors are given the same public URL,
as behind the load balancer a team puts in front of them; the signature covers that URL.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from console.domain.signature import sign_request
from console.receiver.server import CALLBACK_PATH

REPO = Path(__file__).resolve().parents[2]
AUTH_ID = "MAAAAAAAAAAAAAAAAAA1"
TOKEN = "token-of-account-one-0123456789abcdef"
PUBLIC = "https://team-cb.example.org"
SIGNED_URL = PUBLIC + CALLBACK_PATH
FORM = "application/x-www-form-urlencoded"


class Collector:
    """A running `stream-console receive`; its stderr goes to a file (a collector logging 503s
    into a full pipe would block)."""

    def __init__(
        self,
        db: str,
        log_dir: Path,
        *,
        password: str = "",
        name: str = "c",
        public: str = PUBLIC,
        token: str = TOKEN,
        extra: Sequence[str] = (),
    ) -> None:
        env = dict(os.environ, RECEIVER_TOKEN=token)
        if password:
            env["PGPASSWORD"] = password
        self.stderr_path = log_dir / f"{name}.stderr"
        self._stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "console", "receive", "--port", "0",
                "--public-url", public, "--auth-token-env", "RECEIVER_TOKEN",
                "--auth-id", AUTH_ID, "--db", db, "--rate", "100000", *extra,
            ],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks until ready (pytest-timeout bounds it)
        if not line.startswith("listening on http://127.0.0.1:"):
            self.proc.communicate(timeout=10)
            self._stderr.close()
            raise AssertionError(f"collector did not start: {line!r} {self.stderr()}")
        self.url = line.split()[-1] + CALLBACK_PATH

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text()

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        self._stderr.close()
        return self.proc.returncode, out

    def kill(self) -> None:
        self.proc.kill()
        self.proc.communicate(timeout=10)
        self._stderr.close()


def callback(n: int, **extra: str) -> tuple[str, dict[str, str], str]:
    """(form body, signed headers, StreamID) of the n-th distinct StartStream callback."""
    params = {
        "Event": "StartStream",
        "StreamID": f"20000000-0000-4000-8000-{n:012d}",
        "CallUUID": f"10000000-0000-4000-8000-{n % 10:012d}",
        "Timestamp": "2026-12-02 17:00:00",
        "ServiceURL": "wss://agent.example/s",
        **extra,
    }
    headers = sign_request(TOKEN, "POST", SIGNED_URL, params).as_dict() | {"Content-Type": FORM}
    return urlencode(params), headers, params["StreamID"]


@dataclass
class LoadResult:
    acked: set[str] = field(default_factory=set)  # StreamIDs answered 200
    taken: set[str] = field(default_factory=set)  # StreamIDs a worker began sending
    statuses: dict[int, int] = field(default_factory=dict)  # status -> how many answers
    latencies: list[float] = field(default_factory=list)  # seconds, per 200
    errors: int = 0  # connection failures

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def load(
    urls: Sequence[str],
    count: int,
    *,
    concurrency: int = 16,
    retry: bool = False,
    stop_after_s: float = 60.0,
    first: int = 0,
    until: asyncio.Event | None = None,
    result: LoadResult | None = None,
) -> LoadResult:
    """Send `count` distinct signed callbacks, round-robin over `urls` (with `until`: as many
    as it takes until it is set, each callback begun still seen through). With `retry`, a 5xx
    or a connection failure is sent again (the SAME signed request, to the next collector)
    until answered 200, as a retrying sender would; without, the first answer stands. Pass
    `result` to watch the figures while the load runs."""
    result = result if result is not None else LoadResult()
    numbers = itertools.count(first) if until is not None else iter(range(first, first + count))
    targets = itertools.cycle(urls)
    deadline = time.monotonic() + stop_after_s

    async def worker(http: aiohttp.ClientSession) -> None:
        for n in numbers:
            if until is not None and until.is_set():
                return
            body, headers, stream_id = callback(n)
            result.taken.add(stream_id)
            while time.monotonic() < deadline:
                url = next(targets)
                started = time.perf_counter()
                try:
                    async with http.post(url, data=body, headers=headers) as r:
                        await r.read()
                        status = r.status
                except (aiohttp.ClientError, OSError, TimeoutError):
                    result.errors += 1
                    if not retry:
                        break
                    await asyncio.sleep(0.05)
                    continue
                result.count(status)
                if status == 200:
                    result.acked.add(stream_id)
                    result.latencies.append(time.perf_counter() - started)
                    break
                if not retry or status < 500:
                    break
                await asyncio.sleep(0.05)

    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    return result


async def send_to_all(urls: Sequence[str], body: str, headers: dict[str, str]) -> list[int]:
    """The same signed request to every collector at once (a replay hitting both)."""
    async with aiohttp.ClientSession() as http:

        async def one(url: str) -> int:
            async with http.post(url, data=body, headers=headers) as r:
                await r.read()
                return r.status

        return list(await asyncio.gather(*(one(u) for u in urls)))


async def until(condition: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out: {what}"
        await asyncio.sleep(0.02)


async def through_an_outage(
    urls: Sequence[str],
    down: Callable[[], None],
    up: Callable[[], None],
    ready: Callable[[LoadResult], bool] = lambda live: len(live.acked) >= 50,
) -> LoadResult:
    """A retrying load over `urls` with an outage made inside it, not hoped for: `down()` (in a
    thread) once `ready(live)` holds (50 acknowledgements), `up()` once a 503 was answered, and
    the load goes on until 50 more callbacks were acknowledged after that."""
    stop, live = asyncio.Event(), LoadResult()
    task = asyncio.ensure_future(
        load(urls, 0, concurrency=8, retry=True, stop_after_s=150, until=stop, result=live)
    )
    try:
        await until(lambda: ready(live), "first acknowledgements")
        await asyncio.to_thread(down)
        await until(lambda: live.statuses.get(503, 0) > 0, "503 during the outage")
        await asyncio.to_thread(up)
        after = len(live.acked)
        await until(lambda: len(live.acked) >= after + 50, "acknowledgements after it")
    finally:
        stop.set()
    return await task
