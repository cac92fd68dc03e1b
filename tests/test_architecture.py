"""Imports point down only (README "Layout"): checked on the source,
so a forbidden import fails here before it can creep in through a lazy import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "console"

# layer -> top-level modules it must never import
FORBIDDEN: dict[str, set[str]] = {
    "domain": {
        "PySide6",
        "qasync",
        "httpx",
        "aiohttp",
        "keyring",
        "sqlite3",
        "console.api",
        "console.ui",
        "console.app",
        "console.receiver",
        "console.store",
        "console.credentials",
        "console.simulator",
        "console.monitor",
        "console.servicecheck",
    },
    "ui": {
        "console.app",
        "console.api",
        "console.servicecheck",
        "console.receiver",
        "console.store",
        "console.credentials",
        "console.simulator",
        "httpx",
        "aiohttp",
        "keyring",
        "sqlite3",
    },
    "api": {
        "PySide6",
        "qasync",
        "console.ui",
        "console.app",
        "console.receiver",
        "console.store",
        "console.simulator",
        "aiohttp",
        "keyring",
    },
    "simulator": {
        "PySide6",
        "qasync",
        "console.ui",
        "console.app",
        "console.api",
        "console.receiver",
        "console.store",
        "console.credentials",
        "httpx",
    },
    "credentials": {"PySide6", "console.ui", "console.app", "console.api", "httpx", "aiohttp"},
    "store": {"PySide6", "console.ui", "console.app", "console.api", "httpx", "aiohttp", "keyring"},
    "receiver": {"PySide6", "console.ui", "console.app", "console.api", "httpx", "keyring"},
    "servicecheck": {
        "PySide6",
        "qasync",
        "console.ui",
        "console.app",
        "console.api",
        "console.receiver",
        "console.store",
        "console.credentials",
        "console.monitor",
        "httpx",
        "keyring",
        "sqlite3",
    },
    "monitor": {
        "PySide6",
        "qasync",
        "console.ui",
        "console.app",
        "console.api",
        "console.receiver",
        "console.store",
        "console.credentials",
        "console.simulator",
        "httpx",
        "keyring",
    },
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _violations(layer: str) -> list[str]:
    bad = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in _imports(path):
            for banned in FORBIDDEN[layer]:
                if name == banned or name.startswith(banned + "."):
                    bad.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    return bad


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_down(layer: str) -> None:
    assert _violations(layer) == []


def test_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import os\nfrom PySide6.QtCore import QObject\nimport httpx as h\n")
    assert {"PySide6.QtCore", "httpx", "os"} <= _imports(sample)


# --- the import graph of `console` ---------------------------------------------------------------
# Inside app/ the rooms are ordered too (docs/architecture.md): a module imports from its own
# room or from rooms further down this list, never up. Rooms: app/'s subpackages and top modules.
APP_ROOMS: tuple[str, ...] = (
    "cli",
    "commands",
    "gui",
    "composition",
    "shell",
    "controllers",
    "services",
    "runtime",
)


def _module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def _typing_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:` (never run, so they make no cycle)."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                guarded.update(id(inner) for inner in ast.walk(statement))
    return guarded


def _console_imports(
    module: str, path: Path, known: set[str], *, typing_only: bool = True
) -> set[str]:
    """Every `console` module `path` imports: at the top and inside functions, and with
    `typing_only` under TYPE_CHECKING too; `from package import name` counts as importing
    `package.name` when that is a module."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = set() if typing_only else _typing_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            names = [f"{base}.{alias.name}" for alias in node.names]
            names = [name if name in known else base for name in names]
        else:
            continue
        for name in names:
            while name and name not in known:  # `import console.x.y` -> the deepest module
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def _graph(root: Path = PACKAGE, *, typing_only: bool = True) -> dict[str, set[str]]:
    """module -> the `console` modules it imports (with `typing_only`: those under
    TYPE_CHECKING as well)."""
    known = set(modules := _modules(root))
    return {
        name: _console_imports(name, path, known, typing_only=typing_only)
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _app_room(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["console", "app"] or len(parts) < 3:
        return None
    return parts[2]


def _upward_app_imports(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in sorted(graph.items()):
        room = _app_room(module)
        if room is None:
            continue
        for target in sorted(targets):
            other = _app_room(target)
            if other is not None and APP_ROOMS.index(other) < APP_ROOMS.index(room):
                bad.append(f"{module} ({room}) imports {target} ({other}), a room above it")
    return bad


def test_console_import_graph_has_no_cycle() -> None:
    """No module needs itself to import, through any chain of imports that run (at the top or
    inside a function); imports for type checkers only are left out."""
    assert _cycles(_graph(typing_only=False)) == []


def test_every_app_module_is_in_a_known_room() -> None:
    rooms = {_app_room(name) for name in _modules()} - {None}
    assert rooms <= set(APP_ROOMS)


def test_app_imports_point_down_its_rooms() -> None:
    assert _upward_app_imports(_graph()) == []


def test_graph_sees_imports_inside_functions_and_finds_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "console"
    (package / "app" / "runtime").mkdir(parents=True)
    for folder in (package, package / "app", package / "app" / "runtime"):
        (folder / "__init__.py").write_text("")
    (package / "app" / "composition.py").write_text("from console.app.runtime import tasks\n")
    (package / "app" / "runtime" / "tasks.py").write_text(
        "def later():\n    from console.app import composition\n"
    )
    (package / "app" / "shell.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from console.app import gui\n"
    )
    (package / "app" / "gui.py").write_text("from console.app import shell\n")
    assert _graph(package)["console.app.shell"] == {"console.app.gui"}
    graph = _graph(package, typing_only=False)
    assert graph["console.app.shell"] == set()
    assert graph["console.app.runtime.tasks"] == {"console.app.composition"}
    assert _cycles(graph) == [["console.app.composition", "console.app.runtime.tasks"]]
    assert _upward_app_imports(_graph(package)) == [
        "console.app.runtime.tasks (runtime) imports console.app.composition (composition), "
        "a room above it",
        "console.app.shell (shell) imports console.app.gui (gui), a room above it",
    ]
