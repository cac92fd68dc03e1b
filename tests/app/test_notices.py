"""The notices service: each intent has one presentation, and nothing else in app/ presents
banners, status messages, call results or desktop notifications itself."""

from __future__ import annotations

import ast
from pathlib import Path

from console.app.services.notices import Action, Notices
from console.ui.banners import Level

APP = Path(__file__).resolve().parents[2] / "console" / "app"
NOTICES = APP / "services" / "notices.py"
PRESENTATIONS = {
    "show_banner",
    "dismiss_banner",
    "show_status_message",
    "statusBar",
    "set_streams_status",
    "notify",
}


class Recorder:
    """Stands in for the window, the call pane and the tray at once: it only writes down what it
    was asked to show, which is all these tests look at."""

    def __init__(self) -> None:
        self.shown: list[tuple[object, ...]] = []

    def show_status_message(self, text: str, timeout_ms: int) -> None:
        self.shown.append(("status", text, timeout_ms))

    def show_banner(
        self,
        key: str,
        level: Level,
        text: str,
        detail: str = "",
        actions: list[Action] | None = None,
    ) -> None:
        self.shown.append(("banner", key, level, text, detail, [a[0] for a in actions or []]))

    def dismiss_banner(self, key: str) -> None:
        self.shown.append(("dismiss", key))

    def set_streams_status(self, text: str, *, error: bool = False) -> None:
        self.shown.append(("call", text, error))

    def notify(self, title: str, text: str) -> str:
        self.shown.append(("desktop", title, text))
        return "show"


def test_each_intent_has_its_presentation() -> None:
    seen = Recorder()
    notices = Notices(seen, seen, seen)
    notices.status("Saved.")
    notices.status("Waiting for Plivo", timeout_ms=2000)
    notices.problem("api", Level.WARNING, "Plivo is not answering", "detail", [("Retry", print)])
    notices.solved("api", "auth")
    notices.call_result("Stopping…")
    notices.call_result("refused", error=True)
    assert notices.desktop("Stream dropped", "A stream dropped") == "show"
    assert seen.shown == [
        ("status", "Saved.", 10_000),
        ("status", "Waiting for Plivo", 2000),
        ("banner", "api", Level.WARNING, "Plivo is not answering", "detail", ["Retry"]),
        ("dismiss", "api"),
        ("dismiss", "auth"),
        ("call", "Stopping…", False),
        ("call", "refused", True),
        ("desktop", "Stream dropped", "A stream dropped"),
    ]


def presenting_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(APP.parent.parent)}:{node.lineno}: {ast.unparse(node.func)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in PRESENTATIONS
    ]


def test_app_tells_the_agent_through_notices_only() -> None:
    found = [
        hit
        for path in sorted(APP.rglob("*.py"))
        if path != NOTICES
        for hit in presenting_calls(path)
    ]
    assert found == []
