"""The composed console against the simulator on loopback, with markup in everything that comes
from outside: caller names and numbers (set through the simulator's admin API), Plivo's error
text (a real HTTP front on loopback that passes requests to the simulator and, when told, answers
one kind of request with a Plivo error body carrying the markup), and the account's name. Every
path shows the literal text; then a guard walks every QLabel of every window and dialog on screen
and fails on one left to guess rich text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMessageBox, QWidget

from console.api.errors import ErrorDetail, ServerError
from console.app.composition import ConsoleApp
from console.app.controllers.api_status import API_BANNER
from console.credentials import MemoryCredentialStore
from console.domain.accounts import Profile
from console.domain.secret import Secret
from console.simulator import Simulator, SimulatorConfig
from console.ui.activity_dialog import COLUMNS
from console.ui.plain_text import ESCAPED_RICH_TEXT, rendered_tooltip
from tests.app.conftest import make_console, wait_for
from tests.ui.test_markup_is_text import HOSTILE

AUTH_ID = "MAMARKUPISTEXTTEST01"
TOKEN = "markup-is-text-token"
IMG = "<img src=file:///etc/passwd>"
ALERT = '<span style="font-size:28px;color:red">URGENT: read your token aloud</span>'
ERROR_TEXT = f"{ALERT} <a href='https://evil.example/'>here</a>"
ACCOUNT = "<b>Support</b> <i>EU</i>"


class HostileFront:
    """Passes every request to the simulator, except the kinds in `fail`, which get a Plivo error
    body whose `error` is `text`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.fail: dict[str, int] = {}
        self.text = ERROR_TEXT
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @staticmethod
    def kind(request: web.Request) -> str:
        parts = [p for p in request.path.split("/") if p]  # v1 Account {id} Call [uuid [Stream]]
        if parts[3:] == ["Call"]:
            return "list_calls"
        if len(parts) == 6 and parts[5] == "Stream":
            return "start" if request.method == "POST" else "list_streams"
        return "other"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        status = self.fail.get(self.kind(request))
        if status is not None:
            body = json.dumps({"api_id": "hostile-api-id", "error": self.text})
            return web.Response(status=status, text=body, content_type="application/json")
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, headers=headers,
            data=await request.read(),
        ) as answer:  # fmt: skip
            return web.Response(
                status=answer.status, body=await answer.read(),
                content_type=answer.content_type,
            )  # fmt: skip


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(
        SimulatorConfig(auth_id=AUTH_ID, auth_token=TOKEN, calls=2, seed=5, churn=False,
                        media=False, queued_calls=0)
    )  # fmt: skip
    await simulator.start("127.0.0.1", 0)
    yield simulator
    await simulator.stop()


@pytest_asyncio.fixture
async def front(sim: Simulator) -> AsyncIterator[HostileFront]:
    proxy = HostileFront(sim.base_url)
    await proxy.start()
    yield proxy
    await proxy.stop()


async def _admin_add_call(sim: Simulator, **fields: object) -> str:
    """A live call added the way a trainer would: the simulator's admin API over HTTP."""
    async with httpx.AsyncClient(auth=(AUTH_ID, TOKEN)) as client:
        answer = await client.post(f"{sim.base_url}/_sim/calls", json={"count": 1, **fields})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["call_uuids"][0])


def _assert_plain(label: QLabel, contains: str) -> None:
    assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    assert contains in label.text()


def unguarded_labels() -> list[str]:
    """Every visible QLabel on screen that would guess rich text: the guard."""
    found = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible() or isinstance(top, QFileDialog):
            continue
        for label in [top, *top.findChildren(QWidget)]:
            if not isinstance(label, QLabel):
                continue
            if label.textFormat() == Qt.TextFormat.PlainText or label.property(ESCAPED_RICH_TEXT):
                continue
            if not label.text() and label.objectName().startswith("qt_"):
                continue  # Qt's own icon labels (a pixmap, no text)
            found.append(f"{type(top).__name__}/{label.objectName() or label.text()!r}")
    return found


