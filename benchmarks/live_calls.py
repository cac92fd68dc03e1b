"""Live-call refresh against the simulator with Plivo's rate limit on (300 requests / 5 s).

Measures, for 1,000 live calls on one account:
- the console client's cold refresh (every page plus 1,000 details) and warm refresh (nothing
  changed: pages only): requests counted at the simulator, wall time, 429s, and the ratio of wall
  time to the rate-limit floor: the true minimum time for that many requests under the
  simulator's sliding window of 300 per 5 s, starting empty (300 at once, the next 300 as the
  first leave the window 5 s later, ...), not requests / 60 per second, which flatters a client
  that does not use the burst;
- the official `plivo` SDK doing the same cold listing sequentially (its usual loop: list_ids page
  by page, then live_calls.get per call), against the same simulator: 429s and time. The SDK does
  not retry a 429 (it raises PlivoRestError); like a typical script, this loop waits 1 s and
  repeats that request.

Targets: cold wall <= 1.15 x floor, warm wall <= cold wall / 15, and no 429 caused by
the console. Run: `python benchmarks/live_calls.py` (QT_QPA_PLATFORM=offscreen for qasync).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.api import PlivoClient, StaticToken
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator, SimulatorConfig

CALLS = 1000
FLOOR_RATE = 60.0  # Plivo's 300 requests per 5 s, on average
LIMIT, WINDOW_S = 300, 5.0


def floor_s(requests: int) -> float:
    """The least time `requests` can take under a sliding window of LIMIT per WINDOW_S that
    starts empty: request k can go no sooner than request k - LIMIT left the window."""
    return ((requests - 1) // LIMIT) * WINDOW_S if requests > LIMIT else 0.0


COLD_TARGET = 1.15
WARM_TARGET = 1 / 15
SDK_URLS = (
    "PLIVO_API_BASE_URI",
    "API_VOICE_BASE_URI",
    "API_VOICE_BASE_URI_FALLBACK_1",
    "API_VOICE_BASE_URI_FALLBACK_2",
)


def sdk_cold_listing(base_url: str) -> dict[str, Any]:
    """The SDK's sequential cold listing; runs in a worker thread (the SDK is synchronous)."""
    import plivo
    from plivo.exceptions import PlivoRestError
    from plivo.rest import client as plivo_client

    for name in SDK_URLS:
        setattr(plivo_client, name, f"{base_url}/v1/Account")
    client = plivo.RestClient(DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
    errors_429 = 0
    sent = 0
    first_429: int | None = None

    def patient(fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal errors_429, sent, first_429
        while True:
            sent += 1
            try:
                return fn(*args, **kwargs)
            except PlivoRestError as exc:
                if "429" not in str(exc):
                    raise
                errors_429 += 1
                first_429 = sent if first_429 is None else first_429
                time.sleep(1.0)

    started = time.monotonic()
    ids: list[str] = []
    offset = 0
    while True:
        page = patient(client.live_calls.list_ids, limit=20, offset=offset).calls
        ids.extend(page)
        if len(page) < 20:
            break
        offset += 20
    details = [patient(client.live_calls.get, uuid) for uuid in ids]
    wall = time.monotonic() - started
    return {"calls": len(details), "wall": wall, "http_429": errors_429, "first_429": first_429}


async def measure(sdk: bool) -> list[str]:
    sim = Simulator(SimulatorConfig(calls=CALLS, seed=1, churn=False, media=False, rate_limit=True))
    base_url = await sim.start()
    problems: list[str] = []
    try:
        async with PlivoClient(DEMO_AUTH_ID, StaticToken(DEMO_AUTH_TOKEN), base_url) as client:
            sim.stats.reset()
            started = time.monotonic()
            cold = await client.refresh_live_calls()
            cold_wall = time.monotonic() - started
            cold_requests, cold_429 = sim.stats.total, sim.stats.rate_limited
            cold_floor = floor_s(cold_requests)

            sim.stats.reset()
            started = time.monotonic()
            warm = await client.refresh_live_calls()
            warm_wall = time.monotonic() - started
            warm_requests, warm_429 = sim.stats.total, sim.stats.rate_limited

        pages = sim.stats.count(kind="list_calls")
        print(f"live calls on the account:           {CALLS}")
        print(
            f"console cold refresh:  {cold_requests:5d} requests ({cold.requests} counted by the "
            f"client), {len(cold.calls)} calls, {cold_wall:6.2f} s, 429s: {cold_429}"
        )
        print(
            f"  rate-limit floor (window of {LIMIT} per {WINDOW_S:.0f} s): {cold_floor:6.2f} s "
            f"(requests / 60/s would say {cold_requests / FLOOR_RATE:.2f} s)"
        )
        ratio = cold_wall / cold_floor
        print(f"  ratio wall / floor:                 {ratio:6.3f}  (target <= {COLD_TARGET})")
        print(
            f"console warm refresh:  {warm_requests:5d} requests ({pages} list pages, "
            f"{sim.stats.count(kind='get_call')} details), {warm_wall:6.2f} s, 429s: {warm_429}"
        )
        print(
            f"  warm / cold wall:                   {warm_wall / cold_wall:6.3f}  "
            f"(target <= {WARM_TARGET:.3f} = 1/15)"
        )
        if cold_wall / cold_floor > COLD_TARGET:
            problems.append(f"cold ratio {cold_wall / cold_floor:.3f} > {COLD_TARGET}")
        if warm_wall > cold_wall * WARM_TARGET:
            problems.append(f"warm/cold {warm_wall / cold_wall:.3f} > 1/15")
        if cold_429 or warm_429:
            problems.append(f"the console caused {cold_429 + warm_429} 429s")
        if len(cold.calls) != CALLS or len(warm.calls) != CALLS:
            problems.append("a refresh did not return every call")

        if sdk:
            await asyncio.sleep(sim.config.rate_limit_window_s)  # let our traffic leave the window
            sim.stats.reset()
            result = await asyncio.get_running_loop().run_in_executor(
                None, sdk_cold_listing, base_url
            )
            sdk_requests = sim.stats.total
            print(
                f"plivo SDK cold listing (sequential): {sdk_requests} requests "
                f"({sdk_requests - result['http_429']} answered, {result['http_429']} refused "
                f"with 429), {result['calls']} calls, {result['wall']:6.2f} s"
            )
            print(
                f"  ratio wall / floor:                 "
                f"{result['wall'] / floor_s(sdk_requests - result['http_429']):6.3f}  "
                f"(console: {cold_wall / cold_floor:.3f})"
            )
            print(
                f"  first 429 at request {result['first_429']}: without a retry wrapper the SDK "
                "raises PlivoRestError there and the listing stops"
            )
    finally:
        await sim.stop()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-sdk", action="store_true", help="skip the official SDK comparison")
    parser.add_argument("--asyncio", action="store_true", help="plain asyncio instead of qasync")
    args = parser.parse_args()
    if args.asyncio:
        problems = asyncio.run(measure(not args.no_sdk))
    else:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        import qasync
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication([])
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            problems = runner.run(measure(not args.no_sdk))
    if problems:
        print("target missed: " + "; ".join(problems))
        return 1
    print("target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
