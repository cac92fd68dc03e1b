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
    dialog.resize(1400, 260)
    await settle()
    grab(dialog, out / "team-activity-history.png")
    dialog.close()


def _text(item: QTableWidgetItem | None) -> str:
    return item.text() if item is not None else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the team database's URL, no password")
    parser.add_argument("--api", required=True, help="the simulator's base URL")
    parser.add_argument("--public-url", required=True, help="the collectors' public URL")
    parser.add_argument("out", type=Path, nargs="?", default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    password = os.environ.get("TEAM_DB_PASSWORD", "")
    app = make_application()
    with (
        tempfile.TemporaryDirectory() as tmp,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        runner.run(scene(args.out, Path(tmp), args, password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
