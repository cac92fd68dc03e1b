"""The stream monitor under load: 50 concurrent monitored streams, L16 16 kHz, at real time.

A separate process runs the simulator (so its sending costs are not counted) and starts 50
streams pointed at the console's monitor endpoint. This process is the console's side: the
endpoint, decoding and metering on the monitor's own thread (console/monitor/thread.py), the
monitor dock shown offscreen on the qasync GUI loop (its visible panel repainting at ~30 fps).
Measured over 10 s after a warm-up:

- CPU of this process as a share of one core (receive + decode + metering + the panel), and
  the monitor thread's part of it (from /proc on Linux);
- GUI loop lag: a probe sleeping 5 ms records how late it wakes, p99;
- frames received per second, to show the streams really ran at real time.

Targets: CPU < 50 % of one core, loop-lag p99 < 50 ms.

`--via-receiver` sends the streams through the callback receiver's port and its relay
(console/monitor/forward.py), the route a real account's streams take; the relay runs on the
receiver's loop, which is the GUI's. `--streams N` changes the count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STREAMS = 50
WARMUP_S = 3.0
MEASURE_S = 10.0
CPU_TARGET = 0.50
LAG_TARGET_MS = 50.0


def thread_cpu(native_id: int) -> float:
    """CPU seconds one thread of this process has used (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sender(url: str, streams: int) -> None:
    """Child process: the simulator streaming `streams` L16 16 kHz streams to `url`."""
    import httpx

    from console.domain.stream_params import ContentType
    from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator, SimulatorConfig

    config = SimulatorConfig(
        calls=streams, queued_calls=0, churn=False, rate_limit=False, seed=3, media=True
    )
    from console.simulator import audio

    audio.frames(ContentType.L16_16K, 0, 20)  # build the speech once, before 50 streams want it
    sim = Simulator(config)
    base = await sim.start()
    ct = ContentType.L16_16K.value
    sep = "&" if "?" in url else "?"  # the relay's URL carries its key
    query = "format=l16-16000&tracks=inbound"
    async with httpx.AsyncClient(
        base_url=f"{base}/v1/Account/{DEMO_AUTH_ID}", auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
    ) as client:
        for call in sim.live_call_uuids()[:streams]:
            response = await client.post(
                f"/Call/{call}/Stream/",
                json={"service_url": f"{url}{sep}{query}", "content_type": ct},
            )
            response.raise_for_status()
    print("started", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    await sim.stop()


async def measure(via_receiver: bool, streams: int) -> int:
    from PySide6.QtWidgets import QMainWindow

    from console.app.controllers.monitor import MonitorController
    from console.app.runtime.tasks import TaskRunner
    from console.ui.monitor_toggle import MonitorToggle
    from console.ui.stream_form import StreamForm

    window = QMainWindow()
    form = StreamForm()
    window.setCentralWidget(form)
    window.resize(1200, 900)
    window.show()
    toggle = MonitorToggle(form)
    controller = MonitorController(window, TaskRunner(on_error=lambda n, e: None))
    controller.attach_toggle(toggle)
    await controller.start()
    url = controller.local_url
    assert url is not None
    relay = None
    if via_receiver:  # as for a real account: through the callback receiver's port and relay
        import tempfile

        from console.monitor import MONITOR_PATH
        from console.receiver.server import CallbackReceiver
        from console.store.event_log import EventLog

        scratch = tempfile.TemporaryDirectory()
        log = EventLog(Path(scratch.name) / "events.sqlite3", maintenance_interval_s=0)
        await log.open()
        relay = CallbackReceiver(log, list, port=0, routes={MONITOR_PATH: controller.forward})
        await relay.start()
        url = relay.local_url.replace("http://", "ws://") + f"{MONITOR_PATH}?key={controller.key}"
    child = subprocess.Popen(
        [sys.executable, __file__, "--sender", url, str(streams)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(ROOT),
    )
    loop = asyncio.get_running_loop()
    try:
        deadline = loop.time() + 60
        while len(controller.sessions) < streams or not all(
            s.meters for s in controller.sessions.values()
        ):
            if loop.time() > deadline or child.poll() is not None:
                print(f"target missed: only {len(controller.sessions)} streams connected")
                return 1
            await asyncio.sleep(0.1)
        await asyncio.sleep(WARMUP_S)
        lags: list[float] = []
        stop = loop.time() + MEASURE_S

        async def probe() -> None:
            while loop.time() < stop:
                before = loop.time()
                await asyncio.sleep(0.005)
                lags.append((loop.time() - before - 0.005) * 1000)

        def frames() -> int:
            return sum(m.frames for s in controller.sessions.values() for m in s.meters.values())

        assert controller.server is not None
        monitor_tid = controller.server.thread_id
        frames0, cpu0, wall0 = frames(), time.process_time(), time.perf_counter()
        thread0 = thread_cpu(monitor_tid)
        await probe()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        monitor_cpu = thread_cpu(monitor_tid) - thread0
        received = frames() - frames0
        share = cpu / wall
        p99 = statistics.quantiles(lags, n=100)[98]
        expected = streams * 50 * wall
        bad = sum(s.malformed + s.oversized for s in controller.sessions.values())
        route = "through the callback receiver's relay" if via_receiver else "loopback"
        print(f"streams: {len(controller.sessions)} x L16 16 kHz, inbound, 20 ms frames, {route}")
        print(f"frames received: {received / wall:.0f}/s ({received / expected:.1%} of real time)")
        print(f"bad frames: {bad}")
        print(f"CPU (receive + decode + metering + panel): {share:.1%} of one core")
        print(
            f"  of which the monitor thread {monitor_cpu / wall:.1%}, "
            f"the GUI and the rest {(cpu - monitor_cpu) / wall:.1%}"
        )
        print(f"GUI loop lag: p50 {statistics.median(lags):.1f} ms, p99 {p99:.1f} ms")
        problems = []
        if share >= CPU_TARGET:
            problems.append(f"CPU {share:.0%} >= {CPU_TARGET:.0%}")
        if p99 >= LAG_TARGET_MS:
            problems.append(f"loop-lag p99 {p99:.0f} ms >= {LAG_TARGET_MS:.0f} ms")
        if received < 0.95 * expected:
            problems.append(f"only {received / expected:.0%} of the frames arrived")
        print("target met" if not problems else "target missed: " + "; ".join(problems))
        return 0 if not problems else 1
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
        await controller.stop()
        if relay is not None:
            await relay.stop(drain_s=1.0)
            await log.close()
            scratch.cleanup()
        window.close()


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--sender":
        asyncio.run(sender(sys.argv[2], int(sys.argv[3])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--via-receiver", action="store_true",
        help="stream through the callback receiver's port (a real account's route)",
    )  # fmt: skip
    parser.add_argument("--streams", type=int, default=STREAMS)
    args = parser.parse_args()
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(measure(args.via_receiver, args.streams))


if __name__ == "__main__":
    sys.exit(main())
