"""The monitor endpoint on loopback with the simulator streaming to it as Plivo does: decoding in
all three formats, meters for speech and silence, format mismatch, the one-way detector,
playAudio/checkpoint/clearAudio round trips, WAV recording. No audio device is involved."""

from __future__ import annotations

import wave
from pathlib import Path

import httpx
import numpy as np
import pytest

from console.domain import audio_codec as codec
from console.domain.stream_params import ContentType
from console.monitor import MonitorSession
from console.monitor.session import Requested
from tests.monitor.conftest import Monitor, SimThread, start_stream, wait_for

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(40)]


def url(monitor: Monitor, ct: ContentType, track: str = "inbound", bidi: bool = False) -> str:
    return monitor.url + "&" + Requested.query(ct.value, track, bidi)


async def session_with(monitor: Monitor, frames: int, track: str = "inbound") -> MonitorSession:
    def ready() -> bool:
        return bool(
            monitor.seen
            and track in monitor.seen[-1].meters
            and monitor.seen[-1].meters[track].frames >= frames
        )

    await wait_for(ready, timeout=15.0, what=f"{frames} frames on {track}")
    return monitor.seen[-1]


@pytest.mark.parametrize(
    ("ct", "per_frame"),
    [(ContentType.MULAW_8K, 160), (ContentType.L16_8K, 160), (ContentType.L16_16K, 320)],
)
async def test_frames_decode_to_the_right_sample_counts(
    msim: SimThread, mclient: httpx.AsyncClient, monitor: Monitor, ct: ContentType, per_frame: int
) -> None:
    call = await msim.live_call()
    stream_id = await start_stream(
        mclient, call, service_url=url(monitor, ct), content_type=ct.value
    )
    session = await session_with(monitor, 25)
    snap = session.snapshot()
    assert snap.stream_id == stream_id and snap.call_id == call
    assert snap.announced == f"{ct.encoding} {ct.sample_rate} Hz, inbound"
    assert snap.mismatches == () and snap.malformed == 0 and snap.unknown == 0
    (track,) = snap.tracks
    assert track.last_frame_samples == per_frame
    assert track.samples == track.frames * per_frame
    assert track.gaps == 0
    assert track.level_dbfs > -40.0 or track.waveform.size  # the first frames may be a pause


async def test_meters_move_for_speech_and_stay_flat_for_silence(
    msim: SimThread, mclient: httpx.AsyncClient, monitor: Monitor
) -> None:
    call = await msim.live_call()
    ct = ContentType.L16_8K
    stream_id = await start_stream(
        mclient, call, service_url=url(monitor, ct, "both"), content_type=ct.value,
        audio_track="both",
    )  # fmt: skip
    await msim.silence(stream_id, ["outbound"])
    session = await session_with(monitor, 5, "outbound")
    session.snapshot()  # drop what arrived before the silence took hold
    start = session.meters["outbound"].frames
    await wait_for(lambda: session.meters["outbound"].frames >= start + 75, timeout=15.0)
    inbound, outbound = session.snapshot().tracks
    assert inbound.track == "inbound" and outbound.track == "outbound"
    assert inbound.level_dbfs > -35.0 and inbound.peak > 0.05
    assert float(np.abs(inbound.waveform).max()) > 0.05
    assert outbound.level_dbfs == codec.SILENCE_DBFS and outbound.peak == 0.0
    assert not outbound.waveform[-50:].any()  # the last half second is flat


async def test_a_format_mismatch_is_flagged(
    msim: SimThread, mclient: httpx.AsyncClient, monitor: Monitor
) -> None:
    call = await msim.live_call()
    asked = monitor.url + "&" + Requested.query(ContentType.L16_16K.value, "both", False)
    await start_stream(mclient, call, service_url=asked, content_type=ContentType.MULAW_8K.value)
    session = await session_with(monitor, 3)
    snap = session.snapshot()
    assert snap.requested == "audio/x-l16 16000 Hz, inbound + outbound"
    assert snap.announced == "audio/x-mulaw 8000 Hz, inbound"
    assert snap.mismatches == (
        "encoding audio/x-mulaw, requested audio/x-l16",
        "sample rate 8000 Hz, requested 16000 Hz",
        "tracks inbound, requested inbound+outbound",
    )
    assert any("format mismatch" in line for line in snap.events)
    assert session.meters["inbound"].last_frame_samples == 160  # decoded as announced


