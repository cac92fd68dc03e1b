"""The stream monitor as the agent uses it, against the simulator streaming to the console's own
monitor endpoint: the stream form's toggle fills the URL, a panel appears with moving meters and
a flagged format mismatch, the silence alarm raises its banner, a tone and a checkpoint
round-trip from the buttons, and listening is cleanly unavailable without an audio device."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QMainWindow
from pytestqt.qtbot import QtBot

from console.app.controllers.monitor import MonitorController, public_monitor_url
from console.app.runtime.tasks import TaskRunner
from console.domain.stream_params import ContentType
from console.monitor import MONITOR_PATH
from console.receiver.server import CallbackReceiver
from console.store.event_log import EventLog
from console.ui import monitor_audio
from console.ui.monitor_panel import MonitorPanel
from console.ui.monitor_toggle import MonitorToggle
from console.ui.stream_form import StreamForm
from tests.monitor.conftest import SimThread, mclient, msim, start_stream, wait_for

__all__ = ["mclient", "msim"]  # fixtures used here
pytestmark = [pytest.mark.timeout(60)]


@dataclass
class Console:
    window: QMainWindow
    form: StreamForm
    controller: MonitorController
    errors: list[BaseException]


@pytest.fixture
def no_audio_device(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As on a server or CI runner: no output device (whatever this machine has)."""
    monkeypatch.setattr(monitor_audio, "output_problem", lambda: "No audio output device.")
    yield


@pytest_asyncio.fixture
async def console(qtbot: QtBot, no_audio_device: None) -> AsyncIterator[Console]:
    window = QMainWindow()
    form = StreamForm()
    window.setCentralWidget(form)
    errors: list[BaseException] = []
    tasks = TaskRunner(on_error=lambda name, exc: errors.append(exc))
    controller = MonitorController(window, tasks)
    controller.attach_toggle(MonitorToggle(form))
    window.resize(1000, 900)
    window.show()
    await controller.ensure_started()
    controller.set_demo(True)
    form.set_target_is_simulator(True)
    form.set_call("call-1")
    try:
        yield Console(window, form, controller, errors)
    finally:
        await tasks.cancel_all()
        await controller.stop()
        window.close()
        window.deleteLater()


def only_panel(console: Console) -> MonitorPanel:
    (panel,) = console.controller.area.panels.values()
    return panel


