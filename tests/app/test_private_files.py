"""The console's folders and files are its user's alone (POSIX 0700/0600): created so, and
fixed at start-up when an older version (or a 0644 umask) left them readable by everyone. Real
files, real SQLite (with its -wal/-shm), real QSettings, real rotating log."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from console.app.runtime.logs import LOG_FILE_NAME, configure_logging
from console.app.runtime.private_files import open_private_text, private_file, secure_app_files
from console.domain.activity import Action, ActivityEntry, Outcome
from console.store.activity_log import ActivityLog

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(autouse=True)
def everyday_umask() -> Iterator[None]:
    """The common 022 umask, under which files would be created 0644 and folders 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _old_layout(tmp_path: Path) -> tuple[Path, Path, Path]:
    """What an older version left: everything world-readable."""
    org = tmp_path / "share" / "StreamConsole"
    data = org / "stream-console"
    logs = data / "logs"
    logs.mkdir(parents=True)
    for folder in (org, data, logs):
        folder.chmod(0o755)
    for name in (
        "stream-console.sqlite3",
        "stream-console.sqlite3-wal",
        "stream-console.sqlite3-shm",
    ):
        (data / name).write_bytes(b"")
        (data / name).chmod(0o644)
    (logs / LOG_FILE_NAME).write_text("old log\n")
    (logs / f"{LOG_FILE_NAME}.1").write_text("older log\n")
    settings = tmp_path / "config" / "StreamConsole" / "stream-console.ini"
    settings.parent.mkdir(parents=True)
    settings.write_text("[profiles]\n")
    settings.chmod(0o644)
    return data, logs, settings


def test_start_up_fixes_an_old_world_readable_layout(tmp_path: Path) -> None:
    data, logs, settings = _old_layout(tmp_path)
    outside = tmp_path / "shared.txt"
    outside.write_text("not ours")
    outside.chmod(0o644)
    (data / "link-to-shared").symlink_to(outside)

    changed = secure_app_files(
        data_dir=data, log_dir=logs, settings_file=settings, owned_parents=("StreamConsole",)
    )

    for folder in (data.parent, data, logs, settings.parent):
        assert mode(folder) == 0o700, folder
    for file in [*data.glob("stream-console.sqlite3*"), *logs.iterdir(), settings]:
        assert mode(file) == 0o600, file
    assert mode(outside) == 0o644  # a link is never followed
    assert mode(tmp_path / "config") == 0o755  # a shared parent (~/.config) is left alone
    assert settings.read_text() == "[profiles]\n"  # contents untouched
    assert len(changed) == 4 + 6  # four folders, six files
    assert secure_app_files(data_dir=data, log_dir=logs, settings_file=settings) == []


def test_a_first_start_creates_everything_private(tmp_path: Path) -> None:
    data = tmp_path / "share" / "StreamConsole" / "stream-console"
    logs = data / "logs"
    settings = tmp_path / "config" / "StreamConsole" / "stream-console.ini"
    secure_app_files(
        data_dir=data, log_dir=logs, settings_file=settings, owned_parents=("StreamConsole",)
    )
    assert [mode(p) for p in (data.parent, data, logs, settings.parent)] == [0o700] * 4
    assert mode(settings) == 0o600 and settings.read_bytes() == b""

    # Qt rewrites the settings file through a temporary file: the mode must survive that.
    qt = QSettings(str(settings), QSettings.Format.IniFormat)
    qt.setValue("profiles/p1/api_base_url", "https://user:pass@api.example.test")
    qt.sync()
    assert qt.status() == QSettings.Status.NoError
    assert mode(settings) == 0o600 and b"api.example.test" in settings.read_bytes()


def test_log_files_are_created_private_also_after_a_rollover(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    path = configure_logging(logs)
    logging.getLogger("console.test").warning("a line for the file")
    assert mode(logs) == 0o700 and mode(path) == 0o600
    handler = next(
        h for h in logging.getLogger().handlers if getattr(h, "baseFilename", None) == str(path)
    )
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.doRollover()
    logging.getLogger("console.test").warning("a line for the new file")
    assert mode(path) == 0o600 and mode(logs / f"{LOG_FILE_NAME}.1") == 0o600


@pytest.mark.asyncio
async def test_the_activity_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "data" / "stream-console.sqlite3")
    await log.open()
    try:
        await log.append(
            ActivityEntry(at=1.0, user="u", account="MA1", action=Action.START_STREAM,
                          call_uuid="c1", outcome=Outcome.OK, service_url="wss://x.test/a")
        )  # fmt: skip
        files = sorted(p.name for p in (tmp_path / "data").iterdir())
        assert files == [
            "stream-console.sqlite3", "stream-console.sqlite3-shm", "stream-console.sqlite3-wal"
        ]  # fmt: skip
        for name in files:
            assert mode(tmp_path / "data" / name) == 0o600, name
        assert mode(tmp_path / "data") == 0o700
    finally:
        await log.close()


def test_private_file_never_truncates_and_refuses_to_follow_a_link(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.write_text("contents")
    kept.chmod(0o644)
    private_file(kept)
    assert kept.read_text() == "contents" and mode(kept) == 0o600
    target = tmp_path / "target"
    target.write_text("x")
    target.chmod(0o644)
    link = tmp_path / "link"
    link.symlink_to(target)
    private_file(link)
    assert mode(target) == 0o644


def test_open_private_text_creates_or_empties_a_file_0600_and_refuses_a_link(
    tmp_path: Path,
) -> None:
    new = tmp_path / "report.txt"
    with open_private_text(new) as out:
        out.write("a,b\r\n")
    assert mode(new) == 0o600 and new.read_bytes() == b"a,b\r\n"  # the csv module's own newlines
    old = tmp_path / "old.csv"
    old.write_text("old contents")
    old.chmod(0o644)
    with open_private_text(old) as out:
        out.write("new")
    assert mode(old) == 0o600 and old.read_text() == "new"
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    link = tmp_path / "out.csv.part"
    link.symlink_to(victim)
    with pytest.raises(OSError):
        open_private_text(link)
    assert victim.read_text() == "keep me"


@pytest.mark.asyncio
async def test_exports_from_the_window_are_private(tmp_path: Path) -> None:
    """The event pane's export and the activity history's: 0600 like the logs they come from."""
    from console.app.services.events_export import export_selection
    from tests.store.events_factory import make_event

    events = tmp_path / "events.csv"
    assert await export_selection(events, "csv", [make_event(1)]) == 1
    assert mode(events) == 0o600
    jsonl = tmp_path / "events.jsonl"
    assert await export_selection(jsonl, "jsonl", [make_event(1)]) == 1
    assert mode(jsonl) == 0o600
    log = ActivityLog(tmp_path / "data" / "a.sqlite3")
    await log.open()
    try:
        await log.append(
            ActivityEntry(at=1.0, user="u", account="MA1", action=Action.START_STREAM,
                          call_uuid="c1", outcome=Outcome.OK, service_url="wss://x.test/a")
        )  # fmt: skip
        history = tmp_path / "history.csv"
        assert await log.export_csv(history) == 1
        assert mode(history) == 0o600
    finally:
        await log.close()
