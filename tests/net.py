"""Ports on this machine, for tests that start servers: a free one, and whether one listens."""

from __future__ import annotations

import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    """Whether a socket listens on the port, read from the kernel's table (Linux) rather than by
    connecting, which the server would accept and have to close."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return any(
        int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A"  # 0A: LISTEN
        for cols in (row.split() for row in rows)
    )
