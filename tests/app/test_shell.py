"""The window shell: regions, menus, status bar, layout memory, and a clean, quick shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QSplitter, QWidget

from console.app.composition import ConsoleApp
from console.credentials import MemoryCredentialStore
from tests.app.conftest import make_console, wait_for
from tests.net import free_port, listening


@pytest.mark.asyncio
async def test_window_has_three_regions_menus_and_status(running_console: ConsoleApp) -> None:
    window = running_console.window
    for name in ("calls_region", "call_region", "events_region"):
        region = window.findChild(QWidget, name)
        assert region is not None and region.isVisible(), name
    assert [
        m.title()
        for m in window.menuBar().findChildren(type(window.menuBar().addMenu("x")))
        if m.title() != "x"
    ][:4] == ["&File", "&View", "&Account", "&Help"]
    assert window.account_status.text() == "Account: none"
    assert window.api_status.text().startswith("API:")
    assert window.receiver_status.text() == "Receiver: off"
    welcome = window.calls_region.findChildren(QWidget)
    assert any(getattr(w, "text", lambda: "")() == "Add account…" for w in welcome)


@pytest.mark.asyncio
async def test_close_with_tasks_in_flight_shuts_down_within_budget(
    settings_path: Path, log_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    console = make_console(settings_path, log_dir)
    runner = asyncio.ensure_future(console.run())
    await wait_for(console.window.isVisible)
    cleaned: list[str] = []

    async def stubborn(name: str) -> None:
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.05)  # cleanup that itself awaits
            cleaned.append(name)

    for i in range(5):
        console.tasks.run(f"work-{i}", stubborn(f"work-{i}"))
    assert len(console.tasks) == 5
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    console.window.close()
    await runner
    took = await console.shutdown()
    assert time.monotonic() - started < 3.0 and took < 3.0
    assert sorted(cleaned) == [f"work-{i}" for i in range(5)]
    assert len(console.tasks) == 0
    assert "Task was destroyed" not in caplog.text
    assert not console.window.isVisible()


@pytest.mark.asyncio
async def test_splitter_layout_is_remembered(settings_path: Path, log_dir: Path) -> None:
    first = make_console(settings_path, log_dir)
    runner = asyncio.ensure_future(first.run())
    await wait_for(first.window.isVisible)
    first.window.top_splitter.setSizes([400, 840])
    wanted = first.window.top_splitter.sizes()
    first.window.close()
    await runner
    await first.shutdown()

    second = make_console(settings_path, log_dir)
    runner = asyncio.ensure_future(second.run())
    await wait_for(second.window.isVisible)
    got = second.window.findChild(QSplitter, "top_splitter").sizes()
    # restoreGeometry clamps the window to the (small) offscreen screen, so compare proportions.
    assert got[0] / sum(got) == pytest.approx(wanted[0] / sum(wanted), abs=0.01)
    assert got[0] / sum(got) != pytest.approx(760 / 1400, abs=0.05)  # not the default layout
    second.window.close()
    await runner
    await second.shutdown()


def test_process_starts_paints_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "console", "--benchmark-paint"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("first-paint"), line
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        out, err = proc.communicate(timeout=10)
        assert time.monotonic() - started < 3.0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "shutdown" in out
    assert "Traceback" not in err and "Task was destroyed" not in err
    log = tmp_path / "data" / "StreamConsole" / "stream-console" / "logs" / "stream-console.log"
    assert "shut down in" in log.read_text()


@pytest.mark.asyncio
@pytest.mark.parametrize("turns", [0, 2, 5, 10, 20])
async def test_closed_while_the_receiver_starts_leaves_no_port_or_thread(
    tmp_path: Path, settings_path: Path, log_dir: Path, turns: int
) -> None:
    """The agent closes the window the moment it appears: the receiver's start (log open, bind)
    is cut short at some point, and nothing it opened may outlive the console."""
    threads_before = {t.name for t in threading.enumerate()}
    port = free_port()
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", port)
    console = ConsoleApp(
        settings, log_dir=log_dir, data_dir=tmp_path / "data",
        keyring_store=MemoryCredentialStore(),
    )  # fmt: skip
    runner = asyncio.ensure_future(console.run())
    await wait_for(console.window.isVisible)
    for _ in range(turns):
        await asyncio.sleep(0)
    console.window.close()
    await runner
    await console.shutdown()
    assert not listening(port)
    left = {t.name for t in threading.enumerate()} - threads_before
    assert not {"callback-receiver", "event-log-writer"} & left, left


@pytest.mark.asyncio
async def test_start_up_titles_the_window_once_and_starts_services_after_the_first_calls(
    tmp_path: Path,
) -> None:
    from console.app.services.demo import DemoBackend
    from console.app.shell import DEMO_TITLE, build_main_window
    from console.ui.events_pane import EventsPane

    window = build_main_window(demo=True)  # as first painted, before the services load
    titles: list[str] = []
    window.windowTitleChanged.connect(titles.append)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    console = ConsoleApp(
        settings, demo=True, window=window, data_dir=tmp_path / "data",
        keyring_store=MemoryCredentialStore(), demo_backend=DemoBackend(calls=3, seed=5),
    )  # fmt: skip
    assert not console.pane.has_form  # built with its first use, after the window is usable
    runner = asyncio.ensure_future(console.run())
    try:
        await wait_for(console.usable.is_set, what="usable")
        assert console.region.calls.empty.title.text() == "Loading calls…"
        # The receiver, team database and activity history: built with the services.
        assert console.activity_log is None and console.history.history is None
        assert window.receiver_status.text() == "Receiver: off"
        assert not isinstance(window.events_region, EventsPane)  # the placeholder, so far
        await wait_for(console.first_calls.is_set, timeout=10, what="first calls listed")
        assert console.region.calls.model.rowCount() == 3
        # The account's activation built the form; its setups and the monitor's switch attached.
        assert console.pane.has_form and console.monitor.toggle is not None
        assert console.setups.form is console.form
        await wait_for(console.services_ready.is_set, timeout=10, what="services started")
        assert console.receiver.receiver is not None
        assert console.activity_log is not None and console.history.history is console.activity_log
        # The event pane and the reactions were built before the receiver could call back.
        assert isinstance(window.events_region, EventsPane)
        assert window.events_region is console.events_pane
        assert console.reactions.feed is console.receiver.feed
        assert window.windowTitle() == DEMO_TITLE
        assert "Stream Console" not in titles  # never the bare name on the way
        # A call picked: the form (built before the event pane replaced its placeholder) is
        # whole, its setups menu too, and the console still closes cleanly (below).
        first = console.calls_view.model.uuids[0]
        await wait_for(lambda: console.calls_view.select_call(first), what="a call picked")
        await wait_for(lambda: console.pane.call is not None, what="a call shown")
        await asyncio.sleep(0.2)  # deferred deletions run
        actions = console.form.setup_picker.menu.actions()
        assert console.form.setup_picker.update_action in actions
    finally:
        console.window.close()
        await runner
        await console.shutdown()


@pytest.mark.asyncio
async def test_the_app_settles_its_heap_once_every_service_has_started(tmp_path: Path) -> None:
    """What started stays until the console closes: later full collections skip it."""
    import gc

    from console.app.services.demo import DemoBackend

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    console = ConsoleApp(
        settings, demo=True, data_dir=tmp_path / "data", keyring_store=MemoryCredentialStore(),
        demo_backend=DemoBackend(calls=3, seed=5), settle_heap=True,
    )  # fmt: skip
    runner = asyncio.ensure_future(console.run())
    try:
        await wait_for(console.first_calls.is_set, timeout=10, what="first calls listed")
        await wait_for(console.services_ready.is_set, timeout=10, what="services started")
        assert gc.get_freeze_count() > 0
    finally:
        console.window.close()
        await runner
        await console.shutdown()
    assert gc.get_freeze_count() == 0


@pytest.mark.asyncio
async def test_the_status_lights_answer_before_the_services_are_built(tmp_path: Path) -> None:
    """Before the first calls are listed the receiver and the team database are not built, yet
    their lights say what is coming and open their settings (building them then)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("team/url", "postgresql://stream@127.0.0.1:1/console")
    settings.setValue("team/enabled", True)
    console = ConsoleApp(
        settings, data_dir=tmp_path / "data", keyring_store=MemoryCredentialStore()
    )
    window = console.window
    try:
        window.show()
        assert window.team_status.text() == "Team database: starting…"
        assert window.receiver_status.text() == "Receiver: off"
        assert console.activity_log is None  # nothing built yet
        QTest.mouseClick(window.receiver_status, Qt.MouseButton.LeftButton)
        await wait_for(
            lambda: console.receiver.dialog is not None and console.receiver.dialog.isVisible(),
            what="the receiver's settings",
        )
        console.receiver.dialog.close()  # type: ignore[union-attr]
        window.team_status.setFocus()
        QTest.keyClick(window.team_status, Qt.Key.Key_Return)
        await wait_for(
            lambda: console.team.dialog is not None and console.team.dialog.isVisible(),
            what="the team database's settings",
        )
        assert "starting…" not in window.team_status.text()  # the service says for itself now
        console.team.dialog.close()  # type: ignore[union-attr]
    finally:
        window.close()
        await console.shutdown()
