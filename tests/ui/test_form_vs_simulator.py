"""End to end on one qasync loop, as the console runs: the agent fills the form and clicks Start,
a stand-in controller (the app layer's job) posts the request to the real simulator over HTTP,
and the form shows the stream_id that the simulator then lists, or Plivo's refusal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.domain.stream_request import StreamRequest
from console.domain.streams import StreamStarted
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator, SimulatorConfig
from console.ui import StreamForm


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.005)


@pytest.mark.asyncio
async def test_start_from_the_form_against_the_simulator(qtbot: QtBot) -> None:
    sim = Simulator(SimulatorConfig(calls=3, seed=1, churn=False, media=False))
    base = await sim.start(port=0)
    client = httpx.AsyncClient(
        base_url=f"{base}/v1/Account/{DEMO_AUTH_ID}", auth=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
    )
    tasks: set[asyncio.Task[None]] = set()
    try:
        call = sim.live_call_uuids()[0]
        form = StreamForm()
        qtbot.addWidget(form)
        form.set_call(call, "Caller 1")
        form.set_target_is_simulator(True)
        form.show()

        async def start(request: StreamRequest) -> None:
            response = await client.post(f"/Call/{call}/Stream/", json=request.to_body())
            data = response.json()
            if response.is_success:
                form.show_started(StreamStarted(data["stream_id"], data["api_id"], data["message"]))
            else:
                form.show_error(
                    f"Plivo refused the stream: {data['error']}.",
                    f"HTTP {response.status_code} {response.text}",
                )

        def on_start(request: object) -> None:
            assert isinstance(request, StreamRequest)
            task = asyncio.ensure_future(start(request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        form.start_requested.connect(on_start)
        qtbot.keyClicks(form.service_url, "ws://127.0.0.1:9/audio")
        qtbot.keyClicks(form.stream_timeout, "120")
        qtbot.keyClicks(form.extra_headers, "ticket=42")
        qtbot.mouseClick(form.start_button, Qt.MouseButton.LeftButton)
        assert not form.start_button.isEnabled()  # in flight
        await until(lambda: bool(form.result.stream_id.field.text()))
        stream_id = form.result.stream_id.field.text()
        listed = {s.stream_id: s for s in sim.streams_of(call)}
        assert stream_id in listed
        assert listed[stream_id].params.stream_timeout == 120
        assert listed[stream_id].params.extra_headers == "ticket=42"
        assert form.result.api_id.field.text()
        assert form.start_button.isEnabled()

        # The same URL again while the first stream is active: Plivo's refusal, in plain words.
        qtbot.keyClick(form.service_url, Qt.Key.Key_Return)
        await until(lambda: "refused" in form.result.message)
        assert "already exists" in form.result.message
        assert "HTTP 400" in form.result.detail.toPlainText()
        assert len(sim.streams_of(call)) == 1
    finally:
        for task in list(tasks):
            task.cancel()
        await client.aclose()
        await sim.stop()
