"""`stream-console team` as the database's owner runs it (docs/team-mode.md, Roles): init twice,
an agent added with a password printed once that then works in the console's own stores, a
collector without a password, the list, a removal, and mistakes said in one line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import psycopg
import pytest

from console.app.cli import main
from console.app.commands.team import login_url
from console.store.pg.activity_log import PgActivityLog
from tests.pg.cluster import PASSWORD, PgCluster
from tests.pg.collectors import REPO
from tests.store.test_activity_log import entry


def team(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["team", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_init_add_list_remove(
    pg_cluster: PgCluster, pg_db: str, pg_url: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    first = subprocess.run(
        [sys.executable, "-m", "console", "team", "init", "--db", pg_url],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert (
        f"groups stream_console_{pg_db}_agent and stream_console_{pg_db}_collector" in first.stdout
    )
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    code, out, _ = team(capsys, "init", "--db", pg_url)  # again: nothing to change
    assert code == 0 and "team database ready" in out

    anna, feed = f"anna_{pg_db}", f"feed_{pg_db}"
    code, out, _ = team(capsys, "add-agent", anna, "--db", pg_url)
    assert code == 0
    address = f"postgresql://{anna}@127.0.0.1:{pg_cluster.port}/{pg_db}"
    assert address in out and PASSWORD not in out
    password = out.strip().splitlines()[-1]
    assert len(password) >= 32 and password not in out.splitlines()[0]

    async def write_as_anna() -> list[str]:
        history = PgActivityLog(address, password=password)
        await history.open()
        try:
            await history.append(entry(1, user="not-anna"))
            return [e.user for e in await history.recent()]
        finally:
            await history.close()

    assert asyncio.run(write_as_anna()) == [anna]

    code, out, _ = team(capsys, "add-collector", feed, "--db", pg_url, "--no-password")
    assert code == 0 and "has no password" in out and "password (shown" not in out
    code, out, _ = team(capsys, "list", "--db", pg_url)
    assert sorted(out.splitlines()) == [f"agent\t{anna}", f"collector\t{feed}"]

    code, out, err = team(capsys, "add-agent", anna, "--db", pg_url)
    assert code == 1 and err.startswith("team: a role named") and "Traceback" not in err
    code, out, _ = team(capsys, "remove", anna, "--db", pg_url)
    assert code == 0 and "history stays" in out
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(address, password=password, connect_timeout=5).close()
    with pg_cluster.admin(pg_db) as conn:
        assert conn.execute('SELECT "user" FROM activity').fetchall() == [(anna,)]
    code, _, err = team(capsys, "remove", "stream", "--db", pg_url)
    assert code == 1 and "not an agent or a collector" in err


def test_mistakes_are_one_line_without_the_password(
    pg_cluster: PgCluster, pg_db: str, pg_url: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    code, _, err = team(capsys, "add-agent", "early", "--db", pg_url)
    assert code == 1 and "run `team init` first" in err
    monkeypatch.setenv("PGPASSWORD", "wrong-password-abc")
    code, _, err = team(capsys, "init", "--db", pg_url)
    assert code == 1 and "password authentication failed" in err and len(err.splitlines()) == 1
    assert "wrong-password-abc" not in err
    with pytest.raises(SystemExit):
        main(["team", "init", "--db", pg_url, "--retention-days", "0"])
    assert "1 or more" in capsys.readouterr().err
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    code, _, err = team(capsys, "init", "--db", pg_url, "--role-prefix", "Bad-Prefix")
    assert code == 1 and "role prefix" in err
    assert pg_cluster.tables(pg_db) == set()  # refused before anything was created


def test_the_address_printed_for_a_new_login() -> None:
    url = "postgresql://owner:pw@db.example.com:5432/console?sslmode=verify-full"
    assert (
        login_url(url, "anna")
        == "postgresql://anna@db.example.com:5432/console?sslmode=verify-full"
    )
    assert login_url("postgresql://db/console", "a b") == "postgresql://a%20b@db/console"
