from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import QSettings

from console.app.composition import ConsoleApp
from console.app.logs import configure_logging
from console.credentials import CredentialStore, MemoryCredentialStore


async def wait_for(
    cond: Callable[[], object], timeout: float = 5.0, what: str = "condition"
) -> None:
    """Poll `cond` on the running loop until true (never qtbot waits on the qasync loop)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings" / "stream-console.ini"


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    configure_logging(path)
    return path


def make_console(
    settings_path: Path, log_dir: Path, store: CredentialStore | None = None, demo: bool = False
) -> ConsoleApp:
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    return ConsoleApp(
        settings,
        demo=demo,
        log_dir=log_dir,
        keyring_store=store if store is not None else MemoryCredentialStore(),
    )


@pytest_asyncio.fixture
async def running_console(settings_path: Path, log_dir: Path) -> AsyncIterator[ConsoleApp]:
    console = make_console(settings_path, log_dir)
    runner = asyncio.ensure_future(console.run())
    await wait_for(lambda: console.window.isVisible(), what="window shown")
    yield console
    if not runner.done():
        console.window.close()
    await runner
    await console.shutdown()
