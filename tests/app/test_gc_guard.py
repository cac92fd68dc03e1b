from __future__ import annotations

import gc

from pytestqt.qtbot import QtBot

from console.app.runtime.gc_guard import MainThreadCollector


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collector_collects_cycles_on_the_gui_thread(qtbot: QtBot) -> None:
    collector = MainThreadCollector()
    collector.start()
    try:
        assert not gc.isenabled()
        for _ in range(gc.get_threshold()[0] * 2):
            _Cycle()
        assert gc.get_count()[0] > gc.get_threshold()[0]
        qtbot.waitUntil(lambda: gc.get_count()[0] < gc.get_threshold()[0], timeout=3000)
    finally:
        collector.stop()


def test_settle_freezes_the_heap_and_later_cycles_are_still_collected(qtbot: QtBot) -> None:
    import weakref

    collector = MainThreadCollector()
    collector.start()
    try:
        settled = _Cycle()
        frozen = collector.settle()
        assert frozen > 0 and gc.get_freeze_count() == frozen
        later = _Cycle()
        gone = weakref.ref(later)
        del later
        gc.collect()  # a full collection still finds what was made after the heap settled
        assert gone() is None
        assert settled.me is settled
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0  # stopping gives the heap back to the collector
