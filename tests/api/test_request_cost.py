"""What one request costs the client beyond the network: no import machinery per request."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

import pytest

from console.api import ClientPolicy, PlivoClient, StaticToken
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator, SimulatorConfig
from tests.api.fakes import FAST


class ImportSearches(importlib.abc.MetaPathFinder):
    """Counts how often any module is looked for on the path (a failed import each time)."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        self.searched.append(fullname)
        return None


@pytest.mark.asyncio
async def test_requests_do_not_search_for_modules() -> None:
    """httpcore imports sniffio for every lock it sets up; where sniffio is not installed, each
    of those imports searched the whole path again (a quarter of a cold refresh's CPU)."""
    sim = Simulator(SimulatorConfig(calls=45, seed=1, churn=False, media=False))
    base_url = await sim.start()
    searches = ImportSearches()
    try:
        async with PlivoClient(
            DEMO_AUTH_ID, StaticToken(DEMO_AUTH_TOKEN), base_url, policy=ClientPolicy(rate=FAST)
        ) as client:
            await client.refresh_live_calls()  # anything imported on first use is in now
            sys.meta_path.insert(0, searches)
            try:
                await client.list_live_call_ids()
                for call_uuid in sim.live_call_uuids()[:20]:
                    await client.get_live_call(call_uuid)
            finally:
                sys.meta_path.remove(searches)
    finally:
        await sim.stop()
    assert sim.stats.total == 48 + 3 + 20
    assert searches.searched == []
