"""Start-up order: what the window and its controllers need loads neither httpx nor aiohttp (the
client, the receiver and the simulator bring them when they are first used), and a subcommand
loads only its own module."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from console.app.cli import SUBCOMMANDS, _subcommands_to_load


def _loaded_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` a fresh interpreter holds after running `statement`."""
    code = (
        f"import json, sys; {statement}; "
        f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    loaded: list[str] = json.loads(out)
    return loaded


HEAVY = (
    "httpx",
    "aiohttp",
    "console.api.client",
    "console.receiver.server",
    "console.simulator.server",
)
# Light, but not needed before the window is usable: each loads with its first use.
LATER = (
    "console.api.retry",  # and email.utils: with the client
    "platform",  # the About box
    "uuid",  # a new account's id
    "console.monitor.thread",
    "numpy",
    "console.ui.stream_form",  # built just after the window is usable
    "console.ui.monitor_toggle",
    "console.app.controllers.setups",
    # The services: built once the first calls are listed.
    "console.app.services.receiver",
    "console.app.services.team",
    "console.store.activity_log",
    "console.domain.service_check",
    "console.domain.events",  # and the signature scheme: with the receiver
    "sqlite3",
)


def test_the_window_and_its_controllers_load_without_httpx_or_aiohttp() -> None:
    statement = "import console.app.gui, console.app.shell, console.app.composition"
    assert _loaded_after(statement, HEAVY + LATER) == []


def test_the_api_package_gives_its_error_tree_without_httpx() -> None:
    assert _loaded_after("from console.api import ApiError, NotFound, Priority", HEAVY) == []
    assert _loaded_after("from console.api import PlivoClient", ("httpx",)) == ["httpx"]


def test_the_client_loads_httpx_without_its_command_line() -> None:
    """httpx's command line (click and pygments, when installed) is not the console's."""
    statement = "from console.api import PlivoClient; import httpx; httpx.Client().close()"
    assert _loaded_after(statement, ("click", "pygments")) == []


def test_a_subcommand_loads_only_its_own_module() -> None:
    assert _subcommands_to_load(["simulate", "--port", "0"]) == ("simulate",)
    assert _subcommands_to_load(["--demo"]) == ()
    assert _subcommands_to_load(["--demo", "--benchmark-paint"]) == ()
    assert _subcommands_to_load(["--help"]) == tuple(SUBCOMMANDS)
    assert _subcommands_to_load(["simulat"]) == tuple(SUBCOMMANDS)  # a typo is reported
