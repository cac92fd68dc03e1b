"""What the console is connected to right now: one profile's API client, and whether that is
the embedded simulator."""

from __future__ import annotations

from dataclasses import dataclass

from console.api import PlivoClient
from console.domain.accounts import Profile
from console.domain.stream_rules import Target


@dataclass(frozen=True, slots=True)
class AccountBinding:
    profile: Profile
    client: PlivoClient
    simulator: bool = False
    media_sink_url: str | None = None  # the demo simulator's WebSocket sink, a ready stream URL
    broken_example_url: str | None = None  # the demo's sink that refuses streams (Check service)

    @property
    def target(self) -> Target:
        return Target.SIMULATOR if self.simulator else Target.PLIVO

    @property
    def label(self) -> str:
        return self.profile.display_name
