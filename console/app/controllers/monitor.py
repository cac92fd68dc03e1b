"""The stream monitor in the console: serves the monitor endpoint on its own thread (see
console/monitor/thread.py for why), gives each monitored stream a panel, pulls snapshots for the
visible panel about 30 times a second (decoding and metering happen as frames arrive, never in a
paint), checks every stream for one-way audio a few times a second, and carries out the panel's
intents (listen, record, play a tone or a WAV file into the call, checkpoint, clear). See
docs/monitor.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import tempfile
import wave
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow

from console.app.runtime.tasks import TaskRunner

if TYPE_CHECKING:  # the rest loads when the monitor is first used, not with the window
    from aiohttp import web

    from console.domain.audio_codec import Samples
    from console.monitor import MonitorSession
    from console.monitor.forward import MonitorForwarder
    from console.monitor.session import Listener
    from console.monitor.thread import ThreadedMonitor
    from console.ui.monitor_area import MonitorArea
    from console.ui.monitor_audio import SpeakerOutput
    from console.ui.monitor_dock import MonitorDock
    from console.ui.monitor_panel import MonitorPanel
    from console.ui.monitor_toggle import MonitorToggle

_log = logging.getLogger(__name__)
MONITOR_PATH = "/plivo/stream-monitor"  # console.monitor.endpoint.MONITOR_PATH


def is_monitor_url(url: str) -> bool:
    """A stream URL aimed at this console's monitor (it holds the session's key)."""
    from urllib.parse import urlsplit

    try:
        return urlsplit(url.strip()).path.rstrip("/").endswith(MONITOR_PATH)
    except ValueError:
        return False


FRAME_INTERVAL_MS = 33  # ~30 fps for the visible panel
SILENCE_CHECK_EVERY = 8  # ticks: every ~250 ms for all streams
MAX_WAV_S = 60.0
MAX_WAV_BYTES = 64 * 1024 * 1024


def public_monitor_url(public_base_url: str) -> str | None:
    """`https://abc.ngrok.app` -> `wss://abc.ngrok.app/plivo/stream-monitor` (None: not http)."""
    base = public_base_url.strip().rstrip("/")
    for scheme, ws in (("https://", "wss://"), ("http://", "ws://")):
        if base.startswith(scheme):
            return ws + base[len(scheme) :] + MONITOR_PATH
    return None


def read_wav(path: Path) -> tuple[Samples, int]:
    """A 16-bit PCM WAV file as mono samples and its rate; ValueError with a sentence if not."""
    from console.domain.audio_codec import l16_decode, to_mono

    if path.stat().st_size > MAX_WAV_BYTES:
        raise ValueError("the file is larger than 64 MB")
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise ValueError("only 16-bit PCM WAV files can be played")
            rate, channels = wav.getframerate(), wav.getnchannels()
            frames = wav.readframes(min(wav.getnframes(), int(MAX_WAV_S * rate)))
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a WAV file this console can read ({exc})") from exc
    if not 4000 <= rate <= 192_000:
        raise ValueError(f"unusual sample rate {rate} Hz")
    return to_mono(l16_decode(frames), channels), rate


class MonitorController:
    def __init__(
        self,
        window: QMainWindow,
        tasks: TaskRunner,
        recordings_dir: Path | None = None,
    ) -> None:
        self.window = window
        self.tasks = tasks
        self.recordings_dir = recordings_dir or Path(tempfile.gettempdir()) / "stream-console"
        self.server: ThreadedMonitor | None = None
        self.forwarder: MonitorForwarder | None = None
        self._started = False
        self._stopped = False
        self._area: MonitorArea | None = None
        self.dock: MonitorDock | None = None
        self.toggle: MonitorToggle | None = None  # the stream form's switch, once it is built
        self.sessions: dict[str, MonitorSession] = {}
        self.speakers: dict[str, SpeakerOutput] = {}
        self._feeds: dict[str, Listener] = {}
        self.public_url: str | None = None
        self.key = secrets.token_urlsafe(18)  # in the public URL: the relay refuses strangers
        self.demo = False
        self.problem = ""
        self.ticks = 0
        self.timer = QTimer(window)  # dies with the window: no tick on widgets that are gone
        self.timer.setInterval(FRAME_INTERVAL_MS)
        self.timer.timeout.connect(self._tick)

    # --- life cycle -----------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve the endpoint on its own loopback port (when the callback receiver does not host
        it). Failure is a tooltip on the toggle, never an exception."""
        from console.monitor.thread import ThreadedMonitor

        self._started = True
        server = ThreadedMonitor(on_session=self._new_session)
        try:
            await server.start(host, port)
        except OSError as exc:
            self.problem = f"The monitor endpoint could not listen: {exc.strerror or exc}"
            _log.warning("%s", self.problem)
        else:
            self.server = server
        self._update_toggle()

    async def ensure_started(self) -> None:
        """Start once, when an account can use the monitor (numpy and aiohttp load then)."""
        if not self._started:
            await self.start()

    async def stop(self) -> None:
        self._stopped = True
        with contextlib.suppress(RuntimeError):  # the window (and the timer) may be gone
            self.timer.stop()
        for speaker in self.speakers.values():
            speaker.close()
        self.speakers.clear()
        forwarder, self.forwarder = self.forwarder, None
        if forwarder is not None:
            await forwarder.close()
        server, self.server = self.server, None
        if server is not None:
            await server.stop()  # closes the sockets; sessions end and stop recording there

    @property
    def local_url(self) -> str | None:
        return self.server.url if self.server is not None else None

    def set_demo(self, demo: bool) -> None:
        """The simulator reaches the loopback endpoint directly; Plivo needs the public URL."""
        self.demo = demo
        self._update_toggle()

    def set_public_url(self, public_base_url: str | None) -> None:
        """The account's public base URL (a tunnel to this computer), or None."""
        self.public_url = public_monitor_url(public_base_url) if public_base_url else None
        self._update_toggle()

    def attach_toggle(self, toggle: MonitorToggle) -> None:
        """The form's "Monitor in this console" switch, from when the form is built."""
        self.toggle = toggle
        self._update_toggle()

    def _update_toggle(self) -> None:
        if self.toggle is None:
            return
        if self.demo:
            self.toggle.set_monitor_url(self.local_url, self.problem)
        elif self.public_url is None:
            self.toggle.set_monitor_url(
                None,
                "Plivo reaches the monitor through this account's public URL (the same tunnel "
                "as the status callbacks): set it under Receiver in the status bar.",
            )
        else:
            # The tunnel reaches the callback receiver's port, which relays this path to the
            # monitor's own endpoint (`forward`, mounted by the composition root).
            url = f"{self.public_url}?key={self.key}" if self.local_url is not None else None
            self.toggle.set_monitor_url(url, self.problem)

    async def forward(self, request: web.BaseRequest) -> web.StreamResponse:
        """The callback receiver's handler for `/plivo/stream-monitor`: relays the WebSocket to
        the monitor's loopback endpoint (console/monitor/forward.py)."""
        from console.monitor.forward import MonitorForwarder

        if self._stopped:
            from aiohttp import web

            return web.Response(status=503, text="The console is closing")
        if self.forwarder is None:
            self.forwarder = MonitorForwarder(lambda: self.local_url, key=self.key)
        return await self.forwarder.handle(request)

    @property
    def area(self) -> MonitorArea:
        """The dock with one tab per monitored stream, made when the first stream connects."""
        if self._area is None:
            from console.ui.monitor_area import MonitorArea
            from console.ui.monitor_dock import MonitorDock

            self._area = MonitorArea()
            self.dock = MonitorDock(self.window, self._area)
        return self._area

    # --- sessions -------------------------------------------------------------------------------
    def _new_session(self, session: MonitorSession) -> None:
        from console.ui.monitor_audio import output_problem

        self.sessions[session.key] = session
        panel = self.area.add_panel(session.key)
        problem = output_problem()
        panel.set_listen_available(not problem, problem)
        panel.set_silence_after(session.silence_after_s)
        key = session.key
        panel.listen_toggled.connect(lambda on: self._listen(key, on))
        panel.record_toggled.connect(lambda on: self._record(key, on))
        panel.silence_after_changed.connect(lambda s: self._silence_after(key, s))
        panel.play_tone_requested.connect(lambda hz, s: self._play_tone(key, hz, s))
        panel.play_wav_requested.connect(lambda path: self._play_wav(key, path))
        panel.checkpoint_requested.connect(lambda: self._talk(key, "checkpoint"))
        panel.clear_requested.connect(lambda: self._talk(key, "clear"))
        assert self.dock is not None
        self.dock.reveal()
        if not self.timer.isActive():
            self.timer.start()

    def panel(self, key: str) -> MonitorPanel | None:
        return self._area.panels.get(key) if self._area is not None else None

    def _tick(self) -> None:
        self.ticks += 1
        for panel in self.area.visible_panels():
            session = self.sessions.get(panel.key)
            if session is not None:
                panel.set_snapshot(session.snapshot())
        if self.ticks % SILENCE_CHECK_EVERY:
            return
        for key, session in list(self.sessions.items()):
            silent = session.silent_tracks  # checked on the monitor's thread
            title = session.start.stream_id[:8] if session.start else key
            self.area.set_title(key, title, warn=bool(silent))
            if session.ended:
                ended_panel = self.panel(key)
                if ended_panel is not None:
                    ended_panel.set_snapshot(session.snapshot())  # its final state
                self._stop_listening(key)
                del self.sessions[key]
        if not self.sessions:
            self.timer.stop()

    # --- intents --------------------------------------------------------------------------------
    def _run(self, name: str, coro: Coroutine[Any, Any, Any]) -> None:
        """Sends happen on the monitor's own loop (its sockets live there)."""
        server = self.server
        if server is None:
            coro.close()
            return
        self.tasks.run(name, server.call(coro), preempt=False)

    def _listen(self, key: str, on: bool) -> None:
        """Play the stream's first track on the speakers (muted until the agent asks)."""
        from console.ui.monitor_audio import SpeakerOutput

        session = self.sessions.get(key)
        self._stop_listening(key)
        if not on or session is None or session.start is None:
            return
        speaker = SpeakerOutput(session.start.sample_rate)
        if not speaker.available:
            panel = self.panel(key)
            if panel is not None:
                panel.set_listen_available(False, speaker.problem)
            return
        first = session.start.tracks[0]
        gui = asyncio.get_running_loop()

        def feed(track: str, samples: Samples, rate: int) -> None:
            if track == first:  # on the monitor thread: the device is written on the GUI's
                gui.call_soon_threadsafe(speaker.write, samples.astype("<i2").tobytes())

        self.speakers[key] = speaker
        self._feeds[key] = feed
        session.listeners.append(feed)

    def _stop_listening(self, key: str) -> None:
        speaker = self.speakers.pop(key, None)
        feed = self._feeds.pop(key, None)
        session = self.sessions.get(key)
        if session is not None and feed in session.listeners:
            session.listeners.remove(feed)
        if speaker is not None:
            speaker.close()

    def _record(self, key: str, on: bool) -> None:
        session = self.sessions.get(key)
        panel = self.panel(key)
        if session is None:
            return
        if not on:
            session.stop_recording()
            return
        try:
            self.recordings_dir.mkdir(parents=True, exist_ok=True)
            session.start_recording(self.recordings_dir)
        except (OSError, RuntimeError) as exc:
            if panel is not None:
                panel.set_recording([])
                panel.add_note(f"Recording not started: {exc}")

    def _silence_after(self, key: str, seconds: float) -> None:
        session = self.sessions.get(key)
        if session is not None:
            session.silence_after_s = float(seconds)

    def _play_tone(self, key: str, hz: float, seconds: float) -> None:
        session = self.sessions.get(key)
        if session is not None and session.can_talk_back:
            from console.domain.audio_codec import tone

            rate = session.start.sample_rate if session.start else 8000
            self._run(f"monitor-play-{key}", session.play(tone(hz, seconds, rate), rate))

    def _play_wav(self, key: str, path: str) -> None:
        session = self.sessions.get(key)
        panel = self.panel(key)
        if session is None or not session.can_talk_back:
            return
        try:
            samples, rate = read_wav(Path(path))
        except (OSError, ValueError) as exc:
            if panel is not None:
                panel.add_note(f"Cannot play {Path(path).name}: {exc}")
            return
        self._run(f"monitor-play-{key}", session.play(samples, rate))

    def _talk(self, key: str, what: str) -> None:
        session = self.sessions.get(key)
        if session is None or not session.can_talk_back:
            return
        coro = session.checkpoint() if what == "checkpoint" else session.clear()
        self._run(f"monitor-{what}-{key}", coro)
