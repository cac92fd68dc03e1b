"""An assistive-technology client for the AT-SPI tests: what Orca sees and does, nothing more.

Runs under the system Python with Debian's `python3-pyatspi` (not on PyPI), in its own process,
on the same session D-Bus as the console it reads (tests/ui/test_atspi.py starts both). It finds
the console on the accessibility bus, then either audits the tree (`audit`) or starts and stops a
stream using only AT-SPI calls (`start-stop`): the Table interface to pick rows, EditableText to
type, Action to press buttons. Usage: `atspi_client.py audit|start-stop PID`; each prints one
JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pyatspi

APP_NAME = "stream-console"
# Roles a user operates; each must carry an accessible name when it is showing.
CONTROL_ROLES = {
    "push button",
    "toggle button",
    "check box",
    "radio button",
    "combo box",
    "text",
    "password text",
    "spin button",
    "slider",
    "table",
    "tree table",
    "list",
    "page tab",
    "menu item",
    "check menu item",
}
MAX_NODES = 5000
Node = Any  # a pyatspi Accessible


def wait(what: str, probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll `probe` until it gives something truthy; the AT side has no events to await here."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise SystemExit(json.dumps({"error": f"timed out waiting for {what}"}))
        time.sleep(0.1)


def application() -> Node:
    """The console with the process id given on the command line (another one may be closing)."""
    pid = int(sys.argv[2])

    def probe() -> Node:
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            if app is None or app.name != APP_NAME or not app.childCount:
                continue
            if app.get_process_id() == pid:
                return app
        return None

    return wait("the console on the accessibility bus", probe)


def walk(node: Node, path: str = "") -> Iterator[tuple[Node, str]]:
    """Every node under `node` (tables' cells left out: the Table interface reads those)."""
    stack = [(node, path)]
    seen = 0
    while stack and seen < MAX_NODES:
        current, where = stack.pop()
        seen += 1
        yield current, where
        if current.getRoleName() in ("table", "tree table"):
            continue
        for i in reversed(range(current.childCount)):
            child = current.getChildAtIndex(i)
            if child is not None:
                stack.append((child, f"{where}/{child.getRoleName()}[{child.name!r}]"))


def showing(node: Node) -> bool:
    return bool(node.getState().contains(pyatspi.STATE_SHOWING))


def enabled(node: Node) -> bool:
    return bool(node.getState().contains(pyatspi.STATE_ENABLED))


def find(app: Node, role: str, name: Callable[[str], bool] | str) -> Node:
    test = name if callable(name) else (lambda text: text == name)
    for node, _path in walk(app):
        if node.getRoleName() == role and test(node.name or "") and showing(node):
            return node
    return None


def do(node: Node, name: str) -> None:
    """Run `node`'s AT-SPI action called `name` ("Press", "SetFocus", ...)."""
    action = node.queryAction()
    names = [action.getName(i) for i in range(action.nActions)]
    action.doAction(names.index(name))


def press(node: Node) -> None:
    do(node, "Press")


def text_of(node: Node) -> str:
    return str(node.queryText().getText(0, -1))


def labels_of(node: Node) -> list[str]:
    """The names of the labels that label `node` (Qt: a QLabel whose buddy it is)."""
    names = []
    for relation in node.getRelationSet():
        if relation.getRelationType() == pyatspi.RELATION_LABELLED_BY:
            names += [relation.getTarget(i).name for i in range(relation.getNTargets())]
    return names


def table_rows(table: Node, limit: int = 50) -> list[list[str]]:
    grid = table.queryTable()
    rows = []
    for r in range(min(grid.nRows, limit)):
        rows.append([grid.getAccessibleAt(r, c).name or "" for c in range(grid.nColumns)])
    return rows


def pick_first_call(app: Node) -> list[str]:
    """Select the first call as Orca would (the Table interface), and wait for its form."""
    calls = wait("live calls", lambda: find(app, "table", "Live calls"))
    wait("rows in the calls list", lambda: calls.queryTable().nRows > 0)
    picked = table_rows(calls, 1)[0]
    do(calls, "SetFocus")  # into the list first, as Orca's focus does: Qt marks the top row
    calls.queryTable().addRowSelection(0)
    wait("the call's form", lambda: not find(app, "label", "No call selected"))
    return picked


def audit() -> dict[str, Any]:
    app = application()
    pick_first_call(app)  # the call pane and its form are showing
    search = wait("Search calls", lambda: find(app, "text", "Search calls"))
    search.queryEditableText().setTextContents("+")  # shows the field's clear button
    wait("the search applied", lambda: text_of(search) == "+")
    unnamed, tables, controls, combos = [], [], [], {}
    for node, path in walk(app):
        role = node.getRoleName()
        if role not in CONTROL_ROLES or not showing(node):
            continue
        controls.append(f"{role}: {node.name}")
        if role == "combo box":  # Qt on Linux names a combo box by its value, its label by relation
            combos[node.name] = labels_of(node)
        if not (node.name or "").strip():
            unnamed.append(f"{path} ({role})")
        if role == "table":
            grid = node.queryTable()
            headers = [grid.getColumnDescription(c) for c in range(grid.nColumns)]
            tables.append(
                {"name": node.name, "rows": grid.nRows, "headers": headers,
                 "first_row": table_rows(node, 1)[0] if grid.nRows else []}
            )  # fmt: skip
    return {"controls": controls, "unnamed": unnamed, "tables": tables, "combos": combos}


def start_stop() -> dict[str, Any]:
    app = application()
    picked = pick_first_call(app)
    url_field = wait("Stream URL", lambda: find(app, "text", "Stream URL (service_url)"))
    url = wait("the demo's stream URL", lambda: text_of(url_field))
    url_field.queryEditableText().setTextContents(url)  # typed in by the AT
    start = wait("Start stream enabled", lambda: (b := find(app, "push button", "Start stream"))
                 and enabled(b) and b)  # fmt: skip
    press(start)
    started = wait(
        "the start result", lambda: find(app, "label", lambda t: t.startswith("Stream started"))
    ).name
    id_field = wait("the Stream ID field", lambda: find(app, "text", "Stream ID"))
    stream_id = wait("the stream ID", lambda: text_of(id_field))
    streams = wait("the streams table", lambda: find(app, "table", "Streams of this call"))

    def our_row() -> int | None:
        for r, cells in enumerate(table_rows(streams)):
            if any(stream_id[:8] in cell for cell in cells):
                return r
        return None

    row = wait("the stream in the table", lambda: our_row() is not None) and our_row()
    started_row = table_rows(streams)[row]
    streams.queryTable().addRowSelection(row)
    stop = wait("Stop stream enabled", lambda: (b := find(app, "push button", "Stop stream"))
                and enabled(b) and b)  # fmt: skip
    press(stop)
    stopped = wait(
        "the stop result", lambda: find(app, "label", lambda t: t.startswith("Stream stopped"))
    )
    return {
        "call": picked,
        "url": url,
        "started": started,
        "stream_id": stream_id,
        "started_row": started_row,
        "stopped": stopped.name,
        "stop_enabled_after": enabled(stop),
    }


if __name__ == "__main__":
    command = {"audit": audit, "start-stop": start_stop}[sys.argv[1]]
    print(json.dumps(command()))