def click_box(qtbot: QtBot, box: QCheckBox) -> None:
    """Click a check box on its indicator (a wide box does not react to a click in its middle)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def select(combo: object, value: str) -> None:
    index = combo.findData(value)  # type: ignore[attr-defined]
    combo.setCurrentIndex(index)  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_the_toggle_fills_the_url_and_follows_the_format(
    console: Console, qtbot: QtBot
) -> None:
    form, toggle = console.form, console.controller.toggle
    assert toggle.isEnabled() and toggle.objectName() == "monitor_in_console"
    form.service_url.setText("wss://mine.example.com/a")
    click_box(qtbot, toggle)
    local = console.controller.local_url
    assert local is not None and local.startswith("ws://127.0.0.1:")
    assert "?key=" in local  # the loopback endpoint takes only connections carrying its key
    assert form.service_url.text() == local + "&format=l16-8000&tracks=inbound"
    assert form.service_url.isReadOnly()
    select(form.content_type, ContentType.MULAW_8K.value)
    assert form.service_url.text().endswith("&format=mulaw-8000&tracks=inbound")
    assert form.current_request() is not None  # a valid request for the simulator
    click_box(qtbot, toggle)
    assert form.service_url.text() == "wss://mine.example.com/a"
    # A real account without a public URL: Plivo could not reach the console; off, says why.
    console.controller.set_demo(False)
    assert not toggle.isEnabled() and "public URL" in toggle.toolTip()
    # With one, the receiver's port relays the monitor's path: the public wss:// URL.
    console.controller.set_public_url("https://abc.ngrok.app/")
    assert toggle.isEnabled() and "wss://abc.ngrok.app/plivo/stream-monitor" in toggle.toolTip()
    click_box(qtbot, toggle)
    key = console.controller.key
    assert len(key) >= 20  # the relay refuses a connection without this run's key
    assert form.service_url.text() == (
        f"wss://abc.ngrok.app/plivo/stream-monitor?key={key}&format=mulaw-8000&tracks=inbound"
    )
    console.controller.set_public_url(None)
    assert not toggle.isChecked() and form.service_url.text() == "wss://mine.example.com/a"
    assert public_monitor_url("http://10.0.0.5:8765") == "ws://10.0.0.5:8765/plivo/stream-monitor"


@pytest.mark.asyncio
async def test_a_panel_shows_meters_a_mismatch_and_the_silence_banner(
    console: Console, qtbot: QtBot, msim: SimThread, mclient: httpx.AsyncClient
) -> None:
    form, controller = console.form, console.controller
    click_box(qtbot, controller.toggle)
    select(form.audio_track, "both")
    asked = form.service_url.text()  # asks for both tracks; the stream below sends one
    call = await msim.live_call()
    stream_id = await start_stream(
        mclient, call, service_url=asked, content_type=ContentType.L16_16K.value
    )
    await wait_for(lambda: controller.area.panels, timeout=15.0, what="a panel")
    panel = only_panel(console)
    assert panel.objectName() == "stream_monitor" and panel.isVisible()
    await wait_for(lambda: "inbound" in panel.track_views, timeout=10.0, what="track view")
    view = panel.track_views["inbound"]
    await wait_for(lambda: view.meter_fraction() > 0.3, timeout=10.0, what="meter moving")
    assert panel.mismatch.isVisible()
    assert "tracks inbound, requested inbound+outbound" in panel.mismatch.text()
    assert "sample rate 16000 Hz, requested 8000 Hz" in panel.mismatch.text()
    assert stream_id in panel.title.text()
    await wait_for(lambda: "320 samples/frame" in panel.stats.text(), what="stats")
    assert panel.problems.text() == "Bad frames: none"
    assert not panel.listen.isEnabled() and "No audio output device" in panel.listen.toolTip()
    assert not panel.play_tone.isEnabled()  # not a bidirectional stream

    panel.silence_after.setValue(1.0)
    await msim.silence(stream_id, ["inbound"])
    await wait_for(panel.silence_banner.isVisible, timeout=10.0, what="silence banner")
    assert "One-way audio? No sound on the inbound track for 1 s" in panel.silence_banner.text()
    await wait_for(lambda: view.meter_fraction() == 0.0, timeout=10.0, what="meter at rest")
    tabs = controller.area.tabs
    await wait_for(lambda: tabs.tabText(0).startswith("⚠"), timeout=5.0, what="tab warning")


@pytest.mark.asyncio
async def test_tone_and_checkpoint_round_trip_from_the_buttons(
    console: Console, qtbot: QtBot, msim: SimThread, mclient: httpx.AsyncClient
) -> None:
    form, controller = console.form, console.controller
    click_box(qtbot, form.bidirectional)
    click_box(qtbot, controller.toggle)
    assert form.service_url.text().endswith("&bidi=1")
    call = await msim.live_call()
    await start_stream(
        mclient, call, service_url=form.service_url.text(), bidirectional=True,
        content_type=ContentType.MULAW_8K.value,
    )  # fmt: skip
    await wait_for(lambda: controller.area.panels, timeout=15.0, what="a panel")
    panel = only_panel(console)
    await wait_for(panel.play_tone.isEnabled, timeout=10.0, what="talk-back enabled")
    qtbot.mouseClick(panel.play_tone, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.checkpoint, Qt.MouseButton.LeftButton)

    def log() -> str:
        return panel.events.toPlainText()

    await wait_for(lambda: "confirmed after" in log(), timeout=15.0, what="playedStream")
    assert "playAudio: 1.00 s sent" in log()
    assert "checkpoint 'check-1' played, confirmed after" in log()
    qtbot.mouseClick(panel.clear, Qt.MouseButton.LeftButton)
    await wait_for(lambda: "clearAudio confirmed" in log(), timeout=15.0, what="clearedAudio")
    assert console.errors == []


@pytest.mark.asyncio
async def test_a_real_accounts_stream_reaches_the_panel_through_the_receivers_port(
    console: Console,
    qtbot: QtBot,
    msim: SimThread,
    mclient: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    """The toggle gives Plivo the public wss:// URL; the tunnel delivers that path and query to
    the callback receiver's port, which relays it to the monitor (here the simulator connects
    to the receiver's port as the tunnel would)."""
    form, controller = console.form, console.controller
    log = EventLog(tmp_path / "events.sqlite3", maintenance_interval_s=0)
    await log.open()
    receiver = CallbackReceiver(log, list, port=0, routes={MONITOR_PATH: controller.forward})
    await receiver.start()
    try:
        controller.set_demo(False)
        controller.set_public_url("https://abc.ngrok.app")
        click_box(qtbot, controller.toggle)
        public = form.service_url.text()
        assert public.startswith("wss://abc.ngrok.app/plivo/stream-monitor?key=")
        assert public.endswith("&format=l16-8000&tracks=inbound")
        tunnel_end = receiver.local_url.replace("http://", "ws://")
        call = await msim.live_call()
        stream_id = await start_stream(
            mclient, call, service_url=public.replace("wss://abc.ngrok.app", tunnel_end),
            content_type=ContentType.L16_8K.value,
        )  # fmt: skip
        await wait_for(lambda: controller.area.panels, timeout=15.0, what="a panel")
        panel = only_panel(console)
        await wait_for(lambda: "inbound" in panel.track_views, timeout=10.0, what="track view")
        view = panel.track_views["inbound"]
        await wait_for(lambda: view.meter_fraction() > 0.3, timeout=10.0, what="meter moving")
        assert stream_id in panel.title.text() and not panel.mismatch.isVisible()
        assert controller.forwarder is not None and controller.forwarder.forwarded == 1
    finally:
        if controller.forwarder is not None:
            await controller.forwarder.close()  # Plivo's side hears 1001, as when quitting
        await receiver.stop(drain_s=1.0)
        await log.close()


