"""Options a typo can get wrong, refused when the command starts (argparse-style: a usage line,
one error line, exit 2) instead of a receiver that answers 429 to everything, callbacks that all
fail their signature, or a warning about an address that cannot even be bound. Run through the
command line's `main(argv)`, as a user's shell would."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from console.app.cli import main
from console.listening import listen_host_problem

GOOD = ["--public-url", "https://abc.ngrok.app", "--auth-token-env", "T"]


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    [error] = [line for line in captured.err.splitlines() if ": error: " in line]
    return error


@pytest.mark.parametrize("rate", ["nan", "1e-300", "0", "-5", "inf", "abc", "1e300"])
def test_receive_refuses_a_rate_that_would_refuse_everything_or_nothing(
    rate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "e.sqlite3")
    error = _refused(["receive", *GOOD, "--db", db, "--rate", rate], capsys)
    assert "argument --rate: expected requests per second from 1 to 1,000,000" in error
    assert not (tmp_path / "e.sqlite3").exists()


@pytest.mark.parametrize(
    "url",
    ["https://", "https:// abc.ngrok.app", "https://abc.ngrok.app/a b", "abc.ngrok.app",
     "ftp://abc.ngrok.app", "https://abc.ngrok.app/?x=1", "", "https://abc.ngrok.app:99999"],
)  # fmt: skip
def test_receive_refuses_a_public_url_every_callback_would_fail_on(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "e.sqlite3")
    argv = ["receive", "--public-url", url, "--auth-token-env", "T", "--db", db]
    assert "argument --public-url: " in _refused(argv, capsys)


@pytest.mark.parametrize("host", ["999.1.1.1", "1.2.3", "no-such-host.invalid", "a b", "::g"])
def test_a_host_that_cannot_be_listened_on_is_refused_before_any_warning(
    host: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    db = str(tmp_path / "e.sqlite3")
    for argv in (["receive", *GOOD, "--db", db, "--host", host], ["simulate", "--host", host]):
        error = _refused(argv, capsys)
        assert "argument --host: " in error and host.strip() in error
    assert not caplog.records  # no "other machines can reach it" first


def test_addresses_that_can_be_listened_on_pass() -> None:
    for host in ("127.0.0.1", "0.0.0.0", "::1", "::", "localhost", " 127.0.0.1 "):
        assert listen_host_problem(host) is None, host


def test_the_simulator_refuses_endless_or_undefined_seconds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for value in ("nan", "inf", "-1"):
        assert "argument --latency" in _refused(["simulate", "--latency", value], capsys)
