"""The console's receiver as an agent meets it: the status bar, the settings dialog, the stream
form's "Send status callbacks to this console" toggle, and callbacks landing in the event log."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from console.app.composition import ConsoleApp
from console.app.services.demo import DEMO_PROFILE_ID, DemoBackend
from console.app.services.receiver import ReceiverStatus
from console.credentials import MemoryCredentialStore
from console.domain.accounts import Profile
from console.domain.events import EventFilter, StoredEvent
from console.domain.secret import Secret
from console.domain.signature import sign_request
from console.simulator import Simulator, SimulatorConfig
from tests.app.conftest import wait_for

AUTH_ID = "MAPROFILEACCOUNT0001"
TOKEN = "profile-token-0123456789abcdef0123"


async def _start(console: ConsoleApp) -> asyncio.Future[None]:
    runner = asyncio.ensure_future(console.run())
    await wait_for(console.window.isVisible, what="window")
    await wait_for(lambda: console.receiver.receiver is not None, what="receiver listening")
    return runner


async def _close(console: ConsoleApp, runner: asyncio.Future[None]) -> None:
    console.window.close()
    await runner
    await console.shutdown()


@contextlib.asynccontextmanager
async def demo_console(tmp_path: Path) -> AsyncIterator[ConsoleApp]:
    """Set up inside the test: a console's tasks must not span pytest-asyncio's separate loop
    runs for fixture and test (Qt events processed in between run loop callbacks loop-less)."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)  # never fight over 8765 on a shared machine
    console = ConsoleApp(
        settings, demo=True, data_dir=tmp_path / "data",
        keyring_store=MemoryCredentialStore(), demo_backend=DemoBackend(calls=4, seed=3),
    )  # fmt: skip
    runner = await _start(console)
    await wait_for(lambda: console.receiver.profile is not None, what="demo account active")
    try:
        yield console
    finally:
        await _close(console, runner)


@pytest.mark.asyncio
async def test_demo_stream_with_callbacks_to_the_console(tmp_path: Path) -> None:
    async with demo_console(tmp_path) as demo:
        await _demo_stream(demo)


async def _demo_stream(demo: ConsoleApp) -> None:
    committed: list[StoredEvent] = []
    stats: list[ReceiverStatus] = []
    demo.receiver.feed.events_committed.connect(committed.extend)
    demo.receiver.feed.stats_changed.connect(stats.append)
    indicator = demo.window.receiver_status
    await wait_for(lambda: "listening" in indicator.text(), what="indicator says listening")
    sim = demo.demo_backend.simulator
    assert sim is not None
    region = demo.region.calls
    call = sim.live_call_uuids()[0]
    await wait_for(lambda: region.select_call(call), what="call listed")
    form = demo.pane.form
    await wait_for(lambda: form.callbacks_to_console.isEnabled(), what="toggle usable")
    form.callbacks_to_console.setChecked(True)
    expected = demo.receiver.local_callback_url()
    assert form.status_callback_url.text() == expected and expected.startswith("http://127.0.0.1:")
    assert form.status_callback_url.isReadOnly()
    QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
    await wait_for(lambda: committed, timeout=10, what="StartStream committed")
    first = committed[0]
    assert first.event == "StartStream" and first.call_uuid == call
    assert first.account == sim.config.auth_id
    log = demo.receiver.log
    assert log is not None
    assert await log.count(EventFilter(call_uuid=call)) == 1
    await wait_for(lambda: "1/min" in indicator.text(), what="rate in the status bar")
    assert stats and stats[-1].accepted == 1 and stats[-1].listening


@pytest.mark.asyncio
async def test_indicator_opens_the_dialog_with_help(tmp_path: Path) -> None:
    async with demo_console(tmp_path) as demo:
        _dialog_checks(demo)


def _dialog_checks(demo: ConsoleApp) -> None:
    indicator = demo.window.receiver_status
    QTest.mouseClick(indicator, Qt.MouseButton.LeftButton)
    dialog = demo.receiver.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.public_url.isReadOnly()  # demo: nothing to set up
    assert dialog.public_url.text() == demo.receiver.receiver.local_url  # type: ignore[union-attr]
    assert "Listening on http://127.0.0.1:" in dialog.status.text()
    guide = dialog.help.toPlainText()
    assert "ngrok http" in guide and "cloudflared tunnel --url" in guide
    dialog.close()


