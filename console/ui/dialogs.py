"""Questions to the agent, behind one small service so controllers can be tested and nothing
blocks the event loop: every dialog is opened window-modal (`open()`, never `exec()`) and its
answer awaited as a future."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from console.ui.plain_text import plain_message_box


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
        answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def finished(_code: int) -> None:
            if not answered.done():
                answered.set_result(box.clickedButton() is ok)

        box.finished.connect(finished)
        self.current = box
        box.open()
        try:
            return await answered
        finally:
            self.current = None
            box.deleteLater()

    async def save_file(self, title: str, suggested: str, filter_: str) -> str | None:
        dialog = QFileDialog(self.parent, title)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(filter_)
        dialog.selectFile(suggested)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        chosen: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

        def finished(code: int) -> None:
            if not chosen.done():
                files = dialog.selectedFiles()
                chosen.set_result(files[0] if code and files else None)

        dialog.finished.connect(finished)
        dialog.open()
        try:
            return await chosen
        finally:
            dialog.deleteLater()
