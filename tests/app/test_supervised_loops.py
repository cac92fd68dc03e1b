"""Background loops survive any one failure: an exception injected into an iteration is reported
once (one banner, not one per iteration), the loop backs off and goes on, and it works again as
soon as the fault is gone. The supervisor on its own, then the calls refresh and the selected
call's streams reload of a real console against the simulator on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from console.app.runtime.supervisor import Backoff, FailureStreak, supervise
from console.simulator import Simulator
from tests.app.conftest import wait_for
from tests.app.operator_rig import Rig
from tests.app.operator_rig import close_rig as _close
from tests.app.operator_rig import make_rig as _rig


class Boom(RuntimeError):
    """The injected fault: something no code path expects."""


def test_backoff_grows_to_its_cap_and_never_overflows() -> None:
    backoff = Backoff(first_s=0.5, factor=2.0, cap_s=8.0)
    assert [backoff.delay(n) for n in range(7)] == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff.delay(10**6) == 8.0
    with pytest.raises(ValueError):
        Backoff(first_s=2.0, cap_s=1.0)


def test_a_streak_is_reported_once_and_a_new_streak_again() -> None:
    reports: list[tuple[str, BaseException]] = []
    now = [100.0]
    streak = FailureStreak(
        "loop", lambda n, e: reports.append((n, e)), Backoff(1, 2, 4), clock=lambda: now[0]
    )
    assert streak.ready()
    delays = [streak.failed(Boom(str(i))) for i in range(4)]
    assert delays == [1.0, 2.0, 4.0, 4.0]
    assert [str(e) for _, e in reports] == ["0"] and not streak.ready()
    now[0] += 4.0
    assert streak.ready()
    streak.succeeded()
    streak.failed(Boom("later"))
    assert [str(e) for _, e in reports] == ["0", "later"] and streak.reported == 2


def test_a_reporter_that_raises_does_not_stop_the_streak() -> None:
    def bad_report(name: str, exc: BaseException) -> None:
        raise ValueError("reporter broke")

    streak = FailureStreak("loop", bad_report, Backoff(0, 1, 0))
    assert streak.failed(Boom()) == 0.0 and streak.failures == 1


@pytest.mark.asyncio
async def test_supervise_runs_on_after_failures_reporting_once() -> None:
    ran: list[int] = []
    reports: list[str] = []

    async def step() -> None:
        ran.append(len(ran))
        if 1 <= len(ran) <= 4:  # iterations 1-4 fail
            raise Boom(f"iteration {len(ran)}")

    started = time.monotonic()
    streak = await supervise(
        "test-loop", step, report=lambda n, e: reports.append(str(e)),
        interval_s=0.0, running=lambda: len(ran) < 8, backoff=Backoff(0.01, 2.0, 0.04),
    )  # fmt: skip
    assert len(ran) == 8  # the loop went on after every failure
    assert reports == ["iteration 1"]  # reported once for the whole streak
    assert streak.failures == 0 and streak.reported == 1
    assert time.monotonic() - started >= 0.01 + 0.02 + 0.04 + 0.04  # it backed off


@pytest.mark.asyncio
async def test_a_step_that_fails_after_its_loop_was_stopped_is_not_reported() -> None:
    """The old account's refresh, its client closed by a switch, fails on its way out: that
    failure is not the agent's news (no banner for the account now in use)."""
    reports: list[str] = []
    state = {"running": True, "steps": 0}

    async def step() -> None:
        state["steps"] += 1
        state["running"] = False  # e.g. the account switched while this step ran
        raise RuntimeError("the Plivo client is closed")

    streak = await supervise(
        "old-account-loop", step, report=lambda n, e: reports.append(str(e)),
        running=lambda: bool(state["running"]),
    )  # fmt: skip
    assert state["steps"] == 1 and reports == [] and streak.reported == 0


@pytest.mark.asyncio
async def test_supervise_lets_cancellation_through() -> None:
    entered = asyncio.Event()

    async def step() -> None:
        entered.set()
        await asyncio.sleep(10)

    task = asyncio.ensure_future(supervise("c", step, report=lambda n, e: None))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# --- the console's loops ---------------------------------------------------------------------


@pytest_asyncio.fixture
async def rig(tmp_path: Path, sim: Simulator) -> AsyncIterator[Rig]:
    r = await _rig(tmp_path, sim)
    reported: list[tuple[BaseException, str]] = []
    real_handle = r.console.hooks.handle

    def handle(exc: BaseException, where: str) -> None:
        reported.append((exc, where))
        real_handle(exc, where)

    r.console.hooks.handle = handle  # type: ignore[method-assign]
    r.reported = reported  # type: ignore[attr-defined]
    yield r
    await _close(r)


def _boom_reports(rig: Rig) -> list[tuple[BaseException, str]]:
    return [(e, w) for e, w in rig.reported if isinstance(e, Boom)]  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_calls_refresh_survives_an_exception_in_an_iteration(rig: Rig) -> None:
    calls = rig.console.calls
    model = rig.view.model
    real_apply = model.apply_in_slices
    failures = {"left": 3}

    async def faulty(*args: Any, **kwargs: Any) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise Boom("the model could not take the refresh")
        return await real_apply(*args, **kwargs)

    model.apply_in_slices = faulty  # type: ignore[method-assign]
    before = calls.refreshes
    ended = rig.sim.live_call_uuids()[0]
    rig.sim.hangup(ended)  # something for the next refresh to show
    await wait_for(lambda: failures["left"] == 0, timeout=10, what="three failed iterations")
    await wait_for(lambda: calls.refreshes > before, timeout=10, what="a refresh after them")
    assert rig.console.tasks.running("calls-refresh-loop")
    row = model.row_of(ended)
    assert row is not None and model.is_ended(row)  # the list shows the change again
    reports = _boom_reports(rig)
    assert len(reports) == 1 and "calls-refresh-loop" in reports[0][1]
    banner = rig.console.window.banners.banner("unexpected")
    assert banner is not None and banner.repeats == 1
    assert "keeps running" in banner.text.text()


@pytest.mark.asyncio
async def test_streams_background_reload_survives_an_exception(rig: Rig) -> None:
    target = rig.sim.live_call_uuids()[2]
    await rig.select(target)
    await rig.console.streams.load_streams(target)  # the agent's own load is done first
    await asyncio.sleep(0.05)
    rig.console.streams.background.backoff = Backoff(0.1, 2.0, 0.4)  # a quicker test
    streams_view = rig.pane.streams
    real_set = streams_view.set_streams
    calls: list[int] = []
    broken = {"on": True}

    def faulty(streams: Any) -> None:
        calls.append(1)
        if broken["on"]:
            raise Boom("the streams table could not take the reload")
        real_set(streams)

    streams_view.set_streams = faulty  # type: ignore[method-assign]
    await wait_for(lambda: len(calls) >= 3, timeout=15, what="several failed reloads")
    reports = _boom_reports(rig)
    assert len(reports) == 1, reports  # once, however many reloads failed
    assert "streams-background-reload" in reports[0][1]
    assert rig.console.streams.background.failures >= 3
    broken["on"] = False
    done = len(calls)
    await wait_for(lambda: len(calls) > done, timeout=15, what="a reload after the fault")
    await wait_for(lambda: rig.console.streams.background.failures == 0, what="streak ended")
    assert len(_boom_reports(rig)) == 1
    assert rig.console.tasks.running("calls-refresh-loop")
