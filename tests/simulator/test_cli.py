"""`stream-console simulate` as a user runs it: a real subprocess, a real request, a real signal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN

ARGS = [sys.executable, "-m", "console", "simulate", "--port", "0", "--no-media", "--seed", "3"]


def read_until_listening(proc: subprocess.Popen[str], timeout: float = 20.0) -> list[str]:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("listening on "):
            return lines
    proc.kill()
    raise AssertionError(f"no 'listening on' line; got {lines}, stderr: {proc.stderr}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serves_then_stops_cleanly_on_signal(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [*ARGS, "--calls", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        lines = read_until_listening(proc)
        assert f"  auth id:    {DEMO_AUTH_ID}" in lines
        assert f"  auth token: {DEMO_AUTH_TOKEN}" in lines  # the demo token is printed
        base = lines[-1].removeprefix("listening on ")
        assert base.startswith("http://127.0.0.1:")
        response = httpx.get(
            f"{base}/v1/Account/{DEMO_AUTH_ID}/Call/",
            params={"status": "live"},
            auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN),
        )
        assert response.status_code == 200 and len(response.json()["calls"]) == 4
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "simulator stopped" in out
    assert "Traceback" not in err


def test_custom_account_token_is_not_printed_and_faults_apply() -> None:
    token = "CustomToken-0123456789-abcdefghij"
    proc = subprocess.Popen(
        [
            *ARGS,
            "--auth-id",
            "MACUSTOMACCOUNT00001",
            "--auth-token",
            token,
            "--force-429",
            "--retry-after",
            "7",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = read_until_listening(proc)
        assert all(token not in line for line in lines)
        base = lines[-1].removeprefix("listening on ")
        response = httpx.get(
            f"{base}/v1/Account/MACUSTOMACCOUNT00001/Call/",
            params={"status": "live"},
            auth=("MACUSTOMACCOUNT00001", token),
        )
        assert response.status_code == 429 and response.headers["retry-after"] == "7"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and token not in out + err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--auth-id", "MACUSTOMACCOUNT00001"], "both --auth-id and --auth-token"),
        (["--auth-token-env", "SIM_TEST_TOKEN_UNSET"], "SIM_TEST_TOKEN_UNSET is not set"),
        (
            ["--auth-id", "MACUSTOMACCOUNT00001", "--auth-token-env", "SIM_TEST_TOKEN_UNSET"],
            "SIM_TEST_TOKEN_UNSET is not set",
        ),
        (["--auth-token", "t", "--auth-token-env", "X"], "not allowed with argument"),
        (["--auth-id", "XX123", "--auth-token", "t"], "MA (main account) or SA"),
        (["--error-rate", "3"], "between 0 and 1"),
        (["--port", "70000"], "port"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(extra: list[str], message: str) -> None:
    done = subprocess.run([*ARGS, *extra], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = [a if a != "0" else str(port) for a in ARGS]
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_module_imports_no_aiohttp() -> None:
    code = "import sys, console.simulator.cli; print('aiohttp' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_token_from_the_environment_works_and_is_not_on_the_command_line() -> None:
    """`--auth-token-env VAR`: the token authenticates, and neither the process's command line
    (what `ps` shows) nor its output carries it."""
    token = "EnvToken-0123456789-abcdefghijklmn"
    env = {**os.environ, "SIM_TEST_TOKEN": token}
    args = [*ARGS, "--auth-id", "MACUSTOMACCOUNT00001", "--auth-token-env", "SIM_TEST_TOKEN"]
    pipe = subprocess.PIPE
    proc = subprocess.Popen(args, stdout=pipe, stderr=pipe, text=True, env=env)
    try:
        lines = read_until_listening(proc)
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert b"SIM_TEST_TOKEN" in cmdline and token.encode() not in cmdline
        base = lines[-1].removeprefix("listening on ")
        url = f"{base}/v1/Account/MACUSTOMACCOUNT00001/Call/"
        ok = httpx.get(url, params={"status": "live"}, auth=("MACUSTOMACCOUNT00001", token))
        assert ok.status_code == 200 and ok.json()["calls"]
        wrong = httpx.get(url, params={"status": "live"}, auth=("MACUSTOMACCOUNT00001", "nope"))
        assert wrong.status_code == 401
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert token not in "\n".join(lines) + out + err


def test_empty_token_variable_is_refused() -> None:
    env = {**os.environ, "SIM_TEST_TOKEN": "  "}
    args = [*ARGS, "--auth-id", "MACUSTOMACCOUNT00001", "--auth-token-env", "SIM_TEST_TOKEN"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 2
    assert "SIM_TEST_TOKEN is empty" in done.stderr and "Traceback" not in done.stderr
