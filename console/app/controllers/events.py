"""The event pane's work: live events from the receiver, export, and "Send test callback".

The test callback checks the whole path Plivo's callbacks take: it signs a sample StartStream
event with the current account's token, exactly as Plivo signs, and posts it to the receiver's
public callback URL (the tunnel's address + `/plivo/stream-status`). The answer tells the agent
which part is wrong, in plain words: nothing answered (tunnel down), 404 (the URL leads
somewhere else), 403 (the receiver refused the signature: its public URL or the token differs),
or 200. A 200 is "arrived and verified" only once the event comes back through this console's own
feed; a 200 without it means some other server answered.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from console.app.runtime.tasks import TaskRunner
from console.domain.events import (
    TEST_EVENT,
    TEST_MARKER,
    EventFilter,
    EventReader,
    StoredEvent,
    Verdict,
)
from console.domain.signature import sign_request
from console.ui.dialogs import Dialogs
from console.ui.events_pane import EventsPane

if TYPE_CHECKING:
    import httpx  # loaded with the first test callback: not at start-up

_log = logging.getLogger(__name__)
TEST_TIMEOUT_S = 8.0
ARRIVAL_WAIT_S = 3.0
_FILTERS = {"jsonl": "JSON Lines (*.jsonl)", "csv": "CSV files (*.csv)"}


class EventFeed(Protocol):
    """What the receiver offers: a Qt signal carrying StoredEvents just committed to the log."""

    @property
    def events_committed(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class CallbackTarget:
    """Where and how to send a test callback for the current account."""

    callback_url: str  # the public URL + /plivo/stream-status, as Plivo is told to call it
    auth_token: str


# Resolves the current account's target, or says in a sentence why there is none.
TargetResolver = Callable[[], Awaitable["CallbackTarget | str"]]
ExportAll = Callable[[Path, str, EventFilter], Awaitable[int]]  # (target, format, filter) -> count


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    ok: bool
    kind: str  # "ok", "tunnel-down", "wrong-url", "signature", "not-ours", "http", "setup"
    message: str


class EventsController:
    def __init__(
        self,
        pane: EventsPane,
        tasks: TaskRunner,
        dialogs: Dialogs,
        target: TargetResolver,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.pane = pane
        self.tasks = tasks
        self.dialogs = dialogs
        self.target = target
        self._transport = transport
        self.reader: EventReader | None = None
        self.feed: EventFeed | None = None
        self._awaiting: dict[str, asyncio.Future[StoredEvent]] = {}
        # Export of every matching event from a reader that is not the SQLite log (the team
        # database): (target, format, filter) -> how many; given with `bind`.
        self.export_all: ExportAll | None = None
        pane.export_requested.connect(
            lambda scope, fmt: self.tasks.run("events-export", self.export(scope, fmt))
        )
        pane.test_callback_requested.connect(
            lambda: self.tasks.run("events-test-callback", self.send_test_callback())
        )

    # --- wiring -------------------------------------------------------------------------------
    def account_changed(self) -> None:
        """Another account (or none): a test callback's verdict was about the previous one."""
        self.tasks.cancel("events-test-callback")
        self.pane.clear_test_result()

    def bind(
        self,
        reader: EventReader | None,
        feed: EventFeed | None,
        *,
        export_all: ExportAll | None = None,
    ) -> None:
        """Show `reader`'s log and follow `feed`'s commits (None, None: no receiver);
        `export_all` exports every matching event of a reader that is not the SQLite log."""
        self.export_all = export_all
        if self.feed is not None:
            self.feed.events_committed.disconnect(self._on_committed)
        self.reader, self.feed = reader, feed
        if feed is not None:
            feed.events_committed.connect(self._on_committed)
        self.pane.set_reader(reader)

    def _on_committed(self, events: list[StoredEvent]) -> None:
        self.pane.add_events(events)
        if self._awaiting:
            for event in events:
                waiter = self._awaiting.get(event.stream_id)
                if waiter is not None and not waiter.done() and event.is_test:
                    waiter.set_result(event)

    # --- export -------------------------------------------------------------------------------
    async def export(self, scope: str, fmt: str, target: Path | None = None) -> Path | None:
        """Write the selected events, or every event matching the pane's filters, to a file."""
        import sqlite3  # the export's machinery loads on first use, not at start-up

        from console.app.services.events_export import export_matching, export_selection
        from console.store.event_log import EventLog
        from console.store.sqlite_writer import StoreUnavailable

        selected = self.pane.selected_events() if scope == "selection" else None
        if selected is not None and not selected:
            self.pane.show_message("Select the events to export first (Shift/Ctrl+click).")
            return None
        log = self.reader if isinstance(self.reader, EventLog) else None
        export_all = self.export_all if self.reader is not None else None
        if selected is None and log is None and export_all is None:
            self.pane.show_message("There is no event log to export this session.")
            return None
        if target is None:
            suggested = f"stream-events-{time.strftime('%Y%m%d-%H%M')}.{fmt}"
            chosen = await self.dialogs.save_file(
                "Export stream events", str(Path.home() / suggested), _FILTERS[fmt]
            )
            if not chosen:
                return None
            target = Path(chosen)
        self.pane.show_message(f"Exporting to {target}…")
        try:
            if selected is not None:
                count = await export_selection(target, fmt, selected)
            elif log is not None:
                count = await export_matching(target, fmt, log.path, self.pane.current_filter())
            else:
                assert export_all is not None
                count = await export_all(target, fmt, self.pane.current_filter())
        except (OSError, sqlite3.Error, StoreUnavailable) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.pane.show_message(f"Could not write {target}: {reason}.")
            return None
        noun = "event" if count == 1 else "events"
        self.pane.show_message(f"Exported {count:,} {noun} to {target}.")
        return target

    # --- test callback ------------------------------------------------------------------------
    async def send_test_callback(self) -> ProbeOutcome:
        self.pane.set_test_busy(True)
        try:
            outcome = await self._send_test()
        except Exception as exc:  # never a traceback in the agent's face
            _log.exception("test callback failed")
            outcome = ProbeOutcome(False, "setup", f"The test could not run: {exc}")
        finally:
            self.pane.set_test_busy(False)
        self.pane.show_test_result(outcome.ok, outcome.message)
        return outcome

    async def _send_test(self) -> ProbeOutcome:
        target = await self.target()
        if isinstance(target, str):
            return ProbeOutcome(False, "setup", target)
        url = target.callback_url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return ProbeOutcome(
                False, "setup", f"The receiver's public URL is not an http(s) URL: {url!r}."
            )
        stream_id = str(uuid.uuid4())
        params = {
            "Event": TEST_EVENT,
            "StreamID": stream_id,
            "CallUUID": str(uuid.uuid4()),
            "Timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()) + ".000000+00:00",
            "ServiceURL": "wss://stream-console.invalid/test",
            TEST_MARKER: "true",
        }
        headers = sign_request(target.auth_token, "POST", url, params).as_dict()
        waiter: asyncio.Future[StoredEvent] = asyncio.get_running_loop().create_future()
        self._awaiting[stream_id] = waiter
        try:
            return await self._post_and_judge(url, params, headers, waiter)
        finally:
            self._awaiting.pop(stream_id, None)
            waiter.cancel()

    async def _post_and_judge(
        self,
        url: str,
        params: dict[str, str],
        headers: dict[str, str],
        waiter: asyncio.Future[StoredEvent],
    ) -> ProbeOutcome:
        import httpx

        host = urlsplit(url).netloc
        try:
            async with httpx.AsyncClient(
                timeout=TEST_TIMEOUT_S, transport=self._transport, follow_redirects=False
            ) as client:
                response = await client.post(url, data=params, headers=headers)
        except httpx.TimeoutException:
            return ProbeOutcome(
                False,
                "tunnel-down",
                f"Tunnel down? Nothing answered at {host} within {TEST_TIMEOUT_S:.0f} s. "
                "Check that the tunnel is running and forwards to this console's receiver.",
            )
        except httpx.TransportError as exc:
            return ProbeOutcome(
                False,
                "tunnel-down",
                f"Tunnel down? Could not reach {host} ({_reason(exc)}). Check that the tunnel "
                "is running and that the public URL is its current address.",
            )
        status = response.status_code
        refused = _judge_answer(url, host, status, response.headers.get("location", ""))
        if refused is not None:
            return refused
        if self.feed is None:
            return ProbeOutcome(
                True, "ok", f"OK: {host} accepted the test callback (HTTP {status})."
            )
        try:
            arrived = await asyncio.wait_for(asyncio.shield(waiter), ARRIVAL_WAIT_S)
        except TimeoutError:
            return ProbeOutcome(
                False,
                "not-ours",
                f"{host} answered {status}, but the test event never reached this console: the "
                "public URL leads to a different server.",
            )
        if arrived.verdict is not Verdict.ACCEPTED:
            return ProbeOutcome(
                False, "signature", f"The test event arrived but was {arrived.verdict.value}."
            )
        return ProbeOutcome(
            True,
            "ok",
            "OK: the test event arrived and its signature verified (sent from this computer "
            "through the public URL, not by Plivo).",
        )


