"""Reading an answer's body: capped in size, bounded by the operation's deadline, then JSON.

httpx has no size cap, and its read timeout only bounds the gap between chunks, so a server that
drips bytes or sends 50 MiB is handled here, chunk by chunk.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, cast

import httpx

from console.api.clock import Clock
from console.api.errors import ApiError, looks_like_html, unexpected_response

MiB = 1024 * 1024


async def read_capped(
    response: httpx.Response,
    *,
    cap: int,
    strict: bool,
    clock: Clock,
    deadline: float,
    overdue: Callable[[], ApiError],
) -> bytes:
    """The body, at most `cap` bytes. Over the cap, `strict` raises `UnexpectedResponse`;
    otherwise the body is cut short (an error page only needs an excerpt). Past the monotonic
    `deadline` between two chunks, `overdue()` is raised."""
    method, path = response.request.method, response.request.url.raw_path.decode("ascii")

    def too_large(how: str) -> ApiError:
        return unexpected_response(
            f"it is larger than the {cap / MiB:g} MiB the console accepts ({how})",
            method=method,
            path=path,
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
        )

    declared = response.headers.get("content-length", "")
    if strict and declared.isdigit() and int(declared) > cap:
        raise too_large(f"it announces {int(declared):,} bytes")
    received = bytearray()
    # Leaving the loop early must not leave httpx/httpcore's nested async generators to the
    # garbage collector: qasync installs no asyncgen hooks, so a collected generator would be
    # closed synchronously and its `await` in cleanup fails ("ignored GeneratorExit"). So the
    # response is closed first (an awaited, orderly close of the connection), then the generator
    # chain, whose own cleanup then has nothing left to await.
    chunks = cast(AsyncGenerator[bytes, None], response.aiter_bytes())
    try:
        async for chunk in chunks:
            received += chunk
            if len(received) > cap:
                if strict:
                    raise too_large(f"it went past {cap:,} bytes")
                received = received[:cap]
                break
            if clock.monotonic() > deadline:
                raise overdue()
    finally:
        if not response.is_closed:
            await response.aclose()
        await chunks.aclose()
    return bytes(received)


def decode_json(
    body: bytes, *, status: int, content_type: str, method: str, path: str
) -> Mapping[str, object] | None:
    """The JSON object of a 2xx body; None for an empty body (204, or `{}`-less answers)."""
    if not body.strip():
        return None

    def bad(why: str) -> ApiError:
        return unexpected_response(
            why, method=method, path=path, status=status, content_type=content_type, body=body
        )

    if looks_like_html(body, content_type):
        raise bad("it is a web page (HTML), not data")
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad("it is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad("it is JSON, but not an object")
    return cast(Mapping[str, object], data)
