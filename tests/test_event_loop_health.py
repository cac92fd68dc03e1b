"""The qasync loop on our Qt binding must survive many callbacks.

PySide6-Essentials 6.12.0 decrements None's reference count on every `QObject.killTimer()`, and
qasync calls killTimer once per scheduled callback. On Python 3.11 (where None is not immortal)
the count reaches zero after some tens of thousands of callbacks and the interpreter aborts with
"Fatal Python error: none_dealloc". This test fails on such a binding long before that happens.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

CALLBACKS = 5_000


@pytest.mark.asyncio
async def test_loop_callbacks_do_not_drain_none_refcount() -> None:
    before = sys.getrefcount(None)
    for _ in range(CALLBACKS):
        await asyncio.sleep(0)
    lost = before - sys.getrefcount(None)
    assert lost < CALLBACKS // 10, f"{lost} references to None lost in {CALLBACKS} callbacks"
