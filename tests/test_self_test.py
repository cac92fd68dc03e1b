"""`stream-console self-test`: run for real as a separate process (as a support lead would), and
its verdict checked when a part is genuinely broken (no calls to list, an unsafe keyring)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import console
from console.app.services.self_test import AFTER_FAILURE, STEPS, SelfTest, StepFailed


def _self_test(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # HOME and XDG folders point into tmp_path, so anything written to "real" settings shows up.
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    environ = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_DATA_HOME=str(home / ".local" / "share"), **env)  # fmt: skip
    environ.pop("QT_QPA_PLATFORM", None)  # the self-test must choose offscreen by itself
    environ.pop("DISPLAY", None)
    environ.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "console", "self-test", *args],
        capture_output=True,
        text=True,
        timeout=50,
        env=environ,
        umask=0o022,
    )


@pytest.mark.parametrize("where", ["missing/report.txt", "."])
def test_an_unwritable_output_is_refused_before_the_run(tmp_path: Path, where: str) -> None:
    target = tmp_path / where
    started = time.monotonic()
    result = _self_test(tmp_path, "--output", str(target))
    assert result.returncode == 2 and result.stdout == "", result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith("stream-console self-test: error: --output: "), line
    assert "does not exist" in line or "is a folder" in line
    assert time.monotonic() - started < 20  # refused at once, not after the whole run


@pytest.mark.timeout(60)
def test_self_test_json_passes_and_writes_nothing_to_home(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = _self_test(tmp_path, "--json", "--output", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert json.loads(out.read_text(encoding="utf-8")) == report
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it describes this machine's setup
    assert report["passed"] is True
    by_name = {step["name"]: step for step in report["steps"]}
    assert list(by_name) == [name for name, _ in STEPS]
    for step in by_name.values():
        assert step["status"] == "passed", step
        assert step["seconds"] >= 0
    started = re.fullmatch(r"stream (\S+) started", by_name["start_stream"]["detail"])
    assert started is not None
    for event, name in (("StartStream", "start_callback"), ("StopStream", "stop_callback")):
        detail = by_name[name]["detail"]
        assert detail.startswith(f"{event} for {started[1]} arrived by POST"), detail
        assert "signature verified for MADEMOSTREAMCONSOLE1; logged as event #" in detail
    assert "keyring.backends" in by_name["keyring"]["detail"]
    assert "shown and painted" in by_name["window"]["detail"]
    assert report["console_version"] == console.__version__
    assert report["qt_platform"] == "offscreen"
    for key in ("python_version", "qt_version", "pyside6_version", "platform", "keyring_backend"):
        assert report[key], key
    # No settings, data or logs left in the user's folders.
    assert [p for p in (tmp_path / "home").rglob("*") if p.is_file()] == []


@pytest.mark.timeout(60)
def test_an_unsafe_keyring_fails_the_self_test_and_says_why(tmp_path: Path) -> None:
    result = _self_test(tmp_path, PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    keyring_line = next(line for line in lines if "Identify the keyring backend" in line)
    assert keyring_line.lstrip().startswith("FAIL")
    assert "No safe system keyring is available" in keyring_line
    assert "PlaintextKeyring" in keyring_line
    assert lines[-1].startswith("Self-test FAILED") and "keyring" in lines[-1]
    window_line = next(line for line in lines if "Build and show the main window" in line)
    assert window_line.lstrip().startswith("PASS")  # the other steps still ran
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.asyncio
@pytest.mark.timeout(40)
async def test_a_failing_step_names_itself_and_skips_what_needs_it(tmp_path: Path) -> None:
    heard: list[tuple[str, str]] = []

    async def no_window() -> str:
        raise StepFailed("the window could not be built")

    # A real simulator with no live calls: listing works, but there is nothing to stream on.
    test = SelfTest(
        no_window, scratch=tmp_path, calls=0, on_step=lambda s: heard.append((s.name, s.status))
    )
    report = await test.run()
    steps = {s.name: s for s in report.steps}
    assert not report.passed
    assert steps["simulator"].status == "passed"
    assert steps["list_calls"].status == "failed"
    assert steps["list_calls"].detail == "the simulator lists no live calls"
    assert steps["start_stream"].status == "skipped"
    assert steps["start_stream"].detail == AFTER_FAILURE
    assert steps["stop_stream"].detail == AFTER_FAILURE
    assert steps["window"].status == "failed"
    assert steps["window"].detail == "the window could not be built"
    assert report.summary().startswith("Self-test FAILED")
    assert "List live calls" in report.summary() and "main window" in report.summary()
    assert ("list_calls", "running") in heard and ("list_calls", "failed") in heard
    document = json.loads(report.to_json())
    assert document["passed"] is False
