"""Shared test set-up: offscreen Qt, one QApplication, and a qasync loop for async tests."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

# A desktop-sized offscreen screen (Qt's default is 800x800, where the window opens maximised,
# docs/layout.md); tests of laptop sizes resize the window themselves.
os.environ["QT_QPA_PLATFORM"] = (
    f"offscreen:configfile={Path(__file__).parent / 'fixtures' / 'offscreen-screen.json'}"
    if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen"
    else os.environ["QT_QPA_PLATFORM"]
)

import pytest
from hypothesis import HealthCheck, settings

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, object]:
    """Async tests run on a qasync loop, the same kind of loop the console runs on."""
    import qasync
    from PySide6.QtWidgets import QApplication

    return {"qasync": lambda: qasync.QEventLoop(QApplication.instance() or QApplication([]))}


# Shared 2-core machines are noisy: a per-example deadline or a "too slow" health check would turn
# load into failures that say nothing about the code. pytest-timeout still bounds every test.
settings.register_profile(
    "stream-console", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# `STREAM_CONSOLE_HYPOTHESIS=thorough make pytest`: 20x the examples, for a bug hunt.
settings.register_profile("thorough", settings.get_profile("stream-console"), max_examples=2000)
settings.load_profile(os.environ.get("STREAM_CONSOLE_HYPOTHESIS", "stream-console"))


def pytest_configure(config: pytest.Config) -> None:
    # As in the console (console/app/runtime/gc_guard.py): no automatic collection, which could
    # run on a worker thread and destroy a Qt object there; the fixture below collects on the
    # main thread.
    gc.disable()


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread() -> Iterator[None]:
    """Qt objects left in reference cycles by one test are destroyed here, on the GUI thread,
    never by a collection that a later test's worker thread happens to trigger (a Qt object
    destroyed off its thread leaves a dangling timer that crashes the GUI thread)."""
    yield
    gc.collect()


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
