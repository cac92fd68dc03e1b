"""What makes the simulated Plivo move: stream lifecycle, status callbacks, media, call churn.

Stream lifecycle (status as GET returns it):
  initiated --(WebSocket up, `start` sent; or after `start_without_media_s` when media is off)-->
  in-progress --(API stop, stream_timeout)--> completed      StopStream callback
              --(call hung up)--> completed                  no callback (docs/callbacks.md)
              --(connect failed 3x, socket lost, slow consumer, drop_stream)--> failed
                                                             DroppedStream callback
              --(a fault in the simulator's own media task or timer)--> failed
                                                             DroppedStream, Error says so
`stream_timeout` counts from the moment the stream started. A slow consumer gets DegradedStream
when the audio Plivo would buffer reaches 30, 60 and 90 % of `media_buffer_s`, and is dropped at
100 %. Everything here runs on the caller's loop; every task is tracked and cancelled on close.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import aiohttp

from console.domain.events import StreamEventName
from console.simulator.callbacks import CallbackEmitter
from console.simulator.config import SimulatorConfig
from console.simulator.faults import Stats
from console.simulator.rules import StartParams
from console.simulator.state import (
    LIVE,
    QUEUED,
    S_COMPLETED,
    S_FAILED,
    S_IN_PROGRESS,
    CallRecord,
    SimState,
    StreamRecord,
    fmt_created,
    utc_now,
)

if TYPE_CHECKING:
    from console.simulator.media import MediaSession

log = logging.getLogger(__name__)
DEGRADED_LEVELS = (30, 60, 90)
MAX_TIMER_S = 86_400.0
"""Longest single timer: a longer stream_timeout is re-armed day by day. qasync's timers are
32-bit milliseconds (about 24.8 days), and call_later beyond that raises OverflowError."""


class Engine:
    def __init__(self, config: SimulatorConfig, state: SimState, stats: Stats) -> None:
        self.config = config
        self.state = state
        self.stats = stats
        self.callbacks = CallbackEmitter(
            stats,
            connect_timeout_s=config.callback_connect_timeout_s,
            total_timeout_s=config.callback_total_timeout_s,
            retries=config.callback_retries,
            retry_delay_s=config.callback_retry_delay_s,
            concurrency=config.callback_concurrency,
        )
        self.sessions: dict[str, MediaSession] = {}
        # Every session still to be closed, including ones ended while the engine shuts down,
        # so none keeps a task on a loop that is about to stop.
        self._open_sessions: set[MediaSession] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._finishers: set[asyncio.Task[Any]] = set()
        self._media_client: aiohttp.ClientSession | None = None
        self._running = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the simulator runs on, kept from start(): on qasync, Qt may run a timer's
        callback while asyncio counts no loop as running (a test host processing Qt events), and
        get_running_loop() would fail there, leaving a socket open or a coroutine never run."""
        return self._loop if self._loop is not None else asyncio.get_running_loop()

    # ---- start / stop ----------------------------------------------------------------------
    def start(self) -> None:
        self._loop = self.callbacks.loop = asyncio.get_running_loop()
        self._running = True
        if self.config.churn:
            self.spawn(self._churn())
        if self.config.media:
            self.spawn(self._monitor())

    async def close(self) -> None:
        self._running = False
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        sessions = list(self._open_sessions | set(self.sessions.values()))
        self.sessions.clear()
        self._open_sessions.clear()
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        # Sockets being closed or aborted finish (each is bounded); a task cancelled before its
        # first step would leave its socket open and its coroutine "never awaited".
        finishing = [t for t in self._tasks if t in self._finishers]
        if finishing:
            await asyncio.wait(finishing, timeout=3.0)
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks.difference_update(tasks)
        await self.callbacks.close()
        if self._media_client is not None:
            await self._media_client.close()
            self._media_client = None

    def spawn(self, coro: Coroutine[Any, Any, Any], *, finish: bool = False) -> asyncio.Task[Any]:
        """Track a task; `finish=True` (closing a socket) lets it complete on close()."""
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        if finish:
            self._finishers.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._finishers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator task failed", exc_info=task.exception())

    def _client(self) -> aiohttp.ClientSession:
        if self._media_client is None or self._media_client.closed:
            self._media_client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                headers={"User-Agent": "PlivoStreamSimulator/1.0"},
            )
        return self._media_client

    # ---- streams ---------------------------------------------------------------------------
    def start_stream(self, call: CallRecord, params: StartParams) -> StreamRecord:
        record = self.state.add_stream(call, params)
        if not self._running:
            return record
        if self.config.media:
            from console.simulator.media import MediaSession  # numpy loads with the first stream

            session = MediaSession(
                stream_id=record.stream_id,
                call_uuid=call.call_uuid,
                account_id=call.auth_id,
                params=params,
                client=self._client(),
                stats=self.stats,
                on_connected=lambda: self._started(record),
                on_dropped=lambda error: self._dropped(record, error),
                on_failed=lambda exc: self.fail(record, exc),
                connect_timeout_s=self.config.media_connect_timeout_s,
                retries=self.config.media_retries,
                retry_delay_s=self.config.media_retry_delay_s,
                frame_ms=self.config.media_frame_ms,
                loop=self.loop,
            )
            self.sessions[record.stream_id] = session
            self._open_sessions.add(session)
            session.start()
        else:
            self._timers[record.stream_id] = self.loop.call_later(
                self.config.start_without_media_s, self._supervised, record, self._started
            )
        return record

    def _supervised(self, record: StreamRecord, step: Callable[[StreamRecord], None]) -> None:
        """Run a timer's step; one that raises ends its stream instead of leaving it active."""
        try:
            step(record)
        except Exception as exc:
            self.fail(record, exc)

    def fail(self, record: StreamRecord, exc: BaseException) -> None:
        """A background step of this stream died: log it with its traceback and end the stream
        (DroppedStream, Error naming the fault, end_reason "internal_error"), never leave it
        "in-progress" with nothing behind it."""
        log.error("stream %s: simulator fault, stream ended", record.stream_id, exc_info=exc)
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self._dropped(record, f"internal simulator error ({text[:200]})", "internal_error")

    def _started(self, record: StreamRecord) -> None:
        self._timers.pop(record.stream_id, None)
        if not record.active or not self._running:
            return
        record.status = S_IN_PROGRESS
        record.start_time = utc_now()
        log.info(
            "stream %s started (call %s -> %s)",
            record.stream_id,
            record.call_uuid,
            record.service_url,
        )
        deadline = self.loop.time() + record.params.stream_timeout
        self._arm_timeout(record, deadline)
        self._callback(record, StreamEventName.START)

    def _arm_timeout(self, record: StreamRecord, deadline: float) -> None:
        loop = self.loop
        delay = max(0.0, min(deadline - loop.time(), MAX_TIMER_S))
        step = functools.partial(self._timeout_due, deadline=deadline)
        self._timers[record.stream_id] = loop.call_later(delay, self._supervised, record, step)

    def _timeout_due(self, record: StreamRecord, *, deadline: float) -> None:
        self._timers.pop(record.stream_id, None)
        if not record.active:
            return
        if self.loop.time() < deadline - 0.001:
            self._arm_timeout(record, deadline)  # a long timeout: the next day's timer
            return
        self.stop_stream(record, "stream_timeout")

    def _finish(self, record: StreamRecord, status: str, reason: str) -> None:
        record.status = status
        record.end_time = utc_now()
        record.end_reason = reason
        log.info("stream %s %s (%s)", record.stream_id, status, reason)
        timer = self._timers.pop(record.stream_id, None)
        if timer is not None:
            timer.cancel()

    def stop_stream(self, record: StreamRecord, reason: str = "api_request") -> bool:
        """End an active stream on purpose (API, stream_timeout) with a StopStream callback.
        False if it was not active."""
        if not record.active:
            return False
        self._finish(record, S_COMPLETED, reason)
        self._close_session(record.stream_id)
        self._callback(record, StreamEventName.STOP, Reason=reason)
        return True

    def _dropped(self, record: StreamRecord, error: str, reason: str = "dropped") -> None:
        if not record.active:
            return
        self._finish(record, S_FAILED, reason)
        log.info("stream %s dropped: %s", record.stream_id, error)
        self._close_session(record.stream_id)
        self._callback(record, StreamEventName.DROPPED, Error=error)

    async def drop_stream(self, record: StreamRecord, error: str) -> None:
        """DroppedStream on demand: the socket is cut (1011) and the callback sent."""
        session = self.sessions.pop(record.stream_id, None)
        self._dropped(record, error)
        if session is not None:
            self._open_sessions.discard(session)
            await session.abort()

    def _close_session(self, stream_id: str) -> None:
        session = self.sessions.pop(stream_id, None)
        if session is not None and self._running:
            self._open_sessions.discard(session)
            self.spawn(session.close(), finish=True)

    def _callback(self, record: StreamRecord, event: StreamEventName, **extra: str) -> None:
        url = record.params.status_callback_url
        if not url or not self._running:
            return
        params = {
            "Event": event.value,
            "StreamID": record.stream_id,
            "CallUUID": record.call_uuid,
            "Timestamp": fmt_created(utc_now()),
            "ServiceURL": record.params.service_url,
        }
        if record.params.extra_headers:
            params["ExtraHeaders"] = record.params.extra_headers
        params.update(extra)
        account = self.state.accounts[record.auth_id]
        main = self.state.main_account_of(record.auth_id)
        self.callbacks.emit(
            url,
            record.params.status_callback_method.value,
            params,
            account.auth_token,
            main.auth_token if main is not account else None,  # None: -Ma-V3 = -V3
            order_key=record.stream_id,
        )

    # ---- calls -----------------------------------------------------------------------------
    def hangup(self, call: CallRecord) -> None:
        """End a call; its active streams end with it and, as at Plivo, send no StopStream."""
        if call.status not in (LIVE, QUEUED):
            return
        log.info("call %s hung up", call.call_uuid)
        for record in self.state.streams_of(call.call_uuid):
            if record.active:
                self._finish(record, S_COMPLETED, "call_hangup")
                self._close_session(record.stream_id)
        self.state.end_call(call)

    def schedule_hangup(self, call: CallRecord, elapsed_s: float = 0.0) -> None:
        low, high = self.config.call_duration_s
        rng = self.state.rng
        remaining = max(min(5.0, low), rng.uniform(low, high) - elapsed_s)
        call.hangup_at = self.loop.time() + remaining

    async def _churn(self) -> None:
        """Calls end when their time is up; new ones arrive to keep the population near target;
        queued calls are answered after a few seconds. A tick that raises is logged and the next
        one runs: one bad call must not stop the population moving."""
        main = self.config.auth_id
        for call in self.state.calls_of(main, LIVE):
            if call.hangup_at is None:
                answered = call.answer_time or utc_now()
                self.schedule_hangup(call, (utc_now() - answered).total_seconds())
        while True:
            try:
                self._churn_tick()
            except Exception:
                log.exception("call churn tick failed; continuing")
            await asyncio.sleep(self.config.churn_tick_s)

    def _churn_tick(self) -> None:
        now = self.loop.time()
        rng = self.state.rng
        main = self.config.auth_id
        for call in list(self.state.calls.values()):
            if call.status == LIVE and call.hangup_at is not None and call.hangup_at <= now:
                self.hangup(call)
            elif call.status == QUEUED:
                if call.answer_at is None:
                    call.answer_at = now + rng.uniform(*self.config.queued_answer_s)
                elif call.answer_at <= now:
                    self.answer(call)
        if len(self.state.calls_of(main, LIVE)) < self.config.calls and rng.random() < 0.3:
            call = self.state.new_call(main, LIVE)
            self.schedule_hangup(call)
            log.info(
                "call %s answered (%s %s -> %s)",
                call.call_uuid,
                call.direction,
                call.from_number,
                call.to_number,
            )
        queued = len(self.state.calls_of(main, QUEUED))
        if queued < self.config.queued_calls and rng.random() < 0.1:
            self.state.new_call(main, QUEUED)

    def answer(self, call: CallRecord) -> None:
        call.status = LIVE
        call.answer_time = utc_now()
        call.answer_at = None
        if self.config.churn and self._running:
            self.schedule_hangup(call)

    async def _monitor(self) -> None:
        """Turn a slow consumer's growing backlog into DegradedStream, then DroppedStream; a
        check that raises is logged and the next one runs."""
        while True:
            await asyncio.sleep(0.5)
            try:
                self._monitor_tick()
            except Exception:
                log.exception("slow-consumer check failed; continuing")

    def _monitor_tick(self) -> None:
        now = self.loop.time()
        buffer_s = self.config.media_buffer_s
        for stream_id, session in list(self.sessions.items()):
            record = self.state.streams.get(stream_id)
            if record is None or not record.active:
                continue
            backlog = session.backlog_s(now)
            if backlog >= buffer_s:
                message = f"the service did not keep up: {buffer_s:g} s of audio buffered"
                self.spawn(self.drop_stream(record, message), finish=True)
                continue
            level = max((lv for lv in DEGRADED_LEVELS if backlog >= buffer_s * lv / 100), default=0)
            if level > session.degraded_level:
                session.degraded_level = level
                self._callback(record, StreamEventName.DEGRADED, BufferUsage=str(level))

    async def drain_callbacks(self, timeout_s: float = 5.0) -> None:
        with contextlib.suppress(TimeoutError):
            await self.callbacks.drain(timeout_s)
