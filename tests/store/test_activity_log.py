"""The activity history on a real SQLite file: durable, ordered, exportable, self-healing."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from console.domain.activity import Action, ActivityEntry, Outcome
from console.store.activity_log import ActivityLog

REPO = Path(__file__).resolve().parents[2]


def entry(n: int, **kw: object) -> ActivityEntry:
    fields: dict[str, object] = dict(
        at=1_700_000_000.0 + n,
        user="agent",
        account="MAXXXXXXXXXXXXXXXXX1",
        action=Action.START_STREAM,
        call_uuid=f"call-{n}",
        outcome=Outcome.OK,
        service_url="wss://example.com/s",
        stream_id=f"stream-{n}",
        detail="",
    )
    fields.update(kw)
    return ActivityEntry(**fields)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_append_read_back_newest_first_and_survive_reopen(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "console.sqlite3")
    await log.open()
    for n in range(5):
        await log.append(entry(n, outcome=Outcome.FAILED if n == 3 else Outcome.OK))
    recent = await log.recent(limit=3)
    assert [e.call_uuid for e in recent] == ["call-4", "call-3", "call-2"]
    assert recent[1].outcome is Outcome.FAILED
    await log.close()
    again = ActivityLog(tmp_path / "console.sqlite3")
    await again.open()
    assert len(await again.recent()) == 5
    await again.close()


@pytest.mark.asyncio
async def test_export_csv_is_complete_and_excel_friendly(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "a.sqlite3")
    await log.open()
    await log.append(entry(1, detail='Plivo said: "No active stream found", retry later'))
    await log.append(entry(2, action=Action.STOP_ALL_STREAMS))
    target = tmp_path / "history.csv"
    assert await log.export_csv(target) == 2
    await log.close()
    with target.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == ["time (UTC)", "user", "account", "action"]
    assert rows[1][0] == "2023-11-14 22:13:21"
    assert rows[1][8] == 'Plivo said: "No active stream found", retry later'
    assert rows[2][3] == "stop all streams"
    assert not (tmp_path / "history.csv.part").exists()


@pytest.mark.asyncio
async def test_export_csv_never_hands_a_spreadsheet_a_formula(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "a.sqlite3")
    await log.open()
    hostile = '=HYPERLINK("http://evil.example","click")'
    await log.append(entry(1, detail=hostile, from_number="+14155550100", to_number=" @x"))
    target = tmp_path / "history.csv"
    await log.export_csv(target)
    await log.close()
    text = target.read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert all(line.startswith('"') for line in text.splitlines())  # every cell quoted
    assert rows[1][8] == "'" + hostile and rows[1][10] == "'+14155550100"
    assert rows[1][11] == "' @x"


@pytest.mark.asyncio
async def test_damaged_database_is_moved_aside_and_a_new_one_started(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    log = ActivityLog(path)
    await log.open()
    assert log.recovered_from is not None and log.recovered_from.exists()
    assert log.recovered_from.read_bytes().startswith(b"this is not")
    await log.append(entry(1))
    assert len(await log.recent()) == 1
    await log.close()


@pytest.mark.asyncio
async def test_a_large_file_skips_the_full_check_but_not_a_garbage_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the size limit no page-by-page check delays opening, yet a file that is not a
    database is still recognised and moved aside."""
    from console.store import sqlite_writer

    monkeypatch.setattr(sqlite_writer, "QUICK_CHECK_MAX_BYTES", 0)
    good = ActivityLog(tmp_path / "good.sqlite3")
    await good.open()
    await good.append(entry(1))
    await good.close()
    reopened = ActivityLog(tmp_path / "good.sqlite3")
    await reopened.open()
    assert reopened.recovered_from is None and len(await reopened.recent()) == 1
    await reopened.close()

    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    log = ActivityLog(bad)
    await log.open()
    assert log.recovered_from is not None
    await log.close()


@pytest.mark.asyncio
async def test_secret_in_detail_is_redacted(tmp_path: Path) -> None:
    from console.domain.secret import Secret

    token = Secret("PLIVO-CANARY-activity-123456")
    log = ActivityLog(tmp_path / "a.sqlite3")
    await log.open()
    await log.append(entry(1, detail=f"failed with {token.reveal()}"))
    assert "CANARY" not in (await log.recent())[0].detail
    await log.close()
    for f in tmp_path.iterdir():
        assert b"PLIVO-CANARY-activity" not in f.read_bytes()


def test_entries_written_before_a_kill_are_there_after(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    script = textwrap.dedent(f"""
        import asyncio, os, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        from console.store.activity_log import ActivityLog
        from tests.store.test_activity_log import entry
        async def main():
            log = ActivityLog(__import__("pathlib").Path({str(path)!r}))
            await log.open()
            for n in range(50):
                await log.append(entry(n))
                print(n, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        asyncio.run(main())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == -9
    acked = int(out.stdout.split()[-1])
    import sqlite3

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM activity").fetchone()[0] >= acked + 1
    conn.close()


@pytest.mark.asyncio
async def test_a_history_file_from_before_names_and_parties_is_upgraded(tmp_path: Path) -> None:
    """0.1.0 files have no account_name/from/to columns: opened, they gain them, old rows read
    as "" (the window then shows the whole Auth ID), and new rows keep all three."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.executescript(
            "CREATE TABLE activity (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, "
            "user TEXT NOT NULL, account TEXT NOT NULL, action TEXT NOT NULL, call_uuid TEXT NOT "
            "NULL, outcome TEXT NOT NULL, service_url TEXT NOT NULL DEFAULT '', stream_id TEXT "
            "NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');"
            "INSERT INTO activity (at, user, account, action, call_uuid, outcome) VALUES "
            "(1700000000, 'agent', 'MAXXXXXXXXXXXXXXXXX1', 'start stream', 'call-0', 'ok');"
        )
    old.close()
    log = ActivityLog(path)
    await log.open()
    assert log.recovered_from is None
    await log.append(entry(1, account_name="Support EU", from_number="+1415", to_number="+4420"))
    newest, oldest = await log.recent()
    assert (oldest.account_name, oldest.account_label) == ("", "MAXXXXXXXXXXXXXXXXX1")
    assert (newest.account_label, newest.from_number, newest.to_number) == (
        "Support EU", "+1415", "+4420",
    )  # fmt: skip
    target = tmp_path / "history.csv"
    assert await log.export_csv(target) == 2
    await log.close()
    with target.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][-3:] == ["account_name", "from", "to"]
    assert rows[2][-3:] == ["Support EU", "'+1415", "'+4420"]  # text, never a formula
