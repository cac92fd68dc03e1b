from __future__ import annotations

import subprocess
import sys

from console import __version__


def test_version_and_help_run_without_a_display() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "console", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"stream-console {__version__}"
    helped = subprocess.run(
        [sys.executable, "-m", "console", "--help"], capture_output=True, text=True, check=True
    )
    assert "--demo" in helped.stdout and "Audio Stream" in helped.stdout
