"""Every `docs/….md` a module of the console names exists, so a docstring's pointer never leads
nowhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = re.compile(r"\bdocs/[\w./-]+?\.md\b")


def test_docs_named_in_the_code_exist() -> None:
    missing = [
        f"{path.relative_to(ROOT)} names {name}"
        for path in sorted((ROOT / "console").rglob("*.py"))
        for name in sorted(set(DOC.findall(path.read_text(encoding="utf-8"))))
        if not (ROOT / name).is_file()
    ]
    assert missing == []
