"""A real receiver on loopback writing to a real event log in a temp dir, and a client that signs
like Plivo. Shared by the receiver tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest_asyncio

from console.domain.signature import sign_request
from console.receiver.server import CALLBACK_PATH, CallbackReceiver, Credential
from console.store.event_log import EventLog

AUTH_ID = "MAAAAAAAAAAAAAAAAAA1"
TOKEN = "token-of-account-one-0123456789abcdef"
OTHER_ID = "MABBBBBBBBBBBBBBBBB2"
OTHER_TOKEN = "token-of-account-two-fedcba9876543210"
PUBLIC = "https://cb-7f3a.ngrok.app"
FORM = "application/x-www-form-urlencoded"


async def wait_for(condition: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    """Poll `condition` on the loop until it is truthy; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await asyncio.sleep(0.01)


def params(n: int = 1, **extra: str) -> dict[str, str]:
    p = {
        "Event": "StartStream",
        "StreamID": f"20000000-0000-4000-8000-{n:012d}",
        "CallUUID": "10000000-0000-4000-8000-000000000001",
        "Timestamp": "2026-12-02 17:00:00",
        "ServiceURL": "wss://agent.example/s",
    }
    p.update(extra)
    return p


@dataclass
class Rig:
    receiver: CallbackReceiver
    log: EventLog
    http: aiohttp.ClientSession
    creds: list[Credential] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.receiver.local_url + CALLBACK_PATH

    async def send(
        self,
        p: Mapping[str, str],
        *,
        token: str = TOKEN,
        signed_url: str = PUBLIC + CALLBACK_PATH,
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
        query: str = "",
        nonce: str | None = None,
    ) -> aiohttp.ClientResponse:
        """Sign `p` as Plivo would for `signed_url` and send it to the local receiver."""
        if query:
            signed_url = f"{signed_url}?{query}"
        signed = sign_request(token, method, signed_url, p, nonce=nonce).as_dict()
        all_headers = signed | dict(headers or {})
        local = self.url + (f"?{query}" if query else "")
        if method == "GET":
            sep = "&" if query else "?"
            async with self.http.get(local + sep + urlencode(p), headers=all_headers) as r:
                await r.read()
                return r
        all_headers.setdefault("Content-Type", FORM)
        async with self.http.post(local, data=urlencode(p), headers=all_headers) as r:
            await r.read()
            return r

    async def raw(
        self, body: bytes, headers: Mapping[str, str], method: str = "POST", path: str = ""
    ) -> int:
        url = self.receiver.local_url + (path or CALLBACK_PATH)
        async with self.http.request(method, url, data=body, headers=dict(headers)) as r:
            await r.read()
            return r.status


@pytest_asyncio.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    log = EventLog(tmp_path / "events.sqlite3", maintenance_interval_s=0)
    await log.open()
    creds = [Credential(AUTH_ID, TOKEN, PUBLIC + CALLBACK_PATH)]
    receiver = CallbackReceiver(log, lambda: creds, port=0)
    await receiver.start()
    http = aiohttp.ClientSession(auto_decompress=False)
    the_rig = Rig(receiver, log, http, creds)
    try:
        yield the_rig
    finally:
        await http.close()
        await the_rig.receiver.stop()  # the test may have swapped in a new receiver
        await log.close()
