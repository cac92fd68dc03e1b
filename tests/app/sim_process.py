"""A simulator started as its own process, as a developer or trainer runs it, for tests that
drive a real (non-demo) account whose API base is that simulator."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings

if TYPE_CHECKING:
    from console.app.composition import ConsoleApp

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


async def real_account_console(
    tmp_path: Path, name: str, auth_id: str, token: str, api_base_url: str, **options: Any
) -> ConsoleApp:
    """A console (not yet running) whose current account is `auth_id` at `api_base_url`, its
    token in a memory keyring and its receiver on any free port."""
    from console.app.composition import ConsoleApp
    from console.credentials import MemoryCredentialStore
    from console.domain.accounts import Profile
    from console.domain.secret import Secret

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    store = MemoryCredentialStore()
    console = ConsoleApp(settings, keyring_store=store, data_dir=tmp_path / "data", **options)
    profile = console.profiles.save(
        Profile(profile_id="", display_name=name, auth_id=auth_id, api_base_url=api_base_url)
    )
    console.profiles.set_current(profile.profile_id)
    await store.set(profile.profile_id, Secret(token))
    return console
