"""Team mode's screenshots, taken while following README "Team mode" on one machine: PostgreSQL,
two collectors and the standalone simulator are started by hand as the README says; this script
plays the two agents (two consoles, each with its own settings), joins both to the team database
through the Team database dialog, starts a stream in the first one and grabs both windows once
the StartStream callback shows in both event panes.

    TEAM_DB_PASSWORD=... xvfb-run -a -s "-screen 0 2600x1000x24" scripts/with-test-keyring.sh \\
        env QT_QPA_PLATFORM=xcb python scripts/screenshots_team.py \\
        --db postgresql://console@127.0.0.1/console --api http://127.0.0.1:8899 \\
        --public-url http://callbacks.trial.test:8766 docs/screenshots

Writes team-two-consoles.png, team-database-dialog.png and team-activity-history.png (the
second console's activity history showing the first console's start).

Without `--db` it needs nothing set up: it starts a throwaway PostgreSQL (tests/pg/cluster.py),
runs `team init` and makes two agent logins, `anna` and `ben`, joins two demo consoles to it,
each with its own login, starts a stream in each, and writes team-activity-history.png: the
second console's history with both starts, each under the login that made it (checked: recorded
by the database), the OS user and host beside it.

    xvfb-run -a -s "-screen 0 1920x1200x24" scripts/with-test-keyring.sh \
        env QT_QPA_PLATFORM=xcb python scripts/screenshots_team.py docs/screenshots
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import qasync
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTableWidgetItem

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from console.app.composition import ConsoleApp  # noqa: E402
from console.app.gui import make_application  # noqa: E402
from console.app.services.demo import DemoBackend  # noqa: E402
from console.credentials import MemoryCredentialStore  # noqa: E402
from console.domain.accounts import Profile  # noqa: E402
from console.domain.secret import Secret  # noqa: E402
from scripts.screenshots import grab, settle, until  # noqa: E402

DEMO_AUTH_ID = "MADEMOSTREAMCONSOLE1"  # the standalone simulator's default account
DEMO_TOKEN = "DemoTokenNotASecretStreamConsoleSim00000"
SERVICE = "wss://transcribe.example.com/live"


async def agent(home: Path, api: str, public_url: str) -> tuple[ConsoleApp, asyncio.Future[None]]:
    """One agent's console: the simulator's account added, its public URL the collectors'."""
    settings = QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)  # the collectors receive; two consoles, no clash
    store = MemoryCredentialStore()
    console = ConsoleApp(settings, keyring_store=store, data_dir=home / "data")
    profile = console.profiles.save(
        Profile(profile_id="", display_name="Support team", auth_id=DEMO_AUTH_ID, api_base_url=api)
    )
    console.profiles.set_public_url(profile.profile_id, public_url)
    console.profiles.set_current(profile.profile_id)
    await store.set(profile.profile_id, Secret(DEMO_TOKEN))
    console.window.resize(1250, 860)
    runner = asyncio.ensure_future(console.run())
    await until(console.window.isVisible)
    return console, runner


async def join_team(console: ConsoleApp, db: str, password: str, out: Path | None) -> None:
    """What README "Joining a console" says: Account → Team database…, address, password,
    Test connection, On, Save."""
    action = console.window.findChild(QAction, "team_database_action")
    assert action is not None
    action.trigger()
    dialog = console.team.dialog
    assert dialog is not None
    QTest.keyClicks(dialog.url, db)
    QTest.keyClicks(dialog.password, password)
    QTest.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    await until(lambda: dialog.verdict.text() not in ("", "Testing…"), timeout=20)
    print(f"test connection: {dialog.verdict.text()}")
    QTest.mouseClick(dialog.on, Qt.MouseButton.LeftButton)
    if out is not None:
        await settle()
        grab(dialog, out / "team-database-dialog.png")
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    await until(lambda: console.window.team_status.text() == "Team database: connected", 30)
    dialog.close()


async def scene(out: Path, work: Path, args: argparse.Namespace, password: str) -> None:
    anna, anna_runner = await agent(work / "anna", args.api, args.public_url)
    ben, ben_runner = await agent(work / "ben", args.api, args.public_url)
    try:
        await join_team(anna, args.db, password, out)
        await join_team(ben, args.db, password, None)
        before = [c.events_pane.model.rowCount() for c in (anna, ben)]
        view = anna.region.calls
        await until(lambda: view.model.rowCount() >= 3)
        view.select_call(view.model.uuids[1])
        await until(lambda: anna.pane.call is not None)
        form = anna.pane.form
        await until(form.callbacks_to_console.isEnabled)
        form.callbacks_to_console.setChecked(True)
        form.service_url.setText(SERVICE)
        await until(form.start_button.isEnabled)
        form.start_button.click()

        def shown_in_both() -> bool:
            counts = [c.events_pane.model.rowCount() for c in (anna, ben)]
            return all(now > then for now, then in zip(counts, before, strict=True))

        await until(shown_in_both, 30)
        call = anna.pane.call.call_uuid if anna.pane.call else ""
        ben.region.calls.select_call(call)
        await settle(1.5)
        left, right = anna.window.grab().toImage(), ben.window.grab().toImage()
        gap = 16
        both = QImage(
            left.width() + gap + right.width(),
            max(left.height(), right.height()),
            QImage.Format.Format_RGB32,
        )
        both.fill(Qt.GlobalColor.darkGray)
        painter = QPainter(both)
        painter.drawImage(0, 0, left)
        painter.drawImage(left.width() + gap, 0, right)
        painter.end()
        target = out / "team-two-consoles.png"
        both.scaledToWidth(2000, Qt.TransformationMode.SmoothTransformation).save(str(target))
        print(f"wrote {target}")
        await history_in_the_other_console(ben, call, out)
    finally:
        for console, runner in ((anna, anna_runner), (ben, ben_runner)):
            console.window.close()
            await runner
            await console.shutdown()


