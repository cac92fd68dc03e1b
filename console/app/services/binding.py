"""What the console is connected to right now: one profile's API client, and whether that is
the embedded simulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.domain.accounts import Profile
from console.domain.stream_rules import Target
from console.domain.urls import api_on_this_computer

if TYPE_CHECKING:
    from console.api import PlivoClient


@dataclass(frozen=True, slots=True)
class AccountBinding:
    profile: Profile
    client: PlivoClient
    simulator: bool = False
    media_sink_url: str | None = None  # the demo simulator's WebSocket sink, a ready stream URL
    broken_example_url: str | None = None  # the demo's sink that refuses streams (Check service)

    @property
    def local_api(self) -> str:
        """`host:port` of the account's API when it runs on this computer ('' otherwise)."""
        return "" if self.simulator else api_on_this_computer(self.profile.api_base_url)

    @property
    def target(self) -> Target:
        """Whose rules the stream form applies: an API on this computer (the demo's simulator,
        or an account pointed at a standalone one) may stream to this computer."""
        return Target.SIMULATOR if self.simulator or self.local_api else Target.PLIVO

    @property
    def label(self) -> str:
        return self.profile.display_name
