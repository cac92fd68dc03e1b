"""Help → Run self-test and Help → About, driven from the menu of a running console."""

from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QLabel

import console
from console.app.composition import ConsoleApp
from console.identity import DOCS_URL, LICENCE, NAME
from tests.app.conftest import wait_for


def _menu_action(app: ConsoleApp, object_name: str) -> QAction:
    action = app.window.findChild(QAction, object_name)
    assert action is not None, object_name
    return action


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_run_self_test_fills_the_dialog_step_by_step(running_console: ConsoleApp) -> None:
    seen_running: list[str] = []
    _menu_action(running_console, "self_test_action").trigger()
    dialog = running_console.help.self_test_dialog
    assert dialog is not None and dialog.isVisible()

    def finished() -> bool:
        # Sampled while the loop keeps turning: rows change state while the test runs.
        for row in range(dialog.steps.topLevelItemCount()):
            item = dialog.steps.topLevelItem(row)
            if item.text(1) == "running…" and item.text(0) not in seen_running:
                seen_running.append(item.text(0))
        return dialog.run_button.isEnabled()

    await wait_for(finished, timeout=45, what="the self-test to finish")
    assert len(seen_running) >= 3, seen_running  # shown live, not all at once at the end
    results = {
        dialog.steps.topLevelItem(r).text(0): dialog.steps.topLevelItem(r).text(1)
        for r in range(dialog.steps.topLevelItemCount())
    }
    assert results["List live calls through the API client"] == "passed"
    assert results["Stop the stream"] == "passed"
    assert results["Build and show the main window"] == "passed"
    assert results["Receive, verify and log the StopStream callback"] == "passed"
    assert set(results.values()) == {"passed"}
    assert dialog.summary.text().startswith("Self-test passed")

    dialog.copy_button.click()
    report = json.loads(QGuiApplication.clipboard().text())
    assert report["passed"] is True and report["console_version"] == console.__version__
    assert report["log_dir"] == str(running_console.log_dir)
    dialog.close()


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_about_shows_identity_and_copies_diagnostics(running_console: ConsoleApp) -> None:
    QGuiApplication.clipboard().clear()
    _menu_action(running_console, "about_action").trigger()
    about = running_console.help.about_dialog
    assert about is not None and about.isVisible()
    assert about.windowTitle() == f"About {NAME}"
    texts = " | ".join(label.text() for label in about.findChildren(QLabel))
    assert f"{NAME} {console.__version__}" in texts
    assert LICENCE in texts and DOCS_URL in texts
    log_label = about.findChild(QLabel, "about_log_dir")
    assert log_label is not None and log_label.text() == str(running_console.log_dir)

    about.copy_button.click()
    assert not about.copy_button.isEnabled()  # one run at a time
    await wait_for(lambda: about.copy_button.isEnabled(), timeout=45, what="diagnostics gathered")
    assert about.diagnostics_status.text().startswith("Diagnostics copied to the clipboard.")
    report = json.loads(QGuiApplication.clipboard().text())
    assert [s["name"] for s in report["steps"]][:2] == ["simulator", "receiver"]
    assert report["run_from"] == "the running console (Help menu)"
    about.close()