async def history_in_the_other_console(console: ConsoleApp, call: str, out: Path) -> None:
    """The second agent opens View → Activity history: the first agent's start is there, with
    its user and host (the team's one record)."""
    action = console.window.findChild(QAction, "activity_action")
    assert action is not None
    action.trigger()
    dialog = console.activity.dialog
    assert dialog is not None
    table = dialog.table

    def rows() -> list[list[str]]:
        return [
            [
                table.item(r, c).text() if table.item(r, c) else ""
                for c in range(table.columnCount())
            ]
            for r in range(table.rowCount())
        ]

    await until(lambda: any(call in " ".join(row) for row in rows()), timeout=20)
    for row in rows():
        print("activity history (second console): " + " | ".join(row))
    dialog.resize(1500, 260)
    await settle()
    grab(dialog, out / "team-activity-history.png")
    dialog.close()


async def demo_agent(home: Path) -> tuple[ConsoleApp, asyncio.Future[None]]:
    """One agent's console on the demo account (its own simulated calls)."""
    settings = QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("receiver/port", 0)
    console = ConsoleApp(
        settings, keyring_store=MemoryCredentialStore(), data_dir=home / "data",
        demo_backend=DemoBackend(calls=4, seed=3), refresh_interval_s=1.0,
    )  # fmt: skip
    console.window.resize(1250, 860)
    runner = asyncio.ensure_future(console.run())
    await until(console.window.isVisible)
    console.select_profile("demo")
    return console, runner


async def start_a_stream(console: ConsoleApp, index: int) -> str:
    """Start a stream on the demo's `index`-th call (to the demo's own media sink)."""
    view = console.region.calls
    await until(lambda: view.model.rowCount() >= 4)
    call = view.model.uuids[index]
    view.select_call(call)
    await until(lambda: console.pane.call is not None)
    form = console.pane.form
    await until(form.start_button.isEnabled)
    form.start_button.click()
    await until(lambda: console.pane.streams.active_count() == 1, timeout=20)
    return call


async def agent_logins(url: str, password: str) -> dict[str, str]:
    """`team init`, then the agent logins anna and ben: their passwords."""
    import psycopg

    from console.store.pg.roles import AGENT, add_login, init_team

    async with await psycopg.AsyncConnection.connect(
        url, password=password, autocommit=True
    ) as conn:
        await init_team(conn)
        return {name: str(await add_login(conn, name, AGENT)) for name in ("anna", "ben")}


async def attribution_scene(out: Path, work: Path) -> None:
    """Two agents, each on their own team login: the second's history shows both starts."""
    from tests.pg.cluster import PASSWORD, started_cluster

    cluster = started_cluster()
    try:
        db = cluster.new_database("team")
        passwords = await agent_logins(cluster.url(db), PASSWORD)
        anna, anna_runner = await demo_agent(work / "anna")
        ben, ben_runner = await demo_agent(work / "ben")
        try:
            for name, console in (("anna", anna), ("ben", ben)):
                url = f"postgresql://{name}@127.0.0.1:{cluster.port}/{db}"
                await join_team(console, url, passwords[name], None)
            await start_a_stream(anna, 1)
            await history_in_the_other_console(ben, await start_a_stream(ben, 2), out)
        finally:
            for console, runner in ((anna, anna_runner), (ben, ben_runner)):
                console.window.close()
                await runner
                await console.shutdown()
    finally:
        cluster.destroy()


def _text(item: QTableWidgetItem | None) -> str:
    return item.text() if item is not None else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="the team database's URL, no password (else a throwaway)")
    parser.add_argument("--api", help="the simulator's base URL (with --db)")
    parser.add_argument("--public-url", help="the collectors' public URL (with --db)")
    parser.add_argument("out", type=Path, nargs="?", default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    password = os.environ.get("TEAM_DB_PASSWORD", "")
    app = make_application()
    with (
        tempfile.TemporaryDirectory() as tmp,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        if args.db:
            runner.run(scene(args.out, Path(tmp), args, password))
        else:
            runner.run(attribution_scene(args.out, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
