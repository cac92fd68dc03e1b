"""Locating files under `resources/`: beside the package in a checkout, inside it when installed."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[2]  # console/


def resource_path(*parts: str) -> Path:
    for root in (_PACKAGE / "_resources", _PACKAGE.parent / "resources"):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    return (_PACKAGE.parent / "resources").joinpath(*parts)
