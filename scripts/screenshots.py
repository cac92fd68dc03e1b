"""Render the README's screenshots from the real console, on the embedded simulator.

    make screenshots        (runs this under Xvfb with a throwaway keyring and HOME)

Writes docs/screenshots/{first-run,main-window,main-window-dark,main-window-1280x720,
main-window-1920x1080,account-dialog,banner,activity-history,monitor,monitor-both-tracks,
service-check-passed,service-check-failed,receiver-warning}.png, then the stream form's own set
(scripts/screenshots_stream_form.py). `--only monitor` renders the two monitor ones alone,
`--only service-check` the two service-check ones.
"""

from __future__ import annotations

import asyncio
import runpy
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import qasync
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtWidgets import QWidget

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from console.app.composition import ConsoleApp  # noqa: E402
from console.app.gui import make_application  # noqa: E402
from console.app.services.demo import DemoBackend  # noqa: E402
from console.credentials import MemoryCredentialStore  # noqa: E402
from console.ui.monitor_panel import MonitorPanel  # noqa: E402
from console.ui.palette import accessible_palette, dark_reference  # noqa: E402


async def until(cond: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError("screenshot scene did not come up")
        await asyncio.sleep(0.05)


async def settle(seconds: float = 0.6) -> None:
    await asyncio.sleep(seconds)


def grab(widget: QWidget, path: Path) -> None:
    # No processEvents() here: a nested event loop inside a coroutine would run other tasks
    # re-entrantly. The scenes `await settle()` before grabbing instead.
    widget.grab().save(str(path))
    print(f"wrote {path}")


async def console_scene(out: Path, workdir: Path, *, dark: bool = False) -> None:
    settings = QSettings(
        str(workdir / ("dark.ini" if dark else "light.ini")), QSettings.Format.IniFormat
    )
    console = ConsoleApp(
        settings, keyring_store=MemoryCredentialStore(), data_dir=workdir / "data",
        demo_backend=DemoBackend(calls=14, seed=7), refresh_interval_s=1.0,
    )  # fmt: skip
    window = console.window
    window.resize(1400, 880)
    runner = asyncio.ensure_future(console.run())
    await until(window.isVisible)
    await settle()
    if not dark:
        grab(window, out / "first-run.png")
    console.select_profile("demo")
    view = console.region.calls
    await until(lambda: view.model.rowCount() >= 14)
    await settle(2.0)  # let the demo's calls age a little so durations read naturally
    view.select_call(view.model.uuids[3])
    await until(lambda: console.pane.call is not None)
    form = console.pane.form
    await until(form.callbacks_to_console.isEnabled)
    form.callbacks_to_console.setChecked(True)  # the event pane shows what Plivo reports
    sink = form.service_url.text()  # the demo's own media sink: streams that really connect
    for n in range(4):  # a few streams, so the event pane has rows to show
        form.service_url.setText(sink if n == 0 else f"{sink}{'&' if '?' in sink else '?'}n={n}")
        await until(form.start_button.isEnabled)
        form.start_button.click()
        await until(lambda n=n: console.pane.streams.active_count() == n + 1)
        await settle(0.5)
    await settle(1.0)
    form.service_url.setText("wss://transcribe.example.com/live")
    form.bidirectional.setChecked(True)
    form.extra_headers.setText("ticket=48213,agent=ann")
    form.start_button.click()
    await until(lambda: console.pane.streams.rowCount() == 5)
    await until(lambda: console.events_pane.model.rowCount() >= 5)
    await settle(1.5)
    grab(window, out / ("main-window-dark.png" if dark else "main-window.png"))
    if not dark:
        # The laptop screen the layout is held to, and a full-HD desktop.
        banners = window.banners
        for width, height in ((1280, 720), (1920, 1080)):
            window.resize(width, height)
            await settle(1.0)
            for key in banners.active_keys():  # the agent has read the drop banner: closed
                banners.dismiss(key)
            await settle(0.3)
            grab(window, out / f"main-window-{width}x{height}.png")
        window.resize(1400, 880)
        await activity_and_dialogs(console, out)
        await banner_scene(console, out)
    window.close()
    await runner
    await console.shutdown()


async def activity_and_dialogs(console: ConsoleApp, out: Path) -> None:
    dialog = console.activity.open_dialog()
    dialog.resize(1150, 300)
    await until(lambda: dialog.table.rowCount() >= 2)
    await settle()
    grab(dialog, out / "activity-history.png")
    dialog.close()
    accounts = console.accounts.open_dialog(new=True)
    accounts.display_name.setText("Support EU")
    accounts.auth_id.setText("MA123")
    accounts.auth_token.setText("secret-token")
    await settle()
    grab(accounts, out / "account-dialog.png")
    accounts.close()


async def banner_scene(console: ConsoleApp, out: Path) -> None:
    simulator = console.demo_backend.simulator
    assert simulator is not None
    simulator.faults.update({"error_rate": 1.0, "error_status": 503})
    banners = console.window.banners
    await until(lambda: "api" in banners.active_keys(), timeout=30)
    await settle()
    top = banners.mapTo(console.window, banners.rect().topLeft())
    height = top.y() + banners.height() + 260
    console.window.grab().copy(0, 0, console.window.width(), height).save(str(out / "banner.png"))
    print(f"wrote {out / 'banner.png'}")
    simulator.faults.reset()


async def monitor_scene(out: Path, workdir: Path, size: tuple[int, int] = (1280, 720)) -> None:
    """Two demo streams monitored in the console, at 1280x720. Plivo allows only the inbound
    track on a bidirectional stream, so: monitor-both-tracks.png, an L16 16 kHz stream of both
    tracks with both meters moving; monitor.png, a bidirectional stream with a tone played into
    the call and its checkpoint confirmed."""
    settings = QSettings(str(workdir / "monitor.ini"), QSettings.Format.IniFormat)
    console = ConsoleApp(
        settings, keyring_store=MemoryCredentialStore(), data_dir=workdir / "monitor-data",
        demo_backend=DemoBackend(calls=8, seed=11), refresh_interval_s=1.0,
    )  # fmt: skip
    window = console.window
    window.resize(*size)
    runner = asyncio.ensure_future(console.run())
    await until(window.isVisible)
    await settle()
    console.select_profile("demo")
    view = console.region.calls
    await until(lambda: view.model.rowCount() >= 5, timeout=30)
    form, monitor = console.pane.form, console.monitor

    async def monitored(call: int, *, bidirectional: bool) -> MonitorPanel:
        view.select_call(view.model.uuids[call])
        await until(lambda: console.pane.call is not None and monitor.toggle.isEnabled())
        form.content_type.setCurrentIndex(form.content_type.findData("audio/x-l16;rate=16000"))
        form.bidirectional.setChecked(bidirectional)
        if not bidirectional:
            form.audio_track.setCurrentIndex(form.audio_track.findData("both"))
        monitor.toggle.setChecked(True)
        before = set(monitor.sessions)
        await until(form.start_button.isEnabled)
        form.start_button.click()
        await until(lambda: set(monitor.sessions) - before)
        (key,) = set(monitor.sessions) - before
        panel = monitor.panel(key)
        assert panel is not None
        tracks = 1 if bidirectional else 2
        await until(lambda: len(panel.track_views) == tracks)
        await until(lambda: all(v.meter_fraction() > 0.4 for v in panel.track_views.values()))
        return panel

    await monitored(1, bidirectional=False)
    await settle(2.0)  # a couple of seconds of waveform
    grab(window, out / "monitor-both-tracks.png")
    panel = await monitored(3, bidirectional=True)
    await until(panel.play_tone.isEnabled)
    panel.play_tone.click()
    panel.checkpoint.click()
    await until(lambda: "confirmed after" in panel.events.toPlainText())
    await settle(2.0)  # a little more waveform
    await until(lambda: all(v.meter_fraction() > 0.4 for v in panel.track_views.values()))
    grab(window, out / "monitor.png")
    window.close()
    await runner
    await console.shutdown()


async def service_check_scene(out: Path, workdir: Path) -> None:
    """Check service on the demo's good example, then on its broken one (closes at start)."""
    settings = QSettings(str(workdir / "check.ini"), QSettings.Format.IniFormat)
    console = ConsoleApp(
        settings, keyring_store=MemoryCredentialStore(), data_dir=workdir / "check-data",
        demo_backend=DemoBackend(calls=6, seed=7),
    )  # fmt: skip
    window = console.window
    window.resize(1280, 720)
    runner = asyncio.ensure_future(console.run())
    await until(window.isVisible)
    console.select_profile("demo")
    view = console.region.calls
    await until(lambda: view.model.rowCount() >= 6)
    view.select_call(view.model.uuids[1])
    await until(lambda: console.pane.call is not None)
    form = console.pane.form
    sim = console.demo_backend.simulator
    assert sim is not None
    for name, url in (("passed", sim.media_sink_url), ("failed", sim.refusing_sink_url)):
        form.service_url.setText(url)
        done = len(console.service_check.reports)
        form.check_button.click()
        await until(lambda done=done: len(console.service_check.reports) > done, timeout=30)
        await settle(0.5)
        dialog = console.service_check.dialog
        assert dialog is not None
        grab(dialog, out / f"service-check-{name}.png")
    window.close()
    await runner
    await console.shutdown()


async def setups_scene(out: Path, workdir: Path) -> None:
    """stream-setups.png (`--only setups`): the setup picker, one setup chosen and changed."""
    from console.domain.setups import StreamSetup

    settings = QSettings(str(workdir / "setups.ini"), QSettings.Format.IniFormat)
    console = ConsoleApp(
        settings, keyring_store=MemoryCredentialStore(), data_dir=workdir / "setups-data",
        demo_backend=DemoBackend(calls=6, seed=7),
    )  # fmt: skip
    window = console.window
    window.resize(1280, 720)
    runner = asyncio.ensure_future(console.run())
    await until(window.isVisible)
    console.select_profile("demo")
    view = console.region.calls
    await until(lambda: view.model.rowCount() >= 6)
    view.select_call(view.model.uuids[1])
    await until(lambda: console.pane.call is not None)
    for setup in (
        StreamSetup("Sales bot", "wss://bot.example.com/sales", bidirectional=True,
                    callbacks_to_console=True, extra_headers="team=sales"),
        StreamSetup("Transcription EU", "wss://transcribe.example.com/live",
                    audio_track="both", content_type="audio/x-l16;rate=16000"),
        StreamSetup("QA recorder", "wss://qa.example.com/record", stream_timeout="3600"),
    ):  # fmt: skip
        console.setups.save_new(setup)
    console.setups.set_default("Sales bot")
    form = console.pane.form
    form.set_setups(console.setups.setups, default="Sales bot", chosen="Sales bot")
    form.apply_setup(console.setups.setups[0])
    form.extra_headers.setText("team=sales,ticket=48213")
    await settle(1.0)
    # The Setups menu open beside the form: a popup is a window of its own, so the screen is
    # grabbed where the pane is (Xvfb has no compositor to get in the way).
    button = form.setup_picker.menu_button
    menu = form.setup_picker.menu
    below = button.mapToGlobal(button.rect().bottomRight())
    menu.popup(below - QPoint(menu.sizeHint().width(), 0))  # inside the window, as Qt would
    await settle(0.6)
    corner = console.pane.mapToGlobal(console.pane.rect().topLeft())
    pane = console.pane.size()
    shot = window.screen().grabWindow(0, corner.x(), corner.y(), pane.width(), pane.height())
    shot.save(str(out / "stream-setups.png"))
    print(f"wrote {out / 'stream-setups.png'}")
    menu.hide()
    window.close()
    await runner
    await console.shutdown()


def receiver_warning_scene(out: Path) -> None:
    """The Receiver dialog for a real account given a public URL the internet cannot reach."""
    from PySide6.QtWidgets import QApplication

    from console.ui.receiver_dialog import ReceiverDialog

    dialog = ReceiverDialog()
    dialog.set_profile("Support EU", "http://127.0.0.1:8765", demo=False)
    dialog.show()
    for _ in range(5):
        QApplication.processEvents()  # outside any coroutine: no task runs re-entrantly
    grab(dialog, out / "receiver-warning.png")
    dialog.close()


def main(out: Path, only: str = "") -> int:
    out.mkdir(parents=True, exist_ok=True)
    app = make_application()
    if only in ("", "receiver-warning"):
        receiver_warning_scene(out)
    if only == "receiver-warning":
        return 0
    with (
        tempfile.TemporaryDirectory() as tmp,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        if only in ("", "setups"):
            runner.run(setups_scene(out, Path(tmp)))
        if only == "setups":
            return 0
        if only in ("", "service-check"):
            runner.run(service_check_scene(out, Path(tmp)))
        if only == "service-check":
            return 0
        runner.run(monitor_scene(out, Path(tmp)))
        if only == "monitor":
            return 0
        runner.run(console_scene(out, Path(tmp)))
        # What a desktop in dark mode hands Qt (Xvfb has no platform theme to ask).
        light = app.palette()
        app.setStyle("Fusion")
        app.setPalette(accessible_palette(dark_reference()))  # as the console fixes it
        runner.run(console_scene(out, Path(tmp), dark=True))
        app.setPalette(light)
    sys.argv = [sys.argv[0], str(out)]
    runpy.run_path(str(REPO / "scripts" / "screenshots_stream_form.py"), run_name="__main__")
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--only"]
    scenes = ("monitor", "service-check", "receiver-warning", "setups")
    only = next((a for a in args if a in scenes), "") if "--only" in sys.argv[1:] else ""
    paths = [a for a in args if a not in scenes]
    sys.exit(main(Path(paths[0] if paths else "docs/screenshots"), only))
