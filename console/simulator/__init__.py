"""A faithful local Plivo for tests, demo mode and training.

`Simulator` serves Plivo's live-call and audio-stream REST endpoints on loopback, moves streams
through their lifecycle, sends signed status callbacks and streams synthetic audio over WebSocket.
The heavy parts (aiohttp) load on first use of `Simulator`, so `console.simulator.cli` stays light.
"""

from __future__ import annotations

from console.lazy import lazy_attributes
from console.simulator.config import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, SimulatorConfig

__all__ = [
    "DEMO_AUTH_ID",
    "DEMO_AUTH_TOKEN",
    "Faults",
    "Simulator",
    "SimulatorConfig",
    "Stats",
    "StreamRecord",
]

_LAZY: dict[str, str] = {
    "Simulator": "console.simulator.server",
    "Faults": "console.simulator.faults",
    "Stats": "console.simulator.faults",
    "StreamRecord": "console.simulator.state",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
