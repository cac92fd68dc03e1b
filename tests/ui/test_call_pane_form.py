"""The call pane builds its stream form with the form's first use, not with the pane: the first
screen says "No call selected" and need not wait for the form's imports and widgets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.domain.calls import LiveCall
from console.ui.call_pane import CallPane

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_pane_shows_no_call_and_has_no_form_yet(qtbot: QtBot) -> None:
    pane = CallPane()
    qtbot.addWidget(pane)
    pane.show()
    assert not pane.has_form
    assert pane.stack.currentWidget() is pane.empty
    assert pane.width_wanted() == pane.fontMetrics().horizontalAdvance("x" * 76)
    pane.show_call(None)  # no call again: still nothing to build
    assert not pane.has_form


def test_picking_a_call_builds_the_form_once_aimed_as_set_before(qtbot: QtBot) -> None:
    pane = CallPane()
    qtbot.addWidget(pane)
    built: list[object] = []
    pane.form_built.connect(built.append)
    pane.set_stream_target(simulator=True, api_base_url="http://127.0.0.1:9/")
    assert not pane.has_form
    pane.show_call(LiveCall("call-1", from_number="+14155550100", to_number="+14155550199"))
    pane.show()
    assert pane.has_form and built == [pane.form]
    assert pane.splitter.widget(0) is pane.form  # above the streams, as before
    assert pane.form.isVisibleTo(pane)
    assert "call-1" in pane.form.call_label.text()  # the form is on the call shown
    assert pane.form.start_button.isEnabled() or pane.form.service_url.isEnabled()
    assert pane.form.target_label.text().startswith("Sending to the simulator")
    pane.show_call(LiveCall("call-2", from_number="+1", to_number="+2"))
    assert built == [pane.form]  # once


def test_tab_goes_from_the_call_header_into_the_form_before_the_streams(qtbot: QtBot) -> None:
    """Built last, the form still comes where it shows: under the header, above the streams."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    pane = CallPane()
    qtbot.addWidget(pane)
    pane.show_call(LiveCall("call-1", from_number="+14155550100", to_number="+14155550199"))
    pane.show()
    pane.activateWindow()
    qtbot.waitExposed(pane)
    pane.copy_uuid.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is pane.copy_uuid)
    reached = []
    for _ in range(30):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
        if reached[-1] is pane.table:
            break
    in_form = [w for w in reached if pane.form.isAncestorOf(w)]
    assert in_form and reached.index(in_form[0]) == 0  # the first Tab lands in the form
    assert pane.form.service_url in reached
    assert reached.index(pane.form.service_url) < reached.index(pane.table)


def test_a_pane_whose_form_was_never_built_exits_cleanly(tmp_path: Path) -> None:
    """Every part of a form-less pane has a Qt parent: none is left for Python to delete after
    the application is gone (a segfault at exit)."""
    script = tmp_path / "panes.py"
    script.write_text(
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from console.ui.call_pane import CallPane\n"
        "panes = [CallPane() for _ in range(3)]\n"
        "del panes\n"
        "import gc; gc.collect()\n"
        "kept = CallPane()\n"
        "print('ok', kept.has_form)\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ok", "False"]
