""" "Send test callback" against real HTTP servers on loopback: each way the path can be broken
gives its own plain sentence. The console's side is real: the callback receiver (aiohttp) writing
to the SQLite event log, whose commits reach the pane through the signal the receiver's feed
carries (`MemoryFeed` relays the log's commit listener). Other servers (a site answering 404, one
answering 200 to anything) are real aiohttp apps.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.app.controllers.events import CallbackTarget, EventsController, ProbeOutcome
from console.app.runtime.tasks import TaskRunner
from console.domain.events import TEST_EVENT, EventFilter
from console.receiver.server import CALLBACK_PATH, CallbackReceiver, Credential, callback_url
from console.store.event_log import EventLog
from console.ui.dialogs import Dialogs
from console.ui.events_model import Column
from console.ui.events_pane import EventsPane
from tests.app.conftest import wait_for
from tests.ui.events_support import MemoryFeed, open_log

AUTH_ID = "MAXXXXXXXXXXXXXXXXX1"
TOKEN = "Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


VERIFIED = (
    "OK: the test event arrived and its signature verified (sent from this computer "
    "through the public URL, not by Plivo)."
)


async def serve(handler: Handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


class Setup:
    """The pane and its controller, the receiver and its log; what the console is told."""

    def __init__(
        self, pane: EventsPane, controller: EventsController, log: EventLog, rx: CallbackReceiver
    ) -> None:
        self.pane, self.controller, self.log, self.receiver = pane, controller, log, rx
        self.public_url = ""  # what the console believes the public URL is
        self.token = TOKEN  # the token the console signs with
        # What the receiver verifies against: the account's token and the URL Plivo was given.
        self.credentials = [Credential(AUTH_ID, TOKEN, rx.local_url + CALLBACK_PATH)]

    async def target(self) -> CallbackTarget | str:
        if not self.public_url:
            return "Set the receiver's public URL first."
        return CallbackTarget(callback_url(self.public_url), self.token)

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
async def setup(qtbot: QtBot, tmp_path: Path) -> AsyncIterator[Setup]:
    pane = EventsPane()
    qtbot.addWidget(pane)
    pane.show()
    tasks = TaskRunner(on_error=lambda name, exc: pytest.fail(f"{name}: {exc!r}"))
    log = await open_log(tmp_path / "events.sqlite3")
    feed = MemoryFeed()
    log.add_listener(feed.events_committed.emit)
    holder: list[Setup] = []
    receiver = CallbackReceiver(log, lambda: holder[0].credentials, port=0)
    await receiver.start()

    async def target() -> CallbackTarget | str:
        return await holder[0].target()

    controller = EventsController(pane, tasks, Dialogs(pane), target)
    holder.append(Setup(pane, controller, log, receiver))
    controller.bind(log, feed)
    yield holder[0]
    log.remove_listener(feed.events_committed.emit)  # the pane may be gone already (qtbot)
    await tasks.cancel_all()
    await receiver.stop()
    await log.close()


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
async def test_ok_when_the_event_arrives_and_verifies(qtbot: QtBot, setup: Setup) -> None:
    setup.public_url = setup.receiver.local_url + "/"  # a trailing slash is forgiven
    text = await setup.click(qtbot)
    assert text == VERIFIED
    await wait_for(lambda: setup.pane.model.rowCount() == 1, what="test event listed")
    event = setup.pane.model.event_at(0)
    assert event.event == TEST_EVENT and event.params["ConsoleTest"] == "true"
    assert event.account == AUTH_ID
    [stored] = await setup.log.newest(EventFilter())
    assert stored.id == event.id
    # Marked as a test where the agent looks: the Event column, and a type of its own.
    model, kinds = setup.pane.model, setup.pane.view_kind
    assert model.index(0, Column.EVENT).data() == "Test callback (sent by this console)"
    kinds.setFocus()
    while kinds.currentText() != "StartStream":
        qtbot.keyClick(kinds, Qt.Key.Key_Down)
    await wait_for(lambda: model.rowCount() == 0, what="not a StartStream")
    qtbot.keyClick(kinds, Qt.Key.Key_End)
    qtbot.keyClick(kinds, Qt.Key.Key_Up)
    assert kinds.currentText() == "Test callbacks"
    await wait_for(lambda: model.rowCount() == 1, what="listed under Test callbacks")


@pytest.mark.asyncio
async def test_signature_mismatch_when_the_public_url_differs(qtbot: QtBot, setup: Setup) -> None:
    # Plivo was given the tunnel's address; the console is set to post to another one.
    setup.credentials = [Credential(AUTH_ID, TOKEN, "https://tunnel.example.com" + CALLBACK_PATH)]
    setup.public_url = setup.receiver.local_url
    text = await setup.click(qtbot)
    assert text.startswith("Signature mismatch (403)")
    assert "exactly the address Plivo calls" in text
    assert setup.receiver.stats.forged == 1 and setup.pane.model.rowCount() == 0


@pytest.mark.asyncio
async def test_signature_mismatch_with_another_token(setup: Setup) -> None:
    setup.public_url = setup.receiver.local_url
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
async def test_wrong_url_when_the_public_url_has_a_path(qtbot: QtBot, setup: Setup) -> None:
    setup.public_url = setup.receiver.local_url + "/console"  # the receiver is at the root
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

    monkeypatch.setattr("console.app.controllers.events.ARRIVAL_WAIT_S", 0.3)
    setup.public_url = await server(says_ok)
    outcome = await setup.controller.send_test_callback()
    assert not outcome.ok and outcome.kind == "not-ours"
    assert "never reached this console" in setup.pane.test_result.text()


@pytest.mark.asyncio
async def test_no_target_says_why(qtbot: QtBot, setup: Setup) -> None:
    assert await setup.click(qtbot) == "Set the receiver's public URL first."
    setup.public_url = "ftp://example.com"
    assert "not an http(s) URL" in await setup.click(qtbot)
