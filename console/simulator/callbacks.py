"""Signed stream status callbacks, sent the way Plivo sends them (docs/callbacks.md).

POST (the default) sends the parameters form-encoded in the body; GET appends them to the callback
URL's query string. Each request carries `X-Plivo-Signature-V3` (the owning account's token),
`X-Plivo-Signature-Ma-V3` (the main account's token) and `X-Plivo-Signature-V3-Nonce`, computed by
`console.domain.signature`, the project's single home of that maths, over the URL the stream was
given and the parameters. A failed delivery (connection error, timeout, 5xx) is retried
`retries` times with a fresh nonce; 4xx is final. Callbacks for one stream go out in order.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import quote_plus, urlencode, urlsplit, urlunsplit

import aiohttp

from console.domain.signature import sign_request
from console.simulator.faults import Stats

log = logging.getLogger(__name__)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")


@lru_cache(maxsize=256)
def _quoted_key(key: str) -> str:
    return quote_plus(key)


def form_body(params: Mapping[str, str]) -> bytes:
    """`application/x-www-form-urlencoded`, as `urlencode` makes it, without quoting the (many)
    values that need none: the emitter's hot path."""
    return "&".join(
        f"{_quoted_key(k)}={v if _SAFE.fullmatch(v) else quote_plus(v)}" for k, v in params.items()
    ).encode("ascii")


def get_url(url: str, params: Mapping[str, str]) -> str:
    """The callback URL with the parameters added to whatever query it already has."""
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class CallbackEmitter:
    def __init__(
        self,
        stats: Stats,
        *,
        connect_timeout_s: float = 2.0,
        total_timeout_s: float = 10.0,
        retries: int = 1,
        retry_delay_s: float = 1.0,
        concurrency: int = 64,
    ) -> None:
        self._stats = stats
        self._timeout = aiohttp.ClientTimeout(total=total_timeout_s, sock_connect=connect_timeout_s)
        self._retries = retries
        self._retry_delay_s = retry_delay_s
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[bool]] = set()
        self._last_of: dict[str, asyncio.Task[bool]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        """The loop to send on, when the owner knows it (see Engine.loop)."""

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._concurrency, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"User-Agent": "PlivoStreamSimulator/1.0"},
                auto_decompress=False,
            )
        return self._session

    def emit(
        self,
        url: str,
        method: str,
        params: Mapping[str, str],
        auth_token: str,
        main_account_token: str | None = None,
        *,
        order_key: str | None = None,
    ) -> asyncio.Task[bool]:
        """Send one callback in the background; the task's result says whether it got a 2xx.
        Callbacks sharing `order_key` (a stream id) are delivered one after another."""
        previous = self._last_of.get(order_key) if order_key else None
        loop = self.loop if self.loop is not None else asyncio.get_running_loop()
        task = loop.create_task(
            self._deliver(url, method, dict(params), auth_token, main_account_token, previous)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if order_key:
            self._last_of[order_key] = task
            task.add_done_callback(lambda t: self._forget(order_key, t))
        return task

    def _forget(self, key: str, task: asyncio.Task[bool]) -> None:
        if self._last_of.get(key) is task:
            del self._last_of[key]

    async def send(
        self,
        url: str,
        method: str,
        params: Mapping[str, str],
        auth_token: str,
        main_account_token: str | None = None,
    ) -> bool:
        """Send one callback now (no retries, no ordering): the benchmark's hot path."""
        outcome = await self._attempt(url, method, dict(params), auth_token, main_account_token)
        return bool(outcome)

    async def _deliver(
        self,
        url: str,
        method: str,
        params: dict[str, str],
        token: str,
        main_token: str | None,
        previous: asyncio.Task[bool] | None,
    ) -> bool:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            for attempt in range(self._retries + 1):
                if attempt:
                    await asyncio.sleep(self._retry_delay_s)
                outcome = await self._attempt(url, method, params, token, main_token)
                if outcome is not None:
                    return outcome
        except Exception:  # a fault of ours (or an URL aiohttp cannot send to): counted, logged
            self._stats.callbacks_failed += 1
            log.exception("status callback %s to %s could not be sent", params.get("Event"), url)
        return False

    async def _attempt(
        self, url: str, method: str, params: dict[str, str], token: str, main_token: str | None
    ) -> bool | None:
        """True on 2xx, False on a final refusal (4xx), None when worth retrying."""
        signed = sign_request(token, method, url, params, main_account_token=main_token)
        self._stats.callbacks_sent += 1
        try:
            if method == "GET":
                request = self._client().get(get_url(url, params), headers=signed.as_dict())
            else:
                headers = signed.as_dict() | FORM
                request = self._client().post(url, data=form_body(params), headers=headers)
            async with request as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self._stats.callbacks_failed += 1
            log.info("status callback %s to %s failed: %s", params.get("Event"), url, exc)
            return None
        if 200 <= status < 300:
            self._stats.callbacks_delivered += 1
            return True
        self._stats.callbacks_failed += 1
        log.info("status callback %s to %s answered %d", params.get("Event"), url, status)
        return None if status >= 500 else False

    async def drain(self, timeout_s: float = 5.0) -> None:
        """Wait (bounded) for callbacks in flight, e.g. before a clean shutdown."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout_s)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._last_of.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
