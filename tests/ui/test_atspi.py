"""The console as a screen reader meets it: Qt's AT-SPI bridge read by a real AT-SPI client.

The console runs as users run it (`python -m console --demo`) on an Xvfb display with
`QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1`, inside the D-Bus session that scripts/with-test-keyring.sh
gives the tests; the session bus starts the accessibility bus (at-spi2-core) on first use.
`atspi_client.py` runs under the system Python with Debian's python3-pyatspi, as Orca would, and
reports what it read and did as JSON. `scripts/system-deps.sh test` installs both packages.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
CLIENT = Path(__file__).with_name("atspi_client.py")
REPO = Path(__file__).resolve().parents[2]


def _pyatspi_available() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, timeout=30, check=False
    )
    return probe.returncode == 0


pytestmark = [
    pytest.mark.skipif(
        not (_pyatspi_available() and shutil.which("Xvfb")),
        reason="needs python3-pyatspi and Xvfb (scripts/system-deps.sh test)",
    ),
    pytest.mark.skipif(
        "DBUS_SESSION_BUS_ADDRESS" not in os.environ,
        reason="needs a D-Bus session (run under scripts/with-test-keyring.sh)",
    ),
    pytest.mark.timeout(150),
]


@pytest.fixture
def display() -> Iterator[str]:
    """A private Xvfb display; Qt's AT-SPI bridge comes with the xcb platform, not offscreen."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp",
         "-noreset"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    try:
        ready, _, _ = select.select([read], [], [], 20)
        assert ready, "Xvfb did not report its display"
        number = os.read(read, 32).decode().strip()
        assert number.isdigit(), number
        yield f":{number}"
    finally:
        os.close(read)
        xvfb.terminate()
        xvfb.wait(10)


@pytest.fixture
def console(display: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The demo console, with settings and logs of its own under tmp_path."""
    env = dict(os.environ)
    env.update(
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    log = (tmp_path / "console.log").open("wb")
    app = subprocess.Popen(
        [sys.executable, "-m", "console", "--demo"], cwd=REPO, env=env, stdout=log, stderr=log
    )
    try:
        yield app
    finally:
        app.terminate()
        try:
            app.wait(15)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait(5)
        log.close()


def run_client(command: str, app: subprocess.Popen[bytes]) -> dict[str, Any]:
    argv = [SYSTEM_PYTHON, str(CLIENT), command, str(app.pid)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert app.poll() is None, "the console exited"
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, f"{done.stdout}\n{done.stderr}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def test_every_control_has_a_name_and_tables_expose_their_rows(
    console: subprocess.Popen[bytes],
) -> None:
    seen = run_client("audit", console)
    assert seen["unnamed"] == []
    controls = seen["controls"]
    for expected in (
        "table: Live calls",
        "text: Search calls",
        "combo box: All directions",  # Qt on Linux: a combo box's name is its value
        "text: Stream URL (service_url)",
        "push button: Start stream",
        "push button: Stop stream",
        "table: Streams of this call",
        "text: Stream ID filter",
        "push button: Clear Search calls",  # Qt leaves the clear button nameless
    ):
        assert expected in controls, controls
    assert seen["combos"]["inbound: what the caller says"] == ["Audio track:"]
    tables = {t["name"]: t for t in seen["tables"]}
    calls = tables["Live calls"]
    assert calls["rows"] > 0
    assert calls["headers"][:4] == ["From", "To", "Direction", "Caller name"]
    assert calls["first_row"][0].startswith("+") and calls["first_row"][4] == "in-progress"
    assert "Status" in tables["Streams of this call"]["headers"]


def test_a_stream_starts_and_stops_through_atspi_alone(console: subprocess.Popen[bytes]) -> None:
    done = run_client("start-stop", console)
    assert done["started"].startswith("Stream started")
    assert len(done["stream_id"]) >= 8 and done["stream_id"] in done["started_row"][0]
    assert done["url"] in done["started_row"]
    assert done["stopped"] == "Stream stopped."
    assert done["stop_enabled_after"] is False
