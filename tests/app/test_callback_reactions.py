"""The rest of the screen reacts to status callbacks: the composed demo console, the simulator
posting real signed callbacks to the console's receiver, the event log and activity history in
real SQLite files. The refresh interval is long, so what changes is proven to come from the
callbacks and not from asking Plivo again."""

from __future__ import annotations

import asyncio
import html
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow, QSystemTrayIcon

from console.app.composition import ConsoleApp
from console.app.services.demo import DemoBackend
from console.credentials import MemoryCredentialStore
from console.domain.activity import Action
from console.domain.events import EventFilter
from console.ui.desktop_notifier import (
    NO_TRAY,
    OFF,
    SHOW,
    WINDOW_ACTIVE,
    DesktopNotifier,
    notification_body,
    notification_decision,
)
from console.ui.streams_model import StreamColumn
from tests.app.conftest import wait_for

# Library text as Plivo sends it, with markup that must show as typed (never as bold).
REASON = (
    "could not connect to service_url after 3 attempts (ClientConnectorDNSError: Cannot connect "
    "to host <b>bad</b>.invalid:443 ssl:default [Name or service not known])"
)
PLAIN = "Plivo could not find the stream URL's host (<b>bad</b>.invalid): check the URL"


def test_notification_decision() -> None:
    assert notification_decision(enabled=True, window_active=False, tray_available=True) == SHOW
    assert notification_decision(enabled=False, window_active=False, tray_available=True) == OFF
    assert (
        notification_decision(enabled=True, window_active=True, tray_available=True)
        == WINDOW_ACTIVE
    )
    assert notification_decision(enabled=True, window_active=False, tray_available=False) == NO_TRAY


def test_no_system_tray_is_skipped_cleanly_and_the_setting_persists(
    qtbot: object, tmp_path: Path
) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen: no tray to show them in
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = QMainWindow()  # never shown, so never the active window
    notifier = DesktopNotifier(settings, window)
    assert notifier.enabled  # on by default
    assert notifier.notify("Stream dropped", "A stream dropped") == NO_TRAY
    assert notifier.shown == []
    notifier.action.trigger()  # the agent unticks it in the View menu
    assert notifier.notify("Stream dropped", "A stream dropped") == OFF
    settings.sync()
    again = DesktopNotifier(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), window)
    assert not again.enabled


MARKUP = 'closed <b>1011</b> & <a href="https://evil.example">click</a> <img src="x">'


