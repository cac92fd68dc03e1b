"""The stream setup picker at the top of the stream form: the account's saved setups in a list
(picked with one click, or Ctrl+1…Ctrl+9 from the form), a Setups menu to save, rename,
duplicate, delete, set the default, export and import, and a line saying how the form differs
from the chosen setup (docs/stream-setups.md).

It only presents: every change is an intent signal for the app layer, which keeps the setups and
hands back the new list with `set_setups`. Setup names come from imported files, so they are shown
as plain text only (combo items, plain labels, menu texts with their "&" doubled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.setups import MAX_NAME, StreamSetup, clean_name
from console.ui.plain_text import make_plain
from console.ui.stream_form_fields import HINT_COLOR, colored

NO_SETUP = "No setup"
NO_SETUPS_YET = "No setups yet"
QUICK_KEYS = 9  # Ctrl+1 … Ctrl+9 pick the first nine setups


def _menu_text(text: str) -> str:
    """A menu item's text shown as typed ("&" is not a mnemonic in an outside name)."""
    return text.replace("&", "&&")


class SetupNameDialog(QDialog):
    """Asks for a setup's name; OK stays disabled while the name is empty or already taken."""

    def __init__(
        self, title: str, prompt: str, initial: str, taken: Iterable[str], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setObjectName("setup_name_dialog")
        self.setWindowTitle(title)
        self._taken = {n.casefold() for n in taken}
        label = QLabel(prompt, self)
        make_plain(label)
        self.name = QLineEdit(initial, self)
        self.name.setObjectName("setup_name")
        self.name.setMaxLength(MAX_NAME)
        self.name.setAccessibleName("Setup name")
        label.setBuddy(self.name)
        self.why = QLabel(self)
        self.why.setObjectName("setup_name_problem")
        make_plain(self.why)
        colored(self.why, HINT_COLOR)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.name)
        layout.addWidget(self.why)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self._check)
        self.name.selectAll()
        self._check()

    def chosen_name(self) -> str:
        return clean_name(self.name.text())

    def _check(self) -> None:
        name = self.chosen_name()
        why = ""
        if not name:
            why = "Enter a name."
        elif name.casefold() in self._taken:
            why = f"This account already has a setup named {name}."
        self.why.setText(why)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not why)


