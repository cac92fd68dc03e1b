"""Opening a listening socket so that cancelling the opener cannot lose it, and checking the
address first.

asyncio's `loop.create_server` (and so aiohttp's `TCPSite.start`) yields once more after it has
started serving; a cancellation that lands there raises out of it with the socket listening and
no reference left to close it, so the port stays taken until the garbage collector finds it. That
is what happens when the window closes while the console is still starting. `to_the_end` lets the
bind finish regardless; the caller then closes what it opened and the cancellation goes on."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable
from ipaddress import ip_address
from typing import TypeVar

from console.domain.urls import listen_address_problem

T = TypeVar("T")


async def to_the_end(opening: Awaitable[T]) -> T:
    """Await `opening`; if the caller is cancelled meanwhile, wait for `opening` to finish
    (its own failure ignored), then raise CancelledError, so that what it opened exists and
    the caller's cleanup can close it."""
    task = asyncio.ensure_future(opening)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise


def listen_host_problem(host: str) -> str | None:
    """Why `host` cannot be listened on, or None: an IP address, or a name this computer
    resolves. Checked when a command starts, before anything warns that other machines can reach
    the address (`--host 999.1.1.1` used to warn, then fail to bind)."""
    text = host.strip()
    problem = listen_address_problem(text)
    if problem is not None:
        return problem
    try:
        ip_address(text)
        return None
    except ValueError:
        pass
    try:
        socket.getaddrinfo(text, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return f"{text!r} is neither an IP address nor a name this computer resolves ({reason})"
    return None
