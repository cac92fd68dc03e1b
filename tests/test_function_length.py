"""No function in the console is longer than 60 lines (docs/architecture.md): a longer one,
usually a constructor building a whole layout inline, is split into named parts first."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "console"
MAX_LINES = 60
NOT_COVERED: tuple[str, ...] = ()  # every package is covered


def long_functions(root: Path = PACKAGE, limit: int = MAX_LINES) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] in NOT_COVERED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit:
                    where = f"{path.relative_to(root.parent)}:{node.lineno}"
                    found.append(f"{where} {node.name}: {lines} lines")
    return found


def test_no_function_is_longer_than_sixty_lines() -> None:
    assert long_functions() == []


def test_the_check_counts_a_whole_function(tmp_path: Path) -> None:
    package = tmp_path / "console"
    (package / "store").mkdir(parents=True)
    body = "".join(f"    x{i} = {i}\n" for i in range(60))
    (package / "long.py").write_text(f"def long():\n{body}\n\ndef short():\n    pass\n")
    (package / "store" / "also.py").write_text(f"def long():\n{body}")
    assert long_functions(package) == [
        "console/long.py:1 long: 61 lines",
        "console/store/also.py:1 long: 61 lines",
    ]