class SetupPicker(QWidget):
    """The account's setups and what can be done with them. Build with no arguments."""

    chosen = Signal(str)  # the agent picked a setup (its name; "" for "No setup")
    save_requested = Signal(str)  # save the form as a new setup with this name
    update_requested = Signal(str)  # the named setup takes what the form shows now
    rename_requested = Signal(str, str)  # old name, new name
    duplicate_requested = Signal(str)
    delete_requested = Signal(str)
    default_requested = Signal(str)  # the account's default setup ("" for none)
    export_requested = Signal()
    import_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setup_picker")
        self._setups: list[StreamSetup] = []
        self._default = ""
        self._chosen = ""
        self.name_dialog: SetupNameDialog | None = None  # the open name question (tests)
        self._build_row()
        self._build_menu()
        self._build_layout()
        self.set_setups([])

    # --- construction ------------------------------------------------------------------------

    def _build_row(self) -> None:
        self.label = QLabel("Set&up:")
        self.combo = QComboBox()
        self.combo.setObjectName("stream_setup")
        self.combo.setAccessibleName("Stream setup")
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(10)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.setAccessibleDescription(
            "The stream setups saved for this account; picking one fills every field."
        )
        self.label.setBuddy(self.combo)
        self.combo.activated.connect(self._picked)
        self.menu_button = QToolButton()
        self.menu_button.setObjectName("setup_menu")
        self.menu_button.setText("Setups")
        self.menu_button.setAccessibleName("Setups menu")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setToolTip("Save, rename, duplicate, delete, export or import setups")
        self.differs = QLabel()
        self.differs.setObjectName("setup_differs")
        self.differs.setWordWrap(True)
        self.differs.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        make_plain(self.label, self.differs)
        colored(self.differs, HINT_COLOR)
        self.differs.setVisible(False)

    def _build_menu(self) -> None:
        self.menu = QMenu(self)
        self.menu.setObjectName("setup_actions")

        def add(name: str, text: str, slot: Callable[..., object]) -> QAction:
            action = self.menu.addAction(text)
            action.setObjectName(name)
            action.triggered.connect(slot)
            return action

        self.save_action = add("setup_save_new", "Save form as new setup…", self._ask_save)
        self.update_action = add("setup_update", "Save changes to setup", self._update)
        self.menu.addSeparator()
        self.rename_action = add("setup_rename", "Rename…", self._ask_rename)
        self.duplicate_action = add("setup_duplicate", "Duplicate", self._duplicate)
        self.delete_action = add("setup_delete", "Delete…", self._delete)
        self.default_action = add("setup_default", "Default for this account", self._default_set)
        self.default_action.setCheckable(True)
        self.menu.addSeparator()
        self.export_action = add("setup_export", "Export setups…", self.export_requested.emit)
        self.import_action = add("setup_import", "Import setups…", self.import_requested.emit)
        self.menu_button.setMenu(self.menu)

    def _build_layout(self) -> None:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.combo, 1)
        row.addWidget(self.menu_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        # `differs` is laid out by the form, under the line the picker shares with its hint.

    # --- what the form and the app call -------------------------------------------------------

    def set_setups(
        self, setups: Sequence[StreamSetup], *, default: str = "", chosen: str | None = None
    ) -> None:
        """The account's setups in the order shown; `chosen` None keeps the current choice while
        its name is still in the list."""
        self._setups = list(setups)
        self._default = default if self.setup(default) is not None else ""
        wanted = self._chosen if chosen is None else chosen
        found = self.setup(wanted)
        self._chosen = found.name if found is not None else ""
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(NO_SETUP if self._setups else NO_SETUPS_YET, "")
        self.combo.setToolTip(
            "Fill the form with a saved stream setup (Ctrl+1 … Ctrl+9)"
            if self._setups
            else "Fill in the form, then Setups → Save form as new setup…"
        )
        for index, setup in enumerate(self._setups, 1):
            is_default = setup.name == self._default
            self.combo.addItem(setup.name + ("  (default)" if is_default else ""), setup.name)
            if index <= QUICK_KEYS:
                self.combo.setItemData(index, f"Ctrl+{index}", Qt.ItemDataRole.ToolTipRole)
        self.combo.setCurrentIndex(max(self.combo.findData(self._chosen), 0))
        self.combo.blockSignals(False)
        self._update_actions()

    def setups(self) -> list[StreamSetup]:
        return list(self._setups)

    def names(self) -> list[str]:
        return [s.name for s in self._setups]

    def setup(self, name: str) -> StreamSetup | None:
        folded = name.casefold()
        return (
            next((s for s in self._setups if s.name.casefold() == folded), None) if name else None
        )

    def chosen_setup(self) -> StreamSetup | None:
        return self.setup(self._chosen)

    def chosen_name(self) -> str:
        return self._chosen

    def default_name(self) -> str:
        return self._default

    def choose(self, name: str) -> None:
        """Show `name` as chosen without emitting (the app restoring an account's last form)."""
        found = self.setup(name)
        self._chosen = found.name if found is not None else ""
        self.combo.setCurrentIndex(max(self.combo.findData(self._chosen), 0))
        self._update_actions()

    def pick(self, number: int) -> None:
        """Ctrl+`number`: the agent picks the setup at that place in the list."""
        if 1 <= number <= len(self._setups):
            self.combo.setCurrentIndex(number)
            self._picked(number)

    def show_differences(self, changed: Sequence[str]) -> None:
        """What the form shows that the chosen setup does not have (field names in words)."""
        if self._chosen and changed:
            self.differs.setText(f"Differs from setup {self._chosen}: {', '.join(changed)}.")
        self.differs.setVisible(bool(self._chosen and changed))
        self.update_action.setEnabled(bool(self._chosen and changed))

    def set_can_save(self, can: bool, why: str = "") -> None:
        """The form has no errors (a setup is checked by the form's rules, as on import)."""
        self.save_action.setEnabled(can)
        self.save_action.setToolTip(why)
        if not can:
            self.update_action.setEnabled(False)

    # --- the agent's intents ----------------------------------------------------------------

    def _picked(self, index: int) -> None:
        name = str(self.combo.itemData(index) or "")
        self._chosen = name
        self._update_actions()
        self.chosen.emit(name)

    def _update_actions(self) -> None:
        chosen = self._chosen
        shown = _menu_text(chosen)
        for action in (self.rename_action, self.duplicate_action, self.delete_action):
            action.setEnabled(bool(chosen))
        self.update_action.setText(f"Save changes to {shown}" if chosen else "Save changes")
        self.default_action.setEnabled(bool(chosen))
        self.default_action.setChecked(bool(chosen) and chosen == self._default)
        self.export_action.setEnabled(bool(self._setups))

    def _ask(
        self, title: str, prompt: str, initial: str, taken: list[str], then: Callable[[str], None]
    ) -> None:
        dialog = SetupNameDialog(title, prompt, initial, taken, self)
        self.name_dialog = dialog

        def finished(code: int) -> None:
            self.name_dialog = None
            if code == QDialog.DialogCode.Accepted:
                then(dialog.chosen_name())
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()

    def _ask_save(self) -> None:
        self._ask(
            "Save as stream setup", "Name of the new setup:", self._chosen, self.names(),
            self.save_requested.emit,
        )  # fmt: skip

    def _ask_rename(self) -> None:
        old = self._chosen
        taken = [n for n in self.names() if n != old]
        self._ask(
            "Rename stream setup", f"New name for {old}:", old, taken,
            lambda new: self.rename_requested.emit(old, new),
        )  # fmt: skip

    def _update(self) -> None:
        if self._chosen:
            self.update_requested.emit(self._chosen)

    def _duplicate(self) -> None:
        if self._chosen:
            self.duplicate_requested.emit(self._chosen)

    def _delete(self) -> None:
        if self._chosen:
            self.delete_requested.emit(self._chosen)

    def _default_set(self, on: bool) -> None:
        self.default_requested.emit(self._chosen if on else "")
