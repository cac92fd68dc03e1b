"""Demo mode: the embedded Plivo simulator on the console's own event loop, and a profile that
points at it. Nothing leaves the machine; the demo token is not a secret."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.domain.accounts import Profile

if TYPE_CHECKING:
    from console.simulator.server import Simulator

DEMO_PROFILE_ID = "demo"


class DemoBackend:
    """Starts the simulator on first use (its imports cost start-up time) and stops it at exit."""

    def __init__(self, *, calls: int = 12, seed: int | None = None) -> None:
        self._calls = calls
        self._seed = seed
        self.simulator: Simulator | None = None
        self.profile: Profile | None = None
        self.token = ""
        self.media_sink_url = ""
        self.refusing_sink_url = ""  # the broken example for Check service (closes at start)

    async def start(self) -> Profile:
        if self.profile is not None:
            return self.profile
        from console.simulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Simulator, SimulatorConfig

        simulator = Simulator(SimulatorConfig(calls=self._calls, seed=self._seed))
        base_url = await simulator.start("127.0.0.1", 0)
        self.simulator = simulator
        self.token = DEMO_AUTH_TOKEN
        self.media_sink_url = simulator.media_sink_url
        self.refusing_sink_url = simulator.refusing_sink_url
        self.profile = Profile(
            profile_id=DEMO_PROFILE_ID,
            display_name="Demo account (simulator)",
            auth_id=DEMO_AUTH_ID,
            api_base_url=base_url,
            demo=True,
        )
        return self.profile

    async def stop(self) -> None:
        simulator = self.simulator
        self.simulator = None
        self.profile = None
        if simulator is not None:
            await simulator.stop()
