"""The Qt presentation layer: models, views, widgets and dialogs. It renders domain objects and
emits intent signals; it never talks to the API, the receiver, the store or the keyring.

Widgets are imported lazily (`console.ui.StreamForm`) so that importing the package costs nothing.
"""

from __future__ import annotations

from console.lazy import lazy_attributes

_EXPORTS: dict[str, str] = {
    "StreamForm": "console.ui.stream_form",
}


__getattr__ = lazy_attributes(__name__, _EXPORTS)
