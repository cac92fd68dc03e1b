"""A StreamForm on screen (offscreen platform), with a call selected, as an agent would see it."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from console.ui import StreamForm

CALL = "2f6c7d2e-8a1b-4c3d-9e0f-123456789abc"
GOOD_URL = "wss://stream.example.com/audio"


@pytest.fixture
def form(qtbot: QtBot) -> StreamForm:
    widget = StreamForm()
    qtbot.addWidget(widget)
    widget.set_call(CALL, "+1 415 555 0100")
    widget.resize(760, 900)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    widget.service_url.setFocus()
    return widget