@pytest.mark.asyncio
async def test_markup_from_outside_is_shown_as_text_everywhere(
    tmp_path: Path, sim: Simulator, front: HostileFront
) -> None:
    hostile = await _admin_add_call(sim, caller_name=ALERT, **{"from": IMG})
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store = MemoryCredentialStore()
    console = ConsoleApp(
        settings, keyring_store=store, data_dir=tmp_path / "data", refresh_interval_s=0.3
    )
    profile = console.profiles.save(
        Profile(profile_id="", display_name=ACCOUNT, auth_id=AUTH_ID, api_base_url=front.base_url)
    )
    console.profiles.set_current(profile.profile_id)
    await store.set(profile.profile_id, Secret(TOKEN))
    runner = asyncio.ensure_future(console.run())
    try:
        view, pane = console.region.calls, console.pane
        await wait_for(lambda: view.model.row_of(hostile) is not None, what="hostile call listed")
        # Calls list: cells and their tooltips show the literal caller name and number.
        row = view.model.row_of(hostile)
        assert row is not None
        cells = [view.model.index(row, c, QModelIndex()) for c in range(view.model.columnCount())]
        assert {IMG, ALERT} <= {c.data() for c in cells}
        for cell in cells:
            assert rendered_tooltip(cell.data(Qt.ItemDataRole.ToolTipRole)) == cell.data()
        # Call pane header.
        await wait_for(lambda: view.select_call(hostile), what="call selected")
        await wait_for(lambda: pane.call is not None and pane.call.call_uuid == hostile)
        _assert_plain(pane.title, IMG)
        _assert_plain(pane.meta, f"caller: {ALERT}")
        # Start result, success then Plivo's error text.
        form = pane.form
        QTest.keyClicks(form.service_url, "wss://media.example.com/ok")
        form.start_button.click()
        await wait_for(lambda: form.result.stream_id.field.text() != "", what="stream started")
        _assert_plain(form.result.headline, "Stream started")
        front.fail["start"] = 400
        await wait_for(lambda: form.start_button.isEnabled(), what="form ready again")
        form.service_url.setText("wss://media.example.com/refused")
        form.start_button.click()
        await wait_for(lambda: ERROR_TEXT in form.result.message, what="refusal shown")
        # The headline keeps to two lines (elided); its start shows the markup as typed.
        _assert_plain(form.result.headline, ERROR_TEXT[:40])
        # Streams status line.
        front.fail["list_streams"] = 500
        pane.refresh_button.click()
        await wait_for(lambda: ERROR_TEXT in pane.streams_status.text(), what="streams error")
        _assert_plain(pane.streams_status, ERROR_TEXT)
        # Stop-all confirmation names the call by its (hostile) number.
        front.fail.pop("list_streams")
        pane.stop_all_button.click()
        box = await _confirmation()
        assert box.textFormat() == Qt.TextFormat.PlainText and IMG in box.text()
        # API banner with Plivo's text; the account's own name on the status bar.
        front.fail["list_calls"] = 500
        banners = console.window.banners
        await wait_for(lambda: API_BANNER in banners.active_keys(), timeout=15, what="banner")
        banner = banners.banner(API_BANNER)
        assert banner is not None
        _assert_plain(banner.text, ERROR_TEXT)
        _assert_plain(console.window.account_status.label, ACCOUNT)
        assert console.window.windowTitle() == ACCOUNT  # a window title is always plain text
        # Activity history: the refused start's detail.
        console.window.findChild(QAction, "activity_action").trigger()
        activity = console.activity.dialog
        assert activity is not None
        await wait_for(lambda: activity.table.rowCount() >= 2, what="history rows")
        column = COLUMNS.index("Detail")
        details = [activity.table.item(r, column) for r in range(activity.table.rowCount())]
        refused = [d for d in details if d is not None and ERROR_TEXT in d.text()]
        assert refused and rendered_tooltip(refused[0].toolTip()) == refused[0].text()
        names = {activity.table.item(r, COLUMNS.index("Account")).text() for r in range(2)}
        assert names == {ACCOUNT}  # the literal account name
        # Account dialog lists the account by its literal name.
        dialog = console.accounts.open_dialog()
        item = dialog.profiles_list.item(0)
        assert item is not None and item.text().startswith(ACCOUNT)
        # The guard: nothing on screen (main window, every dialog open) is left to guess.
        code = form.open_code_dialog()
        assert code is not None and code.isVisible()
        assert unguarded_labels() == []
        code.reject()
        box.reject()
    finally:
        console.window.close()
        await runner
        await console.shutdown()


async def _confirmation() -> QMessageBox:
    found: list[QMessageBox] = []

    def visible() -> bool:
        tops = QApplication.topLevelWidgets()
        found[:] = [w for w in tops if isinstance(w, QMessageBox) and w.isVisible()]
        return bool(found)

    await wait_for(visible, what="confirmation")
    return found[0]


def test_api_status_banners_show_any_markup_literally(settings_path: Path, log_dir: Path) -> None:
    """Hypothesis through the app layer's own reporting (ApiStatus) into the composed window."""
    console = make_console(settings_path, log_dir)
    try:
        fuzz = settings(max_examples=40, suppress_health_check=list(HealthCheck))

        @fuzz
        @given(message=HOSTILE, plivo=HOSTILE, account=HOSTILE)
        def check(message: str, plivo: str, account: str) -> None:
            error = ServerError(message, ErrorDetail(method="GET", path="Call/", status=502,
                                                     plivo_error=plivo))  # fmt: skip
            console.status.failed(error, account)
            banner = console.window.banners.banner(API_BANNER)
            assert banner is not None
            _assert_plain(banner.text, message)
            _assert_plain(banner.detail, plivo)
            tip = console.window.api_status.toolTip()
            assert rendered_tooltip(tip) == message

        check()
    finally:
        console.window.close()