@pytest.mark.asyncio
async def test_profile_public_url_enables_the_toggle_and_verifies_its_callbacks(
    tmp_path: Path,
) -> None:
    sim = Simulator(
        SimulatorConfig(auth_id=AUTH_ID, auth_token=TOKEN, calls=3, seed=5, churn=False,
                        media=False, queued_calls=0)
    )  # fmt: skip
    await sim.start("127.0.0.1", 0)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    store = MemoryCredentialStore()
    console = ConsoleApp(settings, keyring_store=store, data_dir=tmp_path / "data")
    profile = console.profiles.save(
        Profile(profile_id="", display_name="Support", auth_id=AUTH_ID, api_base_url=sim.base_url)
    )
    console.profiles.set_current(profile.profile_id)
    await store.set(profile.profile_id, Secret(TOKEN))
    runner = await _start(console)
    try:
        form = console.pane.form
        call = sim.live_call_uuids()[0]
        await wait_for(lambda: console.region.calls.select_call(call), what="call listed")
        await wait_for(lambda: console.pane.call is not None, what="call shown")
        assert not form.callbacks_to_console.isEnabled()  # no public URL yet
        dialog = console.receiver.open_dialog()
        assert dialog.profile_label.text() == "Support"
        dialog.public_url.setText("not a url")
        assert not dialog.save_button.isEnabled() and dialog.error.text()
        public = "https://support-7f3a.ngrok-free.app"
        dialog.public_url.setText(public + "/")
        assert dialog.callback_url.text() == public + "/plivo/stream-status"
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: form.callbacks_to_console.isEnabled(), what="toggle usable")
        assert console.profiles.get(profile.profile_id).public_url == public  # type: ignore[union-attr]
        form.callbacks_to_console.setChecked(True)
        assert form.status_callback_url.text() == public + "/plivo/stream-status"
        QTest.keyClicks(form.service_url, "wss://media.example.com/s")
        await wait_for(form.start_button.isEnabled, what="form valid")
        # What the tunnel delivers: Plivo's request, signed for the public URL, on loopback.
        params = {"Event": "StartStream", "StreamID": "s-1", "CallUUID": call}
        signed = sign_request(TOKEN, "POST", public + "/plivo/stream-status", params)
        local = console.receiver.local_callback_url()
        headers = signed.as_dict() | {"Content-Type": "application/x-www-form-urlencoded"}
        async with aiohttp.ClientSession() as http:
            async with http.post(local, data=urlencode(params), headers=headers) as r:
                assert r.status == 200
            forged = sign_request("not-the-token", "POST", public + "/plivo/stream-status", params)
            headers = forged.as_dict() | {"Content-Type": "application/x-www-form-urlencoded"}
            async with http.post(local, data=urlencode(params), headers=headers) as r:
                assert r.status == 403
        log = console.receiver.log
        assert log is not None
        [event] = await log.newest(EventFilter())
        assert event.account == AUTH_ID and event.event == "StartStream"
        await wait_for(lambda: "1 refused" in console.window.receiver_status.text())
        # editing the account elsewhere keeps the public URL
        console.profiles.save(console.profiles.get(profile.profile_id))  # type: ignore[arg-type]
        assert console.profiles.get(profile.profile_id).public_url == public  # type: ignore[union-attr]
    finally:
        await _close(console, runner)
        await sim.stop()


@pytest.mark.asyncio
async def test_busy_default_port_falls_back_and_says_so(tmp_path: Path) -> None:
    import socket

    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    busy = blocker.getsockname()[1]
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    console = ConsoleApp(
        settings, demo=True, data_dir=tmp_path / "data", keyring_store=MemoryCredentialStore(),
        demo_backend=DemoBackend(calls=2, seed=1),
    )  # fmt: skip
    import console.app.services.receiver as service_module

    original = service_module.DEFAULT_PORT
    service_module.DEFAULT_PORT = busy
    try:
        runner = await _start(console)
        try:
            assert console.receiver.receiver is not None
            assert console.receiver.receiver.port != busy
            assert f"Port {busy} was busy" in console.receiver.snapshot().problem
            await wait_for(
                lambda: "busy" in console.window.receiver_status.toolTip(), what="tooltip"
            )
        finally:
            await _close(console, runner)
    finally:
        service_module.DEFAULT_PORT = original
        blocker.close()
    assert DEMO_PROFILE_ID == "demo"


@pytest.mark.asyncio
async def test_a_full_event_log_says_so_in_the_status_bar(tmp_path: Path) -> None:
    from console.ui.status_indicator import Health

    async with demo_console(tmp_path) as demo:
        log = demo.receiver.log
        assert log is not None
        indicator = demo.window.receiver_status
        await wait_for(lambda: "listening" in indicator.text(), what="indicator says listening")
        log.max_bytes = 1  # callbacks fill the budget: nothing may be deleted to make room
        await log.maintain()
        await wait_for(lambda: "event log is full" in indicator.toolTip(), what="full, said")
        assert indicator.health is Health.WARNING
        assert "answered 503" in indicator.toolTip()
        log.max_bytes = 10**9
        await log.maintain()
        await wait_for(lambda: "full" not in indicator.toolTip(), what="room again, said")
