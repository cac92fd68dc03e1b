"""One monitored stream, as the agent sees it: announced vs requested format (a mismatch in red),
a level meter and a scrolling waveform per track, timing and bad-frame counters, a one-way-audio
banner, DTMF digits, listen/record switches, and (bidirectional streams) test audio into the call.

It paints from `SessionSnapshot`s the app hands it about 30 times a second; it never decodes or
counts anything itself. Every text from outside is shown as plain text.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.domain.monitoring import SessionSnapshot, TrackSnapshot

METER_FLOOR_DBFS = -60.0
SIDE_BY_SIDE_WIDTH = 1000  # narrower: the controls go under the meters
EVENTS_MIN_HEIGHT = 48
TRACK_HEIGHT = 48
STATS_INTERVAL_S = 0.25  # figures that change every frame: readable, and no relayout per repaint
ERROR_COLOR = "#b3261e"
WARNING_STYLE = "background:#fff4ce;color:#5c4400;border:1px solid #e0c060;padding:4px;"


def _plain(label: QLabel) -> QLabel:
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


WAVE_ARGB = 0xFF58A6FF


def _waveform_image(wave: npt.NDArray[np.float32], height: int) -> QImage:
    """The min/max pairs as a one-pixel-per-bucket image, filled between each bucket's min and max
    (at least one pixel), drawn stretched to the widget's width. Built in numpy: a QLineF per
    bucket cost more than everything else the monitor does per repaint."""
    mid = height / 2
    first = np.floor(mid - wave[:, 1] * mid).astype(np.int32)
    last = np.maximum(np.ceil(mid - wave[:, 0] * mid).astype(np.int32), first + 1)
    rows = np.arange(height, dtype=np.int32)[:, None]
    pixels = np.where((rows >= first) & (rows < last), np.uint32(WAVE_ARGB), np.uint32(0))
    data = np.ascontiguousarray(pixels, dtype=np.uint32)
    image = QImage(
        data.tobytes(), data.shape[1], height, data.shape[1] * 4, QImage.Format.Format_ARGB32
    )
    return image.copy()  # owns its pixels once the bytes above are gone


class TrackView(QWidget):
    """A horizontal level meter over a min/max waveform of the last few seconds."""

    def __init__(self, track: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"track_{track}")
        self.track = track
        self.snapshot: TrackSnapshot | None = None
        self.level = METER_FLOOR_DBFS
        self.setMinimumHeight(TRACK_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # paints every pixel itself: a repaint need not repaint the tab page behind it
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAccessibleName(f"{track} track level and waveform")

    def set_snapshot(self, snap: TrackSnapshot) -> None:
        self.snapshot = snap
        # a meter falls back gently (about 20 dB/s at 30 fps) instead of flickering
        self.level = max(max(METER_FLOOR_DBFS, snap.level_dbfs), self.level - 0.7)
        self.setToolTip(f"{self.track}: {snap.level_dbfs:.0f} dBFS")
        self.update()

    def meter_fraction(self) -> float:
        return (self.level - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, QColor("#1e1e1e"))
        bar_h = 10
        fraction = self.meter_fraction()
        color = QColor("#3fb950") if self.level < -12 else QColor("#d29922")
        if self.level > -3:
            color = QColor("#f85149")
        p.fillRect(QRectF(0, 0, w * fraction, bar_h), color)
        snap = self.snapshot
        if snap is not None and len(snap.waveform) and h > bar_h + 8:
            top, height = bar_h + 2, h - bar_h - 4
            n = len(snap.waveform)
            step = w / max(n, 500)
            image = _waveform_image(snap.waveform, height)
            p.drawImage(QRectF(w - n * step, top, n * step, height), image)
        # the track's name and level over the waveform's oldest (left) end
        label = f"{self.track}  {self.level:.0f} dBFS" if self.snapshot else self.track
        box = p.fontMetrics().boundingRect(label).adjusted(-4, -1, 4, 1)
        box.moveTopLeft(QPoint(2, bar_h + 2))
        p.fillRect(box, QColor(30, 30, 30, 200))
        p.setPen(QColor("#c9d1d9"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        p.end()


class MonitorPanel(QWidget):
    """Signals carry the agent's intents; the app acts on them."""

    listen_toggled = Signal(bool)
    record_toggled = Signal(bool)
    silence_after_changed = Signal(float)
    play_tone_requested = Signal(float, float)  # frequency Hz, seconds
    play_wav_requested = Signal(str)
    checkpoint_requested = Signal()
    clear_requested = Signal()

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stream_monitor")
        self.key = key
        self._build_readouts()
        self._build_switches()
        self._build_talk_back()
        self._build_events()
        left, right = self._build_columns()
        self._lay_out(left, right)
        self._connect()
        self._shown_events = 0
        self._last: SessionSnapshot | None = None
        self._stats_due = 0.0
        self.set_talk_back(False, "Available once a bidirectional stream has started.")

    def _build_readouts(self) -> None:
        self.title = _plain(QLabel(f"Waiting for Plivo's start message ({self.key})"))
        self.title.setObjectName("monitor_title")
        self.title.setStyleSheet("font-weight:bold;")
        self.format_label = _plain(QLabel(""))
        self.format_label.setObjectName("monitor_format")
        self.mismatch = _plain(QLabel(""))
        self.mismatch.setObjectName("format_mismatch")
        self.mismatch.setStyleSheet(f"color:{ERROR_COLOR};font-weight:bold;")
        self.mismatch.setVisible(False)
        self.silence_banner = _plain(QLabel(""))
        self.silence_banner.setObjectName("silence_banner")
        self.silence_banner.setStyleSheet(WARNING_STYLE)
        self.silence_banner.setVisible(False)
        self.tracks_box = QVBoxLayout()
        self.track_views: dict[str, TrackView] = {}
        self.stats = _plain(QLabel(""))
        self.stats.setObjectName("monitor_stats")
        self.problems = _plain(QLabel("Bad frames: none"))
        self.problems.setObjectName("monitor_problems")
        self.dtmf = _plain(QLabel("DTMF: —"))
        self.dtmf.setObjectName("dtmf_digits")

    def _build_switches(self) -> None:
        self.listen = QCheckBox("Listen on the speakers")
        self.listen.setObjectName("listen")
        self.record = QPushButton("Record to WAV")
        self.record.setObjectName("record")
        self.record.setCheckable(True)
        self.silence_after = QDoubleSpinBox()
        self.silence_after.setObjectName("silence_after")
        self.silence_after.setRange(0.5, 600.0)
        self.silence_after.setDecimals(1)
        self.silence_after.setSuffix(" s")
        self.silence_after.setValue(5.0)
        self.silence_after.setToolTip("Warn when a track has had no sound for this long")

    def _build_talk_back(self) -> None:
        self.talk_back = QWidget()  # test audio into the call: bidirectional streams only
        self.talk_back.setObjectName("talk_back")
        self.tone_hz = QDoubleSpinBox()
        self.tone_hz.setObjectName("tone_hz")
        self.tone_hz.setRange(100.0, 3400.0)
        self.tone_hz.setValue(440.0)
        self.tone_hz.setSuffix(" Hz")
        self.play_tone = QPushButton("Play tone")
        self.play_tone.setObjectName("play_tone")
        self.play_wav = QPushButton("Play WAV…")
        self.play_wav.setObjectName("play_wav")
        self.checkpoint = QPushButton("Checkpoint")
        self.checkpoint.setObjectName("checkpoint")
        self.checkpoint.setToolTip("Ask Plivo to confirm when the audio sent so far has played")
        self.clear = QPushButton("Clear audio")
        self.clear.setObjectName("clear_audio")
        self.talk_back_hint = _plain(QLabel(""))
        self.talk_back_hint.setObjectName("talk_back_hint")
        talk = QVBoxLayout(self.talk_back)
        talk.setContentsMargins(0, 0, 0, 0)
        talk.setSpacing(2)
        heading = QHBoxLayout()
        heading.addWidget(_plain(QLabel("Into the call:")))
        heading.addWidget(self.talk_back_hint, 1)
        talk.addLayout(heading)
        for widgets in (
            (self.tone_hz, self.play_tone, self.play_wav),
            (self.checkpoint, self.clear),
        ):
            row = QHBoxLayout()
            for widget in widgets:
                row.addWidget(widget)
            row.addStretch(1)
            talk.addLayout(row)

    def _build_events(self) -> None:
        self.events = QPlainTextEdit()
        self.events.setObjectName("monitor_events")
        self.events.setReadOnly(True)
        self.events.setMaximumBlockCount(200)
        self.events.setMinimumHeight(EVENTS_MIN_HEIGHT)

    def _build_columns(self) -> tuple[QVBoxLayout, QVBoxLayout]:
        # What the stream does, then what the agent can do: side by side in a wide dock (below
        # the window), one above the other in a narrow one (beside it, as on a 1280x720
        # screen). Shorter than that, the content scrolls.
        counters = QHBoxLayout()
        counters.addWidget(self.problems, 1)
        counters.addWidget(self.dtmf)
        left = QVBoxLayout()
        left.setSpacing(3)
        for label in (self.title, self.format_label, self.mismatch, self.silence_banner):
            left.addWidget(label)
        left.addLayout(self.tracks_box)
        left.addWidget(self.stats)
        left.addLayout(counters)
        left.addStretch(1)
        switches = QHBoxLayout()
        switches.addWidget(self.listen)
        switches.addWidget(self.record)
        switches.addStretch(1)
        alarm = QHBoxLayout()
        alarm.addWidget(_plain(QLabel("Silence alarm after")))
        alarm.addWidget(self.silence_after)
        alarm.addStretch(1)
        right = QVBoxLayout()
        right.setSpacing(3)
        right.addLayout(switches)
        right.addLayout(alarm)
        right.addWidget(self.talk_back)
        right.addWidget(self.events, 1)
        return left, right

    def _lay_out(self, left: QVBoxLayout, right: QVBoxLayout) -> None:
        content = QWidget()
        content.setObjectName("monitor_content")
        self._columns = QBoxLayout(QBoxLayout.Direction.TopToBottom, content)
        self._columns.setContentsMargins(6, 4, 6, 4)
        self._columns.setSpacing(8)
        self._columns.addLayout(left, 0)
        self._columns.addLayout(right, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # text wraps
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _connect(self) -> None:
        self.listen.toggled.connect(self.listen_toggled)
        self.record.toggled.connect(self._record_toggled)
        self.silence_after.valueChanged.connect(self.silence_after_changed)
        self.play_tone.clicked.connect(
            lambda: self.play_tone_requested.emit(self.tone_hz.value(), 1.0)
        )
        self.play_wav.clicked.connect(self._choose_wav)
        self.checkpoint.clicked.connect(self.checkpoint_requested)
        self.clear.clicked.connect(self.clear_requested)

    def resizeEvent(self, event: QResizeEvent) -> None:
        wide = event.size().width() >= SIDE_BY_SIDE_WIDTH
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self._columns.direction() != direction:
            self._columns.setDirection(direction)
            # side by side both columns share the width; stacked, the log takes the spare height
            self._columns.setStretch(0, 3 if wide else 0)
            self._columns.setStretch(1, 2 if wide else 1)
        super().resizeEvent(event)

    # --- what the app calls ---------------------------------------------------------------------
    def set_listen_available(self, available: bool, reason: str = "") -> None:
        self.listen.setEnabled(available)
        if not available:
            self.listen.setChecked(False)
        self.listen.setToolTip(reason or "Play the first track on this computer's speakers")

    def set_talk_back(self, enabled: bool, reason: str = "") -> None:
        for widget in (self.tone_hz, self.play_tone, self.play_wav, self.checkpoint, self.clear):
            widget.setEnabled(enabled)
        self.talk_back_hint.setText(reason)

    def set_silence_after(self, seconds: float) -> None:
        """The one-way-audio warning's threshold, as the session has it."""
        self.silence_after.setValue(seconds)

    def add_note(self, text: str) -> None:
        """A line in the panel's event list from the console itself (a recording or playback
        that could not start), among the stream's own events."""
        self.events.appendPlainText(text)

    def set_recording(self, paths: list[str]) -> None:
        self.record.blockSignals(True)
        self.record.setChecked(bool(paths))
        self.record.blockSignals(False)
        self.record.setToolTip("\n".join(paths) if paths else "Record each track to a WAV file")

    def set_snapshot(self, snap: SessionSnapshot) -> None:
        last = self._last
        if last is None or (snap.stream_id, snap.ended) != (last.stream_id, last.ended):
            self.title.setText(self._title(snap))
        if last is None or (snap.announced, snap.requested) != (last.announced, last.requested):
            announced = snap.announced or "not yet"
            requested = snap.requested or "not stated in the URL"
            self.format_label.setText(f"Announced: {announced}   ·   Requested: {requested}")
        if last is None or snap.mismatches != last.mismatches:
            self.mismatch.setText("Format mismatch: " + "; ".join(snap.mismatches))
            self.mismatch.setVisible(bool(snap.mismatches))
        if last is None or snap.silent_tracks != last.silent_tracks:
            tracks = " and ".join(snap.silent_tracks)
            self.silence_banner.setText(
                f"One-way audio? No sound on the {tracks} track for "
                f"{snap.silence_after_s:g} s or more."
            )
            self.silence_banner.setVisible(bool(snap.silent_tracks))
        for track in snap.tracks:
            view = self.track_views.get(track.track)
            if view is None:
                view = self.track_views[track.track] = TrackView(track.track)
                self.tracks_box.addWidget(view)
            view.set_snapshot(track)
        now = time.monotonic()
        if now >= self._stats_due or snap.ended or last is None:
            self._stats_due = now + STATS_INTERVAL_S
            self._set_stats(snap)
        bad = snap.malformed + snap.unknown + snap.oversized
        self.problems.setText(
            f"Bad frames: {snap.malformed} malformed, {snap.unknown} unknown, "
            f"{snap.oversized} oversized. Last: {snap.last_problem}"
            if bad
            else "Bad frames: none"
        )
        self.dtmf.setText(f"DTMF: {snap.dtmf}" if snap.dtmf else "DTMF: —")
        fresh = min(len(snap.events), max(0, snap.event_count - self._shown_events))
        for line in snap.events[len(snap.events) - fresh :] if fresh else ():
            self.events.appendPlainText(line)
        self._shown_events = max(self._shown_events, snap.event_count)
        if last is None or (snap.can_talk_back, snap.ended) != (last.can_talk_back, last.ended):
            self.set_talk_back(
                snap.can_talk_back,
                "" if snap.can_talk_back else "Only on a bidirectional stream that is connected.",
            )
        if last is None or snap.recording != last.recording:
            self.set_recording(list(snap.recording))
        if snap.ended:
            self.listen.setEnabled(False)
            self.record.setEnabled(False)
        self._last = snap

    def _set_stats(self, snap: SessionSnapshot) -> None:
        self.stats.setText(
            "\n".join(
                f"{t.track}: {t.frames_per_s:.0f} frames/s · {t.last_frame_samples} samples/frame"
                f" · jitter {t.jitter_ms:.1f} ms · {t.gaps} gaps · {t.late} late"
                f" · {t.frames} frames"
                for t in snap.tracks
            )
        )

    @staticmethod
    def _title(snap: SessionSnapshot) -> str:
        if not snap.stream_id:
            return f"Waiting for Plivo's start message ({snap.key})"
        text = f"Stream {snap.stream_id} on call {snap.call_id or '?'}"
        return f"{text} — ended: {snap.end_reason}" if snap.ended else text

    # --- intents ------------------------------------------------------------------------------
    def _record_toggled(self, on: bool) -> None:
        self.record_toggled.emit(on)

    def _choose_wav(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Play a WAV file into the call", "", "WAV (*.wav)"
        )
        if path:
            self.play_wav_requested.emit(path)