def test_a_notification_body_is_escaped_for_the_notification_servers_markup(
    qtbot: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[tuple[str, str]] = []
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    monkeypatch.setattr(
        QSystemTrayIcon, "showMessage", lambda _tray, title, body, *_: handed.append((title, body))
    )
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    notifier = DesktopNotifier(settings, QMainWindow())
    assert notifier.notify("Stream dropped", f"A stream dropped: {MARKUP}") == SHOW
    body = (
        'A stream dropped: closed &lt;b&gt;1011&lt;/b&gt; &amp; &lt;a href="https://evil.example"'
        '&gt;click&lt;/a&gt; &lt;img src="x"&gt;'
    )
    assert handed == [("Stream dropped", body)] == notifier.shown
    assert "<" not in body and ">" not in body


@pytest.mark.parametrize("platform", ["linux", "freebsd14"])
def test_notification_bodies_are_escaped_where_freedesktop_servers_show_them(
    platform: str,
) -> None:
    assert notification_body("a < b && c > d", platform) == "a &lt; b &amp;&amp; c &gt; d"


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_notification_bodies_stay_plain_where_the_system_shows_plain_text(platform: str) -> None:
    assert notification_body(MARKUP, platform) == MARKUP


@pytest.mark.asyncio
async def test_a_drop_reaches_table_counts_banner_history_and_timeline(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    settings.setValue("notifications/desktop", False)
    console = ConsoleApp(
        settings,
        demo=True,
        data_dir=tmp_path / "data",
        keyring_store=MemoryCredentialStore(),
        refresh_interval_s=600,  # no periodic refresh during the test
        demo_backend=DemoBackend(calls=3, seed=7),
    )
    runner = asyncio.ensure_future(console.run())
    try:
        assert not console.notifier.enabled  # the stored setting is honoured
        await wait_for(lambda: console.receiver.receiver is not None, timeout=10, what="receiver")
        await wait_for(lambda: console.reactions.reader is not None, timeout=10, what="log bound")
        sim = console.demo_backend.simulator
        assert sim is not None
        call = sim.live_call_uuids()[0]
        calls = console.region.calls
        await wait_for(lambda: calls.select_call(call), timeout=10, what="call listed")
        pane = console.pane
        form = pane.form
        await wait_for(lambda: form.callbacks_to_console.isEnabled(), what="toggle usable")
        form.callbacks_to_console.setChecked(True)
        QTest.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
        await wait_for(lambda: form.reported_stream_id(call) is not None, timeout=10, what="start")
        sid = form.reported_stream_id(call)
        assert sid
        timeline = pane.timeline
        await wait_for(
            lambda: any("StartStream" in line for line in timeline.lines()),
            timeout=10,
            what="StartStream on the timeline",
        )
        await wait_for(lambda: pane.streams.row_of(sid) is not None, what="row shown")
        row = calls.model.row_of(call)
        assert row is not None
        await wait_for(lambda: calls.model.streams[row] == 1, what="count 1")

        # DegradedStream needs a slow consumer to happen for real; its row is what the real
        # handler makes of a stored event shaped like the ones the receiver keeps.
        start_event = (await console.events.reader.newest(EventFilter(call_uuid=call)))[0]  # type: ignore[union-attr]
        slow = replace(
            start_event, id=start_event.id + 10_000, event="DegradedStream",
            params={**start_event.params, "Event": "DegradedStream", "BufferUsage": "60"},
        )  # fmt: skip
        console.reactions.on_events([slow])
        srow = pane.streams.row_of(sid)
        assert srow is not None and pane.streams.is_active(srow)
        assert "degraded: buffer 60% full" in pane.streams.index(srow, StreamColumn.STATUS).data()
        warned = [k for k in console.window.banners.active_keys() if k.startswith("stream_")]
        assert len(warned) == 1
        slow_text = console.window.banners.banner(warned[0]).text.text()  # type: ignore[union-attr]
        assert "falling behind: buffer 60% full" in slow_text
        assert calls.model.streams[row] == 1

        refreshes = console.calls.refreshes
        loop = asyncio.get_running_loop()
        dropped_at = loop.time()
        await sim.drop_stream(sid, REASON)
        srow = pane.streams.row_of(sid)
        assert srow is not None
        status = pane.streams.index(srow, StreamColumn.STATUS)
        await wait_for(lambda: status.data() == f"failed: {PLAIN}", timeout=3, what="row failed")
        assert loop.time() - dropped_at < 1.0
        assert console.calls.refreshes == refreshes  # the callback did it, not a refresh
        red = status.data(Qt.ItemDataRole.ForegroundRole)
        assert red is not None and red.red() > 150 and red.green() < 100
        tip = html.unescape(str(status.data(Qt.ItemDataRole.ToolTipRole)))
        assert f"{PLAIN} (technical detail: {REASON})" in tip
        assert calls.model.streams[row] == 0
        assert form.result.message == f"The stream failed: {PLAIN}"
        assert form.result.detail.toPlainText().startswith(f"Reason as Plivo sent it: {REASON}")
        assert form.result.detail_toggle.text() == "Show technical detail"
        assert not form.result.detail.isVisibleTo(form.result)  # collapsed until asked for

        banners = console.window.banners
        texts = [banners.banner(k).text.text() for k in banners.active_keys()]  # type: ignore[union-attr]
        frm, to = calls.model.froms[row], calls.model.tos[row]
        dropped = [t for t in texts if "dropped" in t]
        assert dropped, texts
        assert PLAIN in dropped[0] and REASON not in dropped[0]
        drop_key = next(k for k in banners.active_keys() if PLAIN in banners.banner(k).text.text())  # type: ignore[union-attr]
        assert REASON in banners.banner(drop_key).detail.text()  # type: ignore[union-attr]
        assert frm[-4:] in dropped[0] and to[-4:] in dropped[0]
        assert console.notifier.last_decision == OFF and console.notifier.shown == []

        log = console.activity_log
        assert log is not None
        await wait_for(lambda: any(
            "DroppedStream" in line for line in timeline.lines()), what="drop on the timeline"
        )  # fmt: skip
        history = await log.for_call(call)
        failed = [e for e in history if e.action is Action.STREAM_FAILED]
        assert len(failed) == 1 and failed[0].detail.startswith(f"The stream failed: {PLAIN}")
        assert REASON in failed[0].detail
        lines = timeline.lines()
        start = next(i for i, line in enumerate(lines) if "start stream" in line)
        started = next(i for i, line in enumerate(lines) if "StartStream" in line)
        drop = next(i for i, line in enumerate(lines) if "DroppedStream" in line)
        assert start < started < drop, lines
        assert PLAIN in lines[drop]
        assert console.calls.refreshes == refreshes
    finally:
        console.window.close()
        await runner
        await console.shutdown()
