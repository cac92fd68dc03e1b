"""The composed console against the simulator on loopback, for tests that drive it as an agent
would; and a TCP gate that can shut the road to the simulator (a real refused connection)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from console.app.composition import ConsoleApp
from console.credentials import MemoryCredentialStore
from console.domain.accounts import Profile
from console.domain.secret import Secret
from console.simulator import Simulator
from tests.app.conftest import wait_for

AUTH_ID = "MAOPERATORFLOWTEST01"
TOKEN = "operator-flow-token-123"


@dataclass
class Rig:
    console: ConsoleApp
    sim: Simulator
    profile: Profile
    runner: asyncio.Future[None]

    @property
    def view(self):  # type: ignore[no-untyped-def]
        return self.console.region.calls

    @property
    def pane(self):  # type: ignore[no-untyped-def]
        return self.console.pane

    async def refreshed(self) -> None:
        """Ask for a refresh and wait until one has completed after the ask."""
        before = self.console.calls.refreshes
        self.console.refresh_now()
        await wait_for(lambda: self.console.calls.refreshes > before, what="a refresh")

    async def select(self, call_uuid: str) -> None:
        await wait_for(lambda: self.view.select_call(call_uuid), what="call in the list")
        await wait_for(
            lambda: self.pane.call is not None and self.pane.call.call_uuid == call_uuid,
            what="call pane showing the call",
        )


async def make_rig(
    tmp_path: Path,
    sim: Simulator,
    token: str = TOKEN,
    *,
    wait: bool = True,
    base_url: str | None = None,
) -> Rig:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store = MemoryCredentialStore()
    console = ConsoleApp(
        settings, keyring_store=store, data_dir=tmp_path / "data", refresh_interval_s=0.3
    )
    profile = console.profiles.save(
        Profile(profile_id="", display_name="Support EU", auth_id=AUTH_ID,
                api_base_url=base_url or sim.base_url)
    )  # fmt: skip
    console.profiles.set_current(profile.profile_id)
    await store.set(profile.profile_id, Secret(token))
    runner = asyncio.ensure_future(console.run())
    rig = Rig(console, sim, profile, runner)
    await wait_for(console.window.isVisible)
    if wait:
        await wait_for(lambda: rig.view.model.rowCount() == len(sim.live_call_uuids()))
        # The receiver and the other services start once the first calls are listed.
        await wait_for(console.services_ready.is_set, what="services started")
    return rig


async def close_rig(rig: Rig) -> None:
    rig.console.window.close()
    await rig.runner
    await rig.console.shutdown()


class Gate:
    """A loopback TCP relay in front of the simulator. `close()` stops listening and cuts the
    open connections, so the console's next connect is refused as it would be with the network
    down; `open()` listens on the same port again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._writers.discard(writer)
        self._writers.discard(up_writer)
