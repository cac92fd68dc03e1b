""" "Send test callback" against real HTTP servers on loopback: each way the path can be broken
gives its own plain sentence. The servers are real aiohttp apps; the one that plays the console's
receiver verifies the V3 signature against its own idea of the public URL, as the receiver does.
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from aiohttp import web
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.app.events_controller import (
    CALLBACK_PATH,
    CallbackTarget,
    EventsController,
    ProbeOutcome,
)
from console.app.tasks import TaskRunner
from console.domain.events import StoredEvent, Verdict
from console.domain.signature import (
    MAIN_ACCOUNT_SIGNATURE_HEADER,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    verify_signature,
)
from console.ui.dialogs import Dialogs
from console.ui.events_pane import EventsPane
from tests.app.conftest import wait_for
from tests.ui.events_support import MemoryEventReader, MemoryFeed

TOKEN = "Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve(handler: Handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


def receiver(feed: MemoryFeed, public_url: Callable[[], str], token: str = TOKEN) -> Handler:
    """A stand-in receiver: verify like the real one, store nothing, announce the event."""
    count = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal count
        if request.path != CALLBACK_PATH:
            return web.Response(status=404)
        form = {k: str(v) for k, v in (await request.post()).items()}
        ok = verify_signature(
            token,
            request.method,
            public_url() + CALLBACK_PATH,
            form,
            request.headers.get(NONCE_HEADER, ""),
            [
                request.headers.get(SIGNATURE_HEADER),
                request.headers.get(MAIN_ACCOUNT_SIGNATURE_HEADER),
            ],
        )
        if not ok:
            return web.Response(status=403, text="signature mismatch")
        count += 1
        feed.events_committed.emit(
            [
                StoredEvent(
                    id=count,
                    received_at=time.time(),
                    event=form.get("Event", ""),
                    call_uuid=form.get("CallUUID", ""),
                    stream_id=form.get("StreamID", ""),
                    account="MAXXXXXXXXXXXXXXXXXX",
                    source=request.remote or "",
                    verdict=Verdict.ACCEPTED,
                    method=request.method,
                    url=public_url() + CALLBACK_PATH,
                    params=form,
                    headers=dict(request.headers),
                )
            ]
        )
        return web.Response(text="ok")

    return handle


class Setup:
    def __init__(self, pane: EventsPane, controller: EventsController, feed: MemoryFeed) -> None:
        self.pane = pane
        self.controller = controller
        self.feed = feed
        self.public_url = ""
        self.token = TOKEN

    async def target(self) -> CallbackTarget | str:
        if not self.public_url:
            return "Set the receiver's public URL first."
        return CallbackTarget(self.public_url, self.token)

    async def click(self, qtbot: QtBot) -> str:
        before = self.pane.test_result.text()
        qtbot.mouseClick(self.pane.send_test, Qt.MouseButton.LeftButton)
        await wait_for(
            lambda: (
                self.pane.send_test.isEnabled()
                and self.pane.test_result.text() not in (before, "Sending a test callback…")
            ),
            timeout=15,
            what="test result",
        )
        return self.pane.test_result.text()


@pytest_asyncio.fixture
async def setup(qtbot: QtBot) -> AsyncIterator[Setup]:
    pane = EventsPane()
    qtbot.addWidget(pane)
    pane.show()
    tasks = TaskRunner(on_error=lambda name, exc: pytest.fail(f"{name}: {exc!r}"))
    feed = MemoryFeed()
    holder: list[Setup] = []

    async def target() -> CallbackTarget | str:
        return await holder[0].target()

    controller = EventsController(pane, tasks, Dialogs(pane), target)
    controller.bind(MemoryEventReader(), feed)
    holder.append(Setup(pane, controller, feed))
    yield holder[0]
    await tasks.cancel_all()


@pytest_asyncio.fixture
async def server(setup: Setup) -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        runner, url = await serve(handler)
        runners.append(runner)
        return url

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_ok_when_the_event_arrives_and_verifies(
    qtbot: QtBot, setup: Setup, server: Callable[[Handler], Awaitable[str]]
) -> None:
    setup.public_url = await server(receiver(setup.feed, lambda: setup.public_url))
    text = await setup.click(qtbot)
    assert text == "OK: the test event arrived and its signature verified."
    await wait_for(lambda: setup.pane.model.rowCount() == 1, what="test event listed")
    event = setup.pane.model.event_at(0)
    assert event.event == "StartStream" and event.params["ConsoleTest"] == "true"


@pytest.mark.asyncio
async def test_signature_mismatch_when_the_public_url_differs(
    qtbot: QtBot, setup: Setup, server: Callable[[Handler], Awaitable[str]]
) -> None:
    url = await server(receiver(setup.feed, lambda: "https://tunnel.example.com"))
    setup.public_url = url
    text = await setup.click(qtbot)
    assert text.startswith("Signature mismatch (403)")
    assert "exactly the address Plivo calls" in text


@pytest.mark.asyncio
async def test_signature_mismatch_with_another_token(
    setup: Setup, server: Callable[[Handler], Awaitable[str]]
) -> None:
    setup.public_url = await server(receiver(setup.feed, lambda: setup.public_url))
    setup.token = "a-token-from-last-month"
    outcome = await setup.controller.send_test_callback()
    assert outcome == ProbeOutcome(False, "signature", outcome.message)
    assert setup.pane.model.rowCount() == 0


@pytest.mark.asyncio
async def test_wrong_url_when_something_else_answers_404(
    qtbot: QtBot, setup: Setup, server: Callable[[Handler], Awaitable[str]]
) -> None:
    async def other_site(_request: web.Request) -> web.Response:
        return web.Response(status=404, text="<h1>Not Found</h1>")

    setup.public_url = await server(other_site)
    text = await setup.click(qtbot)
    assert text.startswith("Wrong URL (404)")


@pytest.mark.asyncio
async def test_tunnel_down_when_nothing_listens(qtbot: QtBot, setup: Setup) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and is closed now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    setup.public_url = f"http://127.0.0.1:{port}"
    text = await setup.click(qtbot)
    assert text.startswith("Tunnel down?")
    assert "connection refused" in text


@pytest.mark.asyncio
async def test_a_200_from_another_server_is_not_called_ok(
    setup: Setup, server: Callable[[Handler], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def says_ok(_request: web.Request) -> web.Response:
        return web.Response(text="OK")

    monkeypatch.setattr("console.app.events_controller.ARRIVAL_WAIT_S", 0.3)
    setup.public_url = await server(says_ok)
    outcome = await setup.controller.send_test_callback()
    assert not outcome.ok and outcome.kind == "not-ours"
    assert "never reached this console" in setup.pane.test_result.text()


@pytest.mark.asyncio
async def test_no_target_says_why(qtbot: QtBot, setup: Setup) -> None:
    assert await setup.click(qtbot) == "Set the receiver's public URL first."
    setup.public_url = "ftp://example.com"
    assert "not an http(s) URL" in await setup.click(qtbot)