def test_without_qt_multimedia_or_a_device_listening_is_skipped_cleanly() -> None:
    speaker = monitor_audio.SpeakerOutput(8000)
    problem = monitor_audio.output_problem()
    if problem:  # this machine: no QtMultimedia or no device
        assert not speaker.available and speaker.problem == problem
        assert speaker.write(b"\x00\x00" * 160) == 0
    speaker.close()
    speaker.close()


def test_the_log_keeps_showing_events_after_the_first_200(qtbot: QtBot) -> None:
    """The session keeps the last 200 events; the panel goes on appending the new ones."""
    from console.domain.monitoring import SessionSnapshot

    panel = MonitorPanel("connection 1")
    qtbot.addWidget(panel)

    def snap(count: int) -> SessionSnapshot:
        events = tuple(f"event {i}" for i in range(max(0, count - 200), count))
        return SessionSnapshot(
            key="connection 1", stream_id="s", call_id="c", announced="", requested="",
            mismatches=(), tracks=(), dtmf="", malformed=0, unknown=0, oversized=0,
            last_problem="", silent_tracks=(), silence_after_s=5.0, events=events,
            can_talk_back=False, recording=(), ended=False, end_reason="", event_count=count,
        )  # fmt: skip

    panel.set_snapshot(snap(200))
    panel.set_snapshot(snap(203))
    lines = panel.events.toPlainText().splitlines()
    assert lines[-4:] == ["event 199", "event 200", "event 201", "event 202"]
    panel.set_snapshot(snap(203))  # nothing new: nothing repeated
    assert panel.events.toPlainText().splitlines()[-2:] == ["event 201", "event 202"]


def test_the_panel_fits_a_narrow_dock_and_uses_a_wide_one(qtbot: QtBot) -> None:
    """Beside a 1280x720 window the dock is ~380 px wide: every control stays inside it (no
    sideways scrolling); below a wide window the controls move next to the meters."""
    from PySide6.QtWidgets import QBoxLayout

    panel = MonitorPanel("connection 1")
    qtbot.addWidget(panel)
    panel.resize(380, 640)
    panel.show()
    qtbot.waitUntil(lambda: panel._columns.direction() == QBoxLayout.Direction.TopToBottom)
    controls = (panel.listen, panel.record, panel.silence_after, panel.tone_hz, panel.play_tone,
                panel.play_wav, panel.checkpoint, panel.clear, panel.events)  # fmt: skip
    for widget in controls:
        right = widget.mapTo(panel, widget.rect().topRight()).x()
        assert 0 < right <= panel.width(), widget.objectName()
    panel.resize(1250, 300)
    qtbot.waitUntil(lambda: panel._columns.direction() == QBoxLayout.Direction.LeftToRight)

    def side_by_side() -> bool:
        meters_right = panel.stats.mapTo(panel, panel.stats.rect().topRight()).x()
        return panel.listen.mapTo(panel, panel.listen.rect().topLeft()).x() > meters_right

    qtbot.waitUntil(side_by_side)
