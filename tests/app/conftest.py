from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from PySide6.QtCore import QSettings

from console.app.composition import ConsoleApp
from console.app.runtime.logs import configure_logging
from console.credentials import CredentialStore, MemoryCredentialStore
from console.simulator import Simulator
from console.simulator.config import SimulatorConfig

if TYPE_CHECKING:
    from tests.app.operator_rig import Rig


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


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    """The operator tests' simulator: eight live calls, no churn, no media (files that need
    another one define their own `sim`)."""
    from tests.app.operator_rig import AUTH_ID, TOKEN  # the rig module imports this one

    simulator = Simulator(
        SimulatorConfig(auth_id=AUTH_ID, auth_token=TOKEN, calls=8, seed=11, churn=False,
                        media=False, queued_calls=0)
    )  # fmt: skip
    await simulator.start("127.0.0.1", 0)
    yield simulator
    await simulator.stop()


@pytest_asyncio.fixture
async def rig(tmp_path: Path, sim: Simulator) -> AsyncIterator[Rig]:
    """A composed console on `sim`'s account, its first calls loaded."""
    from tests.app.operator_rig import close_rig, make_rig

    r = await make_rig(tmp_path, sim)
    yield r
    await close_rig(r)
