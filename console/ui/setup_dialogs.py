"""The questions an import of stream setups asks (docs/stream-setups.md): which file, what to do
with names the account already has, and why a file was refused. Opened window-modal with
`open()` and awaited as futures, like `console.ui.dialogs`, so the event loop never blocks.
Everything shown comes from an outside file: plain text only, and the lists are cut."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from console.ui.dialogs import await_answer
from console.ui.plain_text import plain_message_box

FILE_FILTER = "Stream setups (*.json);;All files (*)"
SHOWN_LINES = 12  # the box lists this many; the rest are under "Show Details…"


class ClashChoice(StrEnum):
    REPLACE = "replace"
    KEEP_BOTH = "keep both"
    SKIP = "skip"
    CANCEL = "cancel"


class SetupDialogs:
    """The import's questions, on `parent`; `current` is the open one (tests, shutdown)."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.current: QWidget | None = None

    async def _answer(self, dialog: QFileDialog | QMessageBox) -> int:
        self.current = dialog
        try:
            return await await_answer(dialog, lambda code: code)
        finally:
            self.current = None

    def _box(self, name: str, icon: QMessageBox.Icon) -> QMessageBox:
        box = plain_message_box(self.parent)  # names and messages come from an outside file
        box.setObjectName(name)
        box.setIcon(icon)
        box.setWindowTitle("Import stream setups")
        return box

    async def open_file(self) -> str | None:
        dialog = QFileDialog(self.parent, "Import stream setups")
        dialog.setObjectName("setups_import_file")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(FILE_FILTER)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        code = await self._answer(dialog)
        files = dialog.selectedFiles()
        return files[0] if code and files else None

    async def ask_clashes(self, names: Sequence[str]) -> ClashChoice:
        """The file has setups named like ones the account has: replace, keep both, or skip."""
        box = self._box("setups_clash_dialog", QMessageBox.Icon.Question)
        count = len(names)
        box.setText(
            f"This account already has {count} setup{'' if count == 1 else 's'} with the same "
            "name as in the file:\n" + _listed(names)
        )
        box.setInformativeText(
            'Replace them, keep both (the imported ones get "Name (2)"), or skip them?'
        )
        buttons = {
            ClashChoice.REPLACE: box.addButton("Replace", QMessageBox.ButtonRole.AcceptRole),
            ClashChoice.KEEP_BOTH: box.addButton("Keep both", QMessageBox.ButtonRole.AcceptRole),
            ClashChoice.SKIP: box.addButton("Skip them", QMessageBox.ButtonRole.AcceptRole),
        }
        for choice, button in buttons.items():
            button.setObjectName(f"clash_{choice.name.lower()}")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(buttons[ClashChoice.KEEP_BOTH])  # loses nothing
        box.setEscapeButton(cancel)
        await self._answer(box)
        clicked = box.clickedButton()
        return next((c for c, b in buttons.items() if b is clicked), ClashChoice.CANCEL)

    async def show_refused(self, errors: Sequence[str]) -> None:
        """Why nothing was imported: every problem, per setup."""
        box = self._box("setups_import_errors", QMessageBox.Icon.Warning)
        count = len(errors)
        box.setText(
            "Nothing was imported: "
            + ("the file has a problem." if count == 1 else f"the file has {count} problems.")
        )
        box.setInformativeText(_listed(errors))
        if count > SHOWN_LINES:
            box.setDetailedText("\n".join(e[:400] for e in errors[:1000]))
        box.addButton(QMessageBox.StandardButton.Close)
        await self._answer(box)


def _listed(lines: Sequence[str]) -> str:
    shown = [f"• {line[:300]}" for line in lines[:SHOWN_LINES]]
    if len(lines) > SHOWN_LINES:
        shown.append(f"… and {len(lines) - SHOWN_LINES} more.")
    return "\n".join(shown)
