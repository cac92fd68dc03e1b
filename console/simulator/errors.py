"""Plivo-shaped error answers, and the last line of defence that keeps every answer in that shape.

Plivo answers an error with `{"api_id": "<uuid>", "error": "<text>"}` and a 4xx/5xx status. The
simulator does the same on every route, admin included (see docs/simulator.md, "Hostile input"):

- `PlivoError(status, text)` raised anywhere in a handler becomes that answer;
- aiohttp's own HTTP exceptions (404, 405, 413 from the body-size limit, the media sink's 400 for
  a plain GET) are re-shaped with the same status;
- anything else a handler raises is a bug: `guard` logs it once with its traceback and answers a
  Plivo-shaped 500, so a client never sees aiohttp's plain "Server got itself in trouble".

`QuietServerLog` is given to aiohttp's connection handler: a request that is not HTTP at all
(a bad chunk size, a broken gzip body) is the client's fault, so it is logged as one warning line,
not as an error with a traceback per request.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from console.simulator.state import new_api_id

log = logging.getLogger("console.simulator")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# aiohttp's reasons are English phrases ("Request Entity Too Large"); these read as Plivo's do.
_TEXTS = {
    400: "Bad request",
    404: "Resource not found",
    405: "Method not allowed",
    408: "Request body not received in time",
    413: "Request body too large",
    415: "Unsupported media type",
}


class PlivoError(Exception):
    """A request Plivo would refuse: `status` and the `error` text of the answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = json.dumps({"api_id": new_api_id(), "error": message})
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)


def json_response(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def reshape(exc: web.HTTPException) -> web.Response:
    """aiohttp's HTTP error as Plivo would word it (its `Allow` header kept for a 405)."""
    text = _TEXTS.get(exc.status)
    if exc.status == 400 and exc.text:  # e.g. the media sink's "No WebSocket UPGRADE hdr"
        text = " ".join(exc.text.split())[:200]
    if text is None:
        try:
            text = HTTPStatus(exc.status).phrase
        except ValueError:
            text = "Request refused"
    headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
    response = error_response(exc.status, text, headers)
    if exc.status in (408, 413):  # an unread or half-sent body: nothing more to read on it
        response.force_close()
    return response


def answer_for(exc: BaseException) -> web.Response | None:
    """The answer for an error a client's request caused, or None when it is not one."""
    if isinstance(exc, PlivoError):
        response = error_response(exc.status, exc.message)
        if exc.status in (408, 413):
            response.force_close()
        return response
    if isinstance(exc, web.HTTPException) and exc.status >= 400:
        return reshape(exc)
    return None


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost middleware: no answer leaves the simulator in aiohttp's plain-text shape."""
    try:
        return await handler(request)
    except asyncio.CancelledError:
        raise
    except ConnectionResetError:  # the client left mid-request: nobody is there to answer
        log.debug("client left during %s %s", request.method, request.rel_url)
        gone = error_response(400, "Connection lost")
        gone.force_close()
        return gone
    except Exception as exc:
        response = answer_for(exc)
        if response is not None:
            return response
        log.error("unexpected error answering %s %s", request.method, request.rel_url, exc_info=exc)
        return error_response(500, "Internal server error")


class QuietServerLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server logger with malformed-request errors turned into one warning line."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("aiohttp.server"), {})

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        if isinstance(exc, HttpProcessingError | web.RequestPayloadError):
            reason = " ".join(str(getattr(exc, "message", "") or exc).split())
            kwargs.pop("exc_info")
            self.warning("malformed request refused: %s", reason[:200] or type(exc).__name__)
            return
        super().exception(msg, *args, **kwargs)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        return msg, kwargs
