"""Opening a listening socket so that cancelling the opener cannot lose it.

asyncio's `loop.create_server` (and so aiohttp's `TCPSite.start`) yields once more after it has
started serving; a cancellation that lands there raises out of it with the socket listening and
no reference left to close it, so the port stays taken until the garbage collector finds it. That
is what happens when the window closes while the console is still starting. `to_the_end` lets the
bind finish regardless; the caller then closes what it opened and the cancellation goes on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

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
