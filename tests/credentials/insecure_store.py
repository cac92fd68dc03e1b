"""A keyring backend that keeps passwords in a plain JSON file in $HOME: the kind of backend a
user can select with PYTHON_KEYRING_BACKEND that the console must refuse (a real backend that
keyring loads and uses, written here because no installed package is exactly this). Loaded only
in subprocesses: a KeyringBackend subclass registers itself with keyring's discovery."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


def store_path() -> Path:
    return Path(os.environ["HOME"]) / "insecure-tokens.json"


class FileBackend(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _load(self) -> dict[str, str]:
        path = store_path()
        return json.loads(path.read_text()) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        store_path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}/{username}", None)
        store_path().write_text(json.dumps(data))