async def test_the_one_way_audio_detector_fires_and_clears(
    msim: SimThread, mclient: httpx.AsyncClient, monitor: Monitor
) -> None:
    call = await msim.live_call()
    ct = ContentType.MULAW_8K
    stream_id = await start_stream(
        mclient, call, service_url=url(monitor, ct, "both"), content_type=ct.value,
        audio_track="both",
    )  # fmt: skip
    session = await session_with(monitor, 3)
    session.silence_after_s = 1.0
    admin = httpx.AsyncClient(base_url=msim.base_url, auth=mclient.auth, timeout=5.0)
    async with admin:  # the trainers' way: the simulator's admin API
        silenced = await admin.post(
            f"/_sim/streams/{stream_id}/silence", json={"tracks": ["inbound"]}
        )
        assert silenced.status_code == 204
        refused = await admin.post(f"/_sim/streams/{stream_id}/silence", json={"tracks": ["left"]})
        assert refused.status_code == 400
    await wait_for(lambda: session.check_silence() == ("inbound",), timeout=10.0, what="alarm")
    snap = session.snapshot()
    assert snap.silent_tracks == ("inbound",)
    assert any("one-way audio? no sound on inbound for 1 s" in e for e in snap.events)
    await msim.silence(stream_id, [])
    await wait_for(lambda: session.check_silence() == (), timeout=10.0, what="sound again")
    assert any("sound on inbound again" in e for e in session.snapshot().events)


@pytest.mark.parametrize("ct", [ContentType.MULAW_8K, ContentType.L16_16K])
async def test_a_played_tone_round_trips_through_its_checkpoint(
    msim: SimThread, mclient: httpx.AsyncClient, monitor: Monitor, ct: ContentType
) -> None:
    call = await msim.live_call()
    stream_id = await start_stream(
        mclient, call, service_url=url(monitor, ct, bidi=True), content_type=ct.value,
        bidirectional=True,
    )  # fmt: skip
    session = await session_with(monitor, 3)
    assert session.can_talk_back
    sent = await session.play(codec.tone(440.0, 0.4, 8000), 8000)  # resampled for 16 kHz
    assert sent == 1
    name = await session.checkpoint()
    assert session.pending_checkpoints() == [name]
    await wait_for(lambda: session.confirmed, timeout=10.0, what="playedStream")
    (confirmed, rtt) = session.confirmed[0]
    assert confirmed == name and session.pending_checkpoints() == []
    assert rtt >= 0.35  # the simulator plays queued audio in real time before answering
    played = await msim.played_s(stream_id)
    assert played == pytest.approx(0.4, abs=0.001)  # right format: the duration came out exact
    assert any(f"checkpoint {name!r} played, confirmed after" in e for e in session.events)
    await session.play(codec.tone(440.0, 5.0, 8000), 8000)
    await session.clear()
    await wait_for(lambda: session.cleared, timeout=10.0, what="clearedAudio")
    assert any("clearAudio confirmed after" in e for e in session.events)
    assert await msim.played_s(stream_id) < 0.4 + 1.0  # the 5 s tone was dropped


async def test_the_recording_equals_the_decoded_input(
    msim: SimThread, mclient: httpx.AsyncClient, monitor: Monitor, tmp_path: Path
) -> None:
    call = await msim.live_call()
    ct = ContentType.L16_16K
    await start_stream(mclient, call, service_url=url(monitor, ct), content_type=ct.value)
    session = await session_with(monitor, 3)
    heard: list[np.ndarray] = []
    session.listeners.append(lambda track, samples, rate: heard.append(samples.copy()))
    (path,) = session.start_recording(tmp_path)
    start = session.meters["inbound"].frames
    await wait_for(lambda: session.meters["inbound"].frames >= start + 40, timeout=10.0)
    session.stop_recording()
    session.listeners.clear()
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        recorded = codec.l16_decode(wav.readframes(wav.getnframes()))
    expected = np.concatenate(heard)
    assert expected.size >= 40 * 320
    assert np.array_equal(recorded, expected)
