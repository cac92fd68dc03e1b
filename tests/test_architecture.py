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
