"""The self-test engine: the console's own parts, end to end, in one process.

On the same qasync loop the GUI uses: the embedded Plivo simulator, the API client (list calls,
start a stream with status callbacks, stop it), the callback receiver (the signed StartStream and
StopStream arrive, verify and are logged), the keyring backend (named, never written to) and the
main window (built and shown). Nothing touches a real account, keyring entry or settings file:
settings, data and logs go to a temporary folder. Two front ends run the same steps: the
`stream-console self-test` command (console/app/commands/self_test.py) and Help → Run self-test
(console/app/controllers/help.py); each brings its own window check.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import platform
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from console.identity import NAME, VERSION

STEP_TIMEOUT_S = 20.0
NO_RECEIVER = "the callback receiver is not in this build"
AFTER_FAILURE = "an earlier step it needs failed"
T = TypeVar("T")


@dataclass(slots=True)
class Step:
    """One step's outcome: status is "passed", "failed" or "skipped"; detail is plain words."""

    name: str
    title: str
    status: str = "pending"
    seconds: float = 0.0
    detail: str = ""

    def line(self) -> str:
        mark = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}.get(self.status, "....")
        said = f"skipped: {self.detail}" if self.status == "skipped" else self.detail
        return f"  {mark}  {self.seconds:6.2f} s  {self.title}: {said}"


@dataclass(slots=True)
class Report:
    steps: list[Step]
    started_at: str
    seconds: float = 0.0
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when nothing failed (steps skipped for a part this build lacks do not count)."""
        return all(step.status in ("passed", "skipped") for step in self.steps)

    def to_json(self) -> str:
        document = {
            "passed": self.passed,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "steps": [asdict(s) | {"seconds": round(s.seconds, 3)} for s in self.steps],
            **self.environment,
        }
        return json.dumps(document, indent=2)  # ASCII: safe through any console encoding

    def summary(self) -> str:
        failed = [s.title for s in self.steps if s.status == "failed"]
        if failed:
            return f"Self-test FAILED ({self.seconds:.1f} s) at: {'; '.join(failed)}."
        skipped = sum(s.status == "skipped" for s in self.steps)
        note = f", {skipped} skipped" if skipped else ""
        return f"Self-test passed ({len(self.steps) - skipped} steps{note}, {self.seconds:.1f} s)."

    def to_text(self) -> str:
        lines = [f"{NAME} {VERSION} self-test", *(s.line() for s in self.steps), self.summary()]
        return "\n".join(lines)


STEPS: tuple[tuple[str, str], ...] = (
    ("simulator", "Start the embedded Plivo simulator"),
    ("receiver", "Start the status-callback receiver"),
    ("list_calls", "List live calls through the API client"),
    ("start_stream", "Start an audio stream with status callbacks"),
    ("start_callback", "Receive, verify and log the StartStream callback"),
    ("stop_stream", "Stop the stream"),
    ("stop_callback", "Receive, verify and log the StopStream callback"),
    ("keyring", "Identify the keyring backend (nothing written)"),
    ("window", "Build and show the main window"),
)


class StepFailed(Exception):
    """A step's failure in plain words (the message is shown as it is)."""


