"""A team database URL with a password the parser cannot read: the password (or any piece of it)
never appears in what the commands print, what they log, or what the console shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.app.services.team import cause, failure_text
from console.domain.redaction import MASK, redact_db_text, url_passwords
from console.domain.team_db import describe_team_url, team_url_problem
from console.store.open_store import activity_store_for, event_store_for

REPO = Path(__file__).resolve().parents[2]

# (URL, the password as its author meant it, pieces a parser may quote on their own)
MALFORMED = [
    ("postgresql://agent:My Secret Pass@127.0.0.1:1/db", "My Secret Pass", []),
    ("postgresql://agent@127.0.0.1:1/db?password=My Secret Pass", "My Secret Pass", []),
    ("postgresql://agent@127.0.0.1:1/db?password=Sesame%zzOpen", "Sesame%zzOpen", []),
    ("postgresql://agent:pa%zzSesame@127.0.0.1:1/db", "pa%zzSesame", []),
    ("postgresql://agent:p@ssSesame word@127.0.0.1:1/db", "p@ssSesame word", ["ssSesame"]),
    ("postgresql://agent:p@ssSesame@127.0.0.1:1/db", "p@ssSesame", ["ssSesame"]),
    ("postgresql://agent:Sesame:Open@127.0.0.1:notaport/db", "Sesame:Open", ["Sesame"]),
    ("postgresql://agent@127.0.0.1:1/db?password=Open Sesame&sslmode=nope", "Open Sesame", []),
    ("postgresql://agent@127.0.0.1:1/db?sslmode=nope&password='Open Sesame'", "Open Sesame", []),
]


def _leaks(text: str, password: str, pieces: list[str]) -> list[str]:
    words = [password, *pieces, *(w for w in password.split() if len(w) >= 4)]
    return [w for w in words if w in text]


@pytest.mark.parametrize(("url", "password", "pieces"), MALFORMED)
def test_the_redaction_finds_the_password_however_it_was_written(
    url: str, password: str, pieces: list[str]
) -> None:
    assert password in url_passwords(url)
    quoted = [f'unexpected spaces found in "{password}"', f'invalid token: "{password}"']
    quoted += [f"failed to resolve host '{p}@127.0.0.1'" for p in pieces]
    for message in quoted:
        shown = redact_db_text(message, url)
        assert not _leaks(shown, password, pieces) and MASK in shown, shown


def test_short_passwords_are_masked_as_words_only() -> None:
    url = "postgresql://agent:p@db/x"
    assert redact_db_text('bad value "p" in postgresql', url) == f'bad value "{MASK}" in postgresql'


@pytest.mark.parametrize(("url", "password", "pieces"), MALFORMED)
def test_opening_a_store_says_nothing_of_the_password(
    url: str, password: str, pieces: list[str]
) -> None:
    for open_store in (event_store_for, activity_store_for):
        try:
            open_store(url)
        except ValueError as exc:
            assert not _leaks(str(exc), password, pieces), str(exc)


@pytest.mark.parametrize(("url", "password", "pieces"), MALFORMED)
def test_the_team_settings_never_show_the_password(
    url: str, password: str, pieces: list[str]
) -> None:
    problem = team_url_problem(url)
    assert problem is not None  # a password in the address is refused, with its reason
    assert not _leaks(problem, password, pieces)
    assert not _leaks(describe_team_url(url), password, pieces), describe_team_url(url)
    error = ValueError(f'unexpected spaces found in "{password}"; {" ".join(pieces)}@host')
    assert not _leaks(failure_text(error, url), password, pieces)


def test_the_status_bar_cause_is_scrubbed_with_the_url() -> None:
    url, password = MALFORMED[0][0], MALFORMED[0][1]
    assert password not in cause(redact_db_text(f'spaces in "{password}"', url))


def _run(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, RECEIVER_TOKEN="token-0123456789abcdef")
    env.pop("PGPASSWORD", None)
    return subprocess.Popen(
        [sys.executable, "-m", "console", *args],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.mark.timeout(120)
def test_export_and_receive_never_print_or_log_the_password(tmp_path: Path) -> None:
    """Both commands as a user runs them (receive with -v, so its log is in the output too),
    all at once: each ends with one line saying what is wrong, and no password."""
    runs = []
    for n, (url, password, pieces) in enumerate(MALFORMED):
        out = str(tmp_path / f"out{n}.csv")
        runs.append((_run("export", "--db", url, "--format", "csv", "-o", out), password, pieces))
        receive = _run(
            "receive", "-v", "--port", "0", "--public-url", "https://cb.example.com",
            "--auth-token-env", "RECEIVER_TOKEN", "--db", url,
        )  # fmt: skip
        runs.append((receive, password, pieces))
    for proc, password, pieces in runs:
        output, _ = proc.communicate(timeout=60)
        assert proc.returncode == 1, output
        assert "Traceback" not in output, output
        assert not _leaks(output, password, pieces), output
