"""Copy-as-code, executed: the curl snippet (run by bash and the real curl) and the Python snippet
(run with the official plivo SDK, its base URIs pointed at the simulator) start a stream that the
simulator then lists, with the parameters the request asked for."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess

import pytest
from plivo.rest import client as plivo_client

from console.domain.snippets import Language, render_snippet
from console.domain.stream_params import AudioTrack, CallbackMethod, ContentType
from console.domain.stream_request import StreamRequest
from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN
from tests.domain.threaded_simulator import ThreadedSimulator

REQUEST = StreamRequest(
    service_url="ws://127.0.0.1:9/audio?agent=ann&note='hi'&cost=$5",
    audio_track=AudioTrack.BOTH,
    stream_timeout=600,
    status_callback_url="http://127.0.0.1:9/status",
    status_callback_method=CallbackMethod.GET,
    content_type=ContentType.MULAW_8K,
    extra_headers="ticket=12345,agent=ann",
)


def assert_listed(
    sim: ThreadedSimulator, call: str, stream_id: str, request: StreamRequest
) -> None:
    records = sim.call(lambda: list(sim.sim.streams_of(call)))
    (record,) = [r for r in records if r.stream_id == stream_id]
    params = record.params
    assert params.service_url == request.service_url
    assert params.audio_track == request.audio_track
    assert params.stream_timeout == request.stream_timeout
    assert params.status_callback_url == request.status_callback_url
    assert params.status_callback_method == request.status_callback_method
    assert params.content_type == request.content_type
    assert params.extra_headers == request.extra_headers


def test_curl_snippet_starts_a_stream(threaded_sim: ThreadedSimulator) -> None:
    curl = shutil.which("curl")
    assert curl, "curl is needed for this test (scripts/system-deps.sh installs it)"
    call = threaded_sim.new_call()
    code = render_snippet(
        Language.CURL, REQUEST, call_uuid=call, api_base_url=threaded_sim.base_url
    )
    env = {
        "PATH": os.environ["PATH"],
        "PLIVO_AUTH_ID": DEMO_AUTH_ID,
        "PLIVO_AUTH_TOKEN": DEMO_AUTH_TOKEN,
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    done = subprocess.run(
        ["bash", "-c", "set -e\n" + code.replace("curl ", "curl -sS --fail-with-body ", 1)],
        capture_output=True,
        env=env,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr.decode() + done.stdout.decode()
    answer = json.loads(done.stdout)
    assert answer["message"] == "audio streaming started"
    assert_listed(threaded_sim, call, answer["stream_id"], REQUEST)


@pytest.mark.parametrize("request_", [REQUEST, StreamRequest("ws://127.0.0.1:9/minimal")])
def test_python_snippet_starts_a_stream_with_the_official_sdk(
    threaded_sim: ThreadedSimulator, monkeypatch: pytest.MonkeyPatch, request_: StreamRequest
) -> None:
    # The SDK builds its URLs from these module constants; point them at the simulator.
    for name in (
        "PLIVO_API_BASE_URI",
        "API_VOICE_BASE_URI",
        "API_VOICE_BASE_URI_FALLBACK_1",
        "API_VOICE_BASE_URI_FALLBACK_2",
    ):
        monkeypatch.setattr(plivo_client, name, f"{threaded_sim.base_url}/v1/Account")
    monkeypatch.setenv("PLIVO_AUTH_ID", DEMO_AUTH_ID)
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", DEMO_AUTH_TOKEN)
    call = threaded_sim.new_call()
    code = render_snippet(Language.PYTHON, request_, call_uuid=call)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "start_stream.py", "exec"), {"__name__": "__main__"})
    stream_id = printed.getvalue().strip()
    assert stream_id in threaded_sim.stream_ids(call)
    expected = StreamRequest.from_body(request_.to_body())
    records = threaded_sim.call(lambda: list(threaded_sim.sim.streams_of(call)))
    (record,) = [r for r in records if r.stream_id == stream_id]
    assert record.params.service_url == expected.service_url
    if request_ is REQUEST:
        assert_listed(threaded_sim, call, stream_id, REQUEST)
