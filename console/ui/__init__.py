"""The Qt presentation layer: models, views, widgets and dialogs. It renders domain objects and
emits intent signals; it never talks to the API, the receiver, the store or the keyring.

Widgets are imported lazily (`console.ui.StreamForm`) so that importing the package costs nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "StreamForm": "console.ui.stream_form",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'console.ui' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