def plain_reason(exc: BaseException) -> str:
    """What went wrong, for a person: the error's own message where it has one, never a
    traceback."""
    if isinstance(exc, StepFailed):
        return str(exc)
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def in_daemon_thread(fn: Callable[[], T], timeout_s: float) -> T:
    """`fn()` on a daemon thread, awaited with a deadline: a backend that hangs (a keyring
    waiting for an unlock prompt) can neither freeze the loop nor hold up the exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(ok: bool, value: Any) -> None:
        if not future.done():
            future.set_result(value) if ok else future.set_exception(value)

    def work() -> None:
        try:
            value: Any = fn()
            ok = True
        except Exception as exc:
            value, ok = exc, False
        with contextlib.suppress(RuntimeError):  # the loop closed while we waited
            loop.call_soon_threadsafe(deliver, ok, value)

    threading.Thread(target=work, name="self-test", daemon=True).start()
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout_s)
    finally:
        future.cancel()


def identify_keyring() -> tuple[str, bool, str]:
    """(backend, safe, note) without reading or writing any entry."""
    import keyring

    from console.credentials import KeyringUnavailable
    from console.credentials.keyring_store import backend_name, choose_backend

    found = keyring.get_keyring()
    try:
        chosen = choose_backend(found)
    except KeyringUnavailable as exc:
        return backend_name(found), False, str(exc)  # what is wrong, then what to do
    return backend_name(chosen), True, ""


def environment(keyring_backend: str = "") -> dict[str, str]:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance()
    return {
        "console_version": VERSION,
        "python_version": platform.python_version(),
        "qt_version": qVersion(),
        "pyside6_version": pyside_version,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "frozen": "yes" if getattr(sys, "frozen", False) else "no",
        "qt_platform": QGuiApplication.platformName() if app is not None else "",
        "keyring_backend": keyring_backend,
    }


WindowCheck = Callable[[], Awaitable[str]]


class SelfTest:
    """Runs the steps in order; `on_step` hears each one as it starts and as it ends."""

    def __init__(
        self,
        window_check: WindowCheck,
        *,
        scratch: Path,
        on_step: Callable[[Step], None] | None = None,
        step_timeout_s: float = STEP_TIMEOUT_S,
        extra: dict[str, str] | None = None,
        calls: int = 3,
    ) -> None:
        self._window_check = window_check
        self._extra = dict(extra or {})
        self._calls = calls
        self._scratch = scratch
        self._on_step = on_step or (lambda _step: None)
        self._timeout = step_timeout_s
        self.steps = [Step(name, title) for name, title in STEPS]
        self._keyring_backend = ""

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    async def run(self) -> Report:
        started = time.monotonic()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        flow = _CallbackFlow(self._scratch, self._calls)
        try:
            await self._do("simulator", flow.start_simulator)
            await self._do("receiver", flow.start_receiver, needs=("simulator",))
            await self._do("list_calls", flow.list_calls, needs=("simulator",))
            await self._do("start_stream", flow.start_stream, needs=("list_calls",))
            await self._do(
                "start_callback", flow.start_callback, needs=("start_stream", "receiver")
            )
            await self._do("stop_stream", flow.stop_stream, needs=("start_stream",))
            await self._do("stop_callback", flow.stop_callback, needs=("stop_stream", "receiver"))
        finally:
            await flow.close()
        await self._do("keyring", self._keyring)
        await self._do("window", self._window_check)
        found = environment(self._keyring_backend) | self._extra
        return Report(self.steps, stamp, time.monotonic() - started, found)

    async def _do(
        self, name: str, action: Callable[[], Awaitable[str]], needs: tuple[str, ...] = ()
    ) -> None:
        step = self.step(name)
        for need in needs:
            other = self.step(need)
            if other.status == "failed" or other.detail == AFTER_FAILURE:
                step.status, step.detail = "skipped", AFTER_FAILURE
            elif other.status == "skipped" and step.status == "pending":
                step.status, step.detail = "skipped", other.detail
        if step.status == "skipped":
            self._on_step(step)
            return
        step.status = "running"
        self._on_step(step)
        began = time.monotonic()
        try:
            step.detail = await asyncio.wait_for(action(), self._timeout)
            step.status = "passed"
        except _Skip as skip:
            step.status, step.detail = "skipped", str(skip)
        except asyncio.CancelledError:
            step.status, step.detail = "failed", "cancelled"
            raise
        except TimeoutError:
            step.status, step.detail = "failed", f"no answer within {self._timeout:g} s"
        except Exception as exc:
            step.status, step.detail = "failed", plain_reason(exc)
        finally:
            step.seconds = time.monotonic() - began
            self._on_step(step)

    async def _keyring(self) -> str:
        backend, safe, note = await in_daemon_thread(identify_keyring, self._timeout)
        self._keyring_backend = backend
        if not safe:
            raise StepFailed(note)
        return f"{backend} (a safe backend; no entry was read or written)"


class _Skip(Exception):
    """The step does not apply to this build; the message says why."""


class _CallbackFlow:
    """Simulator → API client → stream with callbacks → receiver → event log, and back down."""

    def __init__(self, scratch: Path, calls: int) -> None:
        from console.app.services.demo import DemoBackend

        self.scratch = scratch
        self.demo = DemoBackend(calls=calls, seed=7)
        self.client: Any = None
        self.call_uuid = ""
        self.stream_id = ""
        self.receiver: Any = None  # console.receiver.server.CallbackReceiver
        self.event_log: Any = None  # console.store.event_log.EventLog
        self.callback_url = ""

    async def start_simulator(self) -> str:
        profile = await self.demo.start()
        from console.api import PlivoClient, StaticToken

        self.client = PlivoClient(
            profile.auth_id, StaticToken(self.demo.token), profile.api_base_url
        )
        return f"listening on {profile.api_base_url}"

    async def start_receiver(self) -> str:
        """The console's own receiver and event log (a scratch file), verifying for the
        simulator's account, as the running console does for a real one."""
        try:
            from console.receiver.server import CallbackReceiver, Credential, callback_url
            from console.store.event_log import EventLog
        except ImportError:
            raise _Skip(NO_RECEIVER) from None
        profile = self.demo.profile
        assert profile is not None
        log = EventLog(self.scratch / "events.sqlite3", maintenance_interval_s=0)
        await log.open()
        self.event_log = log
        receiver = CallbackReceiver(log, lambda: credentials, port=0)
        await receiver.start()
        self.receiver = receiver
        self.callback_url = callback_url(receiver.local_url)
        credentials = [Credential(profile.auth_id, self.demo.token, self.callback_url)]
        return f"listening on {self.callback_url}, event log {log.path.name}"

    async def list_calls(self) -> str:
        ids = await self.client.list_live_call_ids()
        if not ids:
            raise StepFailed("the simulator lists no live calls")
        self.call_uuid = ids[0]
        call = await self.client.get_live_call(self.call_uuid)
        return f"{len(ids)} live calls; picked {call.call_uuid}"

    async def start_stream(self) -> str:
        from console.domain.stream_request import StreamRequest

        request = StreamRequest(
            service_url=self.demo.media_sink_url, status_callback_url=self.callback_url or None
        )
        started = await self.client.start_stream(self.call_uuid, request)
        self.stream_id = started.stream_id
        return f"stream {started.stream_id} started"

    async def start_callback(self) -> str:
        return await self._logged("StartStream")

    async def stop_stream(self) -> str:
        stopped = await self.client.stop_stream(self.call_uuid, self.stream_id)
        return stopped.message or "stopped"

    async def stop_callback(self) -> str:
        return await self._logged("StopStream")

    async def _logged(self, event: str) -> str:
        """Waits (under the step's deadline) until `event` for our stream is in the event log,
        accepted with the simulator account's signature; a refused request fails at once."""
        from console.domain.events import EventFilter, Verdict

        wanted = EventFilter(events=frozenset({event}), stream_id=self.stream_id)
        while True:
            found = await self.event_log.newest(wanted, limit=1)
            if found:
                kept = found[0]
                if kept.verdict != Verdict.ACCEPTED or not kept.account:
                    raise StepFailed(f"{event} was logged as {kept.verdict}: {kept.detail}")
                return (
                    f"{event} for {kept.stream_id} arrived by {kept.method}, its signature "
                    f"verified for {kept.account}; logged as event #{kept.id}"
                )
            if self.receiver.stats.rejected:
                refused = await self.event_log.newest(EventFilter(rejected=True), limit=1)
                why = refused[0].detail if refused else "no reason recorded"
                raise StepFailed(f"the receiver refused a callback ({why})")
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        await self.demo.stop()
        if self.receiver is not None:
            await self.receiver.stop()
        if self.event_log is not None:
            await self.event_log.close()