def _judge_answer(url: str, host: str, status: int, where: str) -> ProbeOutcome | None:
    """The receiver's answer to the test callback, when it already says what is wrong (`where`:
    a redirect's Location); None for a 2xx."""
    if status == 404:
        return ProbeOutcome(
            False,
            "wrong-url",
            f"Wrong URL (404): {host} answered, but not as this console's receiver. Check "
            "that the public URL forwards to the receiver (the path "
            f"{urlsplit(url).path} must reach it).",
        )
    if status in (401, 403):
        return ProbeOutcome(
            False,
            "signature",
            f"Signature mismatch ({status}): the request arrived but its signature did not "
            "verify. The public URL set in the console must be exactly the address Plivo "
            "calls (scheme, host, port), and the account's token must be current.",
        )
    if not 200 <= status < 300:
        extra = f" (to {where})" if 300 <= status < 400 and where else ""
        return ProbeOutcome(
            False,
            "http",
            f"Unexpected answer from {host}: HTTP {status}{extra}. Plivo would count this "
            "callback as failed.",
        )
    return None


def _reason(exc: httpx.TransportError) -> str:
    """The innermost cause in words: httpx says "All connection attempts failed" on top."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ConnectionRefusedError) for c in chain):
        return "connection refused"
    if any(isinstance(c, socket.gaierror) for c in chain):
        return "the host name does not resolve"
    text = str(chain[-1]) or type(chain[-1]).__name__
    return text[:200]
