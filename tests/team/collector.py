"""A collector for the team tests: the real receiver writing to the team database, as
`stream-console receive --db postgresql://…` runs it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from console.receiver.server import CallbackReceiver, Credential, callback_url
from console.store.pg.event_log import PgEventLog


@dataclass
class Collector:
    log: PgEventLog
    receiver: CallbackReceiver
    public_url: str  # what Plivo (here the simulator) is told to call, without the path

    @property
    def callback_url(self) -> str:
        return callback_url(self.public_url)


@contextlib.asynccontextmanager
async def collector(url: str, password: str, auth_id: str, token: str) -> AsyncIterator[Collector]:
    """A collector on a free loopback port whose public URL is its own address (no tunnel)."""
    log = PgEventLog(url, password=password)
    await log.open()
    known: list[Credential] = []
    receiver = CallbackReceiver(log, lambda: known, host="127.0.0.1", port=0)
    await receiver.start()
    public = receiver.local_url
    known.append(Credential(auth_id, token, callback_url(public)))
    try:
        yield Collector(log, receiver, public)
    finally:
        await receiver.stop(drain_s=1.0)
        await log.close()
