"""Two `stream-console receive` collectors on one team database, as a team runs them: real
processes, signed callbacks, kill -9, a database restart under load, and the export."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.pg.cluster import PASSWORD, PgCluster
from tests.pg.collectors import (
    AUTH_ID,
    REPO,
    SIGNED_URL,
    Collector,
    LoadResult,
    callback,
    load,
    send_to_all,
    through_an_outage,
)


def stream_ids(cluster: PgCluster, dbname: str) -> list[str]:
    with cluster.admin(dbname) as conn:
        return [r[0] for r in conn.execute("SELECT stream_id FROM events ORDER BY id")]


@pytest.fixture
def pair(pg_url: str, tmp_path: Path) -> Iterator[list[Collector]]:
    collectors = [Collector(pg_url, tmp_path, password=PASSWORD, name=name) for name in ("a", "b")]
    try:
        yield collectors
    finally:
        for c in collectors:
            if c.proc.poll() is None:
                c.stop()
        for c in collectors:
            assert PASSWORD not in c.stderr_path.read_text()


def export(db: str, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", "export", "--db", db, *args],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=60,
        env={**__import__("os").environ, "PGPASSWORD": password},
    )  # fmt: skip


@pytest.mark.timeout(90)
def test_two_collectors_store_each_event_once_and_a_replay_once(
    pair: list[Collector], pg_cluster: PgCluster, pg_db: str, pg_url: str
) -> None:
    urls = [c.url for c in pair]
    result = asyncio.run(load(urls, 300, concurrency=8))
    assert result.statuses == {200: 300}
    replays = [callback(10_000 + n) for n in range(20)]
    for body, headers, _ in replays:  # each signed once, delivered to BOTH collectors at once
        assert asyncio.run(send_to_all(urls, body, headers)) == [200, 200]
    stored = stream_ids(pg_cluster, pg_db)
    assert len(stored) == len(set(stored)) == 320
    assert set(stored) == result.acked | {stream for _, _, stream in replays}
    with pg_cluster.admin(pg_db) as conn:
        (replayed,) = conn.execute(
            "SELECT count(*) FROM rejected WHERE verdict = 'replay'"
        ).fetchone() or (0,)
    assert replayed == 20
    outs = [c.stop() for c in pair]
    assert all(code == 0 for code, _ in outs)
    kept = sum(int(out.split("stopped: ")[1].split()[0]) for _, out in outs)
    assert kept == 320  # the collectors' own counts agree: no event counted by both

    lines = [json.loads(line) for line in export(pg_url, "--format", "jsonl").stdout.splitlines()]
    assert len(lines) == 320 and lines[0]["url"] == SIGNED_URL and lines[0]["account"] == AUTH_ID
    call = lines[0]["params"]["CallUUID"]
    only_call = export(pg_url, "--call", call).stdout.splitlines()
    assert len(only_call) == 32 and all(json.loads(x)["call_uuid"] == call for x in only_call)
    rows = list(csv.DictReader(io.StringIO(export(pg_url, "--format", "csv").stdout)))
    assert len(rows) == 320 and rows[0]["StreamID"] == lines[0]["stream_id"]
    refused = export(pg_url, "--rejected").stdout.splitlines()
    assert len(refused) == 20 and json.loads(refused[0])["verdict"] == "replay"
    wrong = export(pg_url, password="wrong-password-xyz")
    assert wrong.returncode == 1 and "password authentication failed" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_collector_without_its_database_says_why_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://stream:{PASSWORD}@127.0.0.1:1/nowhere"
    with pytest.raises(AssertionError, match="team database is unavailable") as caught:
        Collector(url, tmp_path)
    assert PASSWORD not in str(caught.value)
    bad = export(url)
    assert bad.returncode == 1 and PASSWORD not in bad.stderr + bad.stdout


def test_a_collector_started_before_its_database_waits_for_it(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    """A reboot or failover brings the collector up first: with --db-wait it keeps trying, says
    why once, and starts listening (schema created) as soon as the database answers."""
    name = f"later_{os.getpid()}"
    started: concurrent.futures.Future[Collector] = concurrent.futures.Future()

    def start() -> None:
        try:
            started.set_result(
                Collector(
                    pg_cluster.url(name), tmp_path, password=PASSWORD, extra=("--db-wait", "60")
                )
            )
        except BaseException as exc:
            started.set_exception(exc)

    threading.Thread(target=start, daemon=True).start()
    stderr = tmp_path / "c.stderr"
    wait_until(lambda: "trying again until it answers" in read(stderr), what="the first failure")
    assert not started.done()  # not listening while it cannot keep anything
    with pg_cluster.admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    collector = started.result(timeout=30)
    try:
        body, headers, stream_id = callback(1)
        assert asyncio.run(send_to_all([collector.url], body, headers)) == [200]
        assert stream_ids(pg_cluster, name) == [stream_id]
    finally:
        code, out = collector.stop()
    assert code == 0 and "stopped: 1 events kept" in out
    said = collector.stderr()
    assert said.count(f'database "{name}" does not exist') == 1  # each reason once
    assert "the database answered" in said and PASSWORD not in said


def test_db_wait_gives_up_after_its_time_and_sigterm_ends_the_wait(tmp_path: Path) -> None:
    url = f"postgresql://stream:{PASSWORD}@127.0.0.1:1/nowhere"
    receive = [
        sys.executable, "-m", "console", "receive", "--port", "0", "--public-url", "https://x.test",
        "--auth-token-env", "T", "--db", url,
    ]  # fmt: skip
    env = dict(os.environ, T="token")
    began = time.monotonic()
    gave_up = subprocess.run(
        [*receive, "--db-wait", "1.5"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert gave_up.returncode == 1 and time.monotonic() - began >= 1.5
    assert gave_up.stderr.count("trying again until it answers") == 1
    assert "team database is unavailable" in gave_up.stderr.splitlines()[-1]
    assert PASSWORD not in gave_up.stderr + gave_up.stdout
    waiting = subprocess.Popen(
        [*receive, "--db-wait", "inf"], cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert waiting.stderr is not None
    assert "trying again until it answers" in waiting.stderr.readline()
    waiting.terminate()
    out, _ = waiting.communicate(timeout=30)
    assert waiting.returncode == 0 and "stopped before the database could be reached" in out
    refused = subprocess.run(
        [*receive, "--db-wait", "-1"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 2 and "0 or more" in refused.stderr


def read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # polling a file another process writes


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_kill_9_one_collector_loses_no_acknowledged_event(
    pair: list[Collector], pg_cluster: PgCluster, pg_db: str
) -> None:
    victim, survivor = pair

    async def load_then_kill() -> set[str]:
        task = asyncio.ensure_future(load([c.url for c in pair], 100_000, stop_after_s=6))
        await asyncio.sleep(1.5)
        victim.kill()  # SIGKILL mid-load: no chance to flush anything
        return (await task).acked

    acked = asyncio.run(load_then_kill())
    assert victim.proc.returncode == -signal.SIGKILL
    stored = stream_ids(pg_cluster, pg_db)
    assert len(acked) > 100  # the load really ran
    assert acked <= set(stored), f"{len(acked - set(stored))} acknowledged events lost"
    assert len(stored) == len(set(stored))
    after = asyncio.run(load([survivor.url], 20, first=500_000))
    assert after.statuses == {200: 20}  # the other collector carries on


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_database_restart_under_load_503_then_recovery_each_event_once(
    pair: list[Collector], pg_cluster: PgCluster, pg_db: str
) -> None:
    """The overlap is made, not hoped for: the database stops only after callbacks were
    acknowledged, and the load goes on until 503s were seen and the restarted database has
    taken callbacks again."""

    async def load_through_a_restart() -> LoadResult:
        return await through_an_outage([c.url for c in pair], pg_cluster.stop, pg_cluster.start)

    result = asyncio.run(load_through_a_restart())
    assert result.statuses.get(503, 0) > 0, result.statuses  # the gap was answered 503
    assert result.acked == result.taken  # every callback begun was finally accepted
    stored = stream_ids(pg_cluster, pg_db)
    assert len(stored) == len(set(stored)) == len(result.acked)  # retried ones arrived once
    assert set(stored) == result.acked
    for c in pair:
        assert c.proc.poll() is None  # both collectors recovered by themselves
