"""Questions to the agent, behind one small service so controllers can be tested and nothing
blocks the event loop: every dialog is opened window-modal (`open()`, never `exec()`) and its
answer awaited as a future."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from console.ui.plain_text import plain_message_box

T = TypeVar("T")


async def await_answer(dialog: QDialog, result: Callable[[int], T]) -> T:
    """Open `dialog` window-modal and await `result(code)`, read when it finishes (while the
    dialog and its buttons still exist); the dialog is deleted afterwards."""
    answered: asyncio.Future[T] = asyncio.get_running_loop().create_future()

    def finished(code: int) -> None:
        if not answered.done():
            answered.set_result(result(code))

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await answered
    finally:
        dialog.deleteLater()


class Dialogs:
    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent
        self.current: QMessageBox | None = None  # the open question, for tests and shutdown

    async def confirm(self, title: str, text: str, ok_label: str, *, detail: str = "") -> bool:
        box = plain_message_box(self.parent)  # text may name a caller or quote Plivo
        box.setObjectName("confirm_dialog")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(text)
        if detail:
            box.setInformativeText(detail)
        ok = box.addButton(ok_label, QMessageBox.ButtonRole.AcceptRole)
        ok.setObjectName("confirm_ok")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)  # Enter on a reflex does not stop streams
        box.setEscapeButton(cancel)
        self.current = box
        try:
            return await await_answer(box, lambda _code: box.clickedButton() is ok)
        finally:
            self.current = None

    async def save_file(self, title: str, suggested: str, filter_: str) -> str | None:
        dialog = QFileDialog(self.parent, title)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(filter_)
        dialog.selectFile(suggested)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)

        def chosen(code: int) -> str | None:
            files = dialog.selectedFiles()
            return files[0] if code and files else None

        return await await_answer(dialog, chosen)
