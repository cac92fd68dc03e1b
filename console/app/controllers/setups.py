"""Stream setups per account (docs/stream-setups.md): the form's setup intents turned into the
account's saved list, its export and import, and each account's own last form.

Setups are kept in the settings file under `stream_setups/<profile id>/`, in the same versioned
JSON an export writes, and go when the account is removed. The last form of each account is kept
for the session only: switching accounts saves the form of the one left and shows the other's
last form, else its default setup, else the defaults (the demo's media sink only in the demo),
so nothing typed for one account, and none of the simulator's addresses, shows up in another.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QWidget

from console.app.runtime.settings import ProfileRepository
from console.app.runtime.tasks import TaskRunner
from console.app.services.demo import DEMO_PROFILE_ID
from console.app.services.notices import Notices
from console.domain.setups import (
    MAX_FILE_BYTES,
    MAX_SETUPS,
    StreamSetup,
    export_text,
    load_stored,
    parse_import,
    unique_name,
)
from console.domain.stream_rules import Target
from console.ui.dialogs import Dialogs
from console.ui.setup_dialogs import ClashChoice, SetupDialogs
from console.ui.stream_form import FormState, StreamForm

GROUP = "stream_setups"


class SetupStore:
    """An account's setups and its default, in the settings file."""

    def __init__(self, settings: QSettings) -> None:
        self._s = settings

    def load(self, profile_id: str) -> tuple[list[StreamSetup], str]:
        text = self._s.value(f"{GROUP}/{profile_id}/file", "")
        default = self._s.value(f"{GROUP}/{profile_id}/default", "")
        return load_stored(str(text or "")), str(default or "")

    def save(self, profile_id: str, setups: list[StreamSetup], default: str) -> None:
        self._s.setValue(f"{GROUP}/{profile_id}/file", export_text(setups))
        self._s.setValue(f"{GROUP}/{profile_id}/default", default)
        self._s.sync()

    def forget(self, profile_id: str) -> None:
        self._s.remove(f"{GROUP}/{profile_id}")
        self._s.sync()


class SetupsController(QObject):
    def __init__(
        self,
        form: StreamForm,
        settings: QSettings,
        profiles: ProfileRepository,
        tasks: TaskRunner,
        notices: Notices,
        parent: QWidget,
    ) -> None:
        super().__init__()
        self.form = form
        self.store = SetupStore(settings)
        self.profiles = profiles
        self.tasks = tasks
        self.notices = notices
        self.dialogs = Dialogs(parent)
        self.questions = SetupDialogs(parent)
        self.profile_id: str | None = None
        self.target = Target.PLIVO
        self.setups: list[StreamSetup] = []
        self.default = ""
        self._last_forms: dict[str, FormState] = {}
        form.setup_save_requested.connect(self.save_new)
        form.setup_update_requested.connect(self.update)
        form.setup_rename_requested.connect(self.rename)
        form.setup_duplicate_requested.connect(self.duplicate)
        form.setup_delete_requested.connect(
            lambda name: self.tasks.run("setups", self.delete(name))
        )
        form.setup_default_requested.connect(self.set_default)
        form.setups_export_requested.connect(lambda: self.tasks.run("setups", self.export()))
        form.setups_import_requested.connect(lambda: self.tasks.run("setups", self.import_()))

    # --- accounts -------------------------------------------------------------------------------
    def switch_to(self, profile_id: str, target: Target, *, default_service_url: str) -> None:
        """The form of the account left is kept; the account now in use gets its own."""
        if self.profile_id is not None and self.profile_id != profile_id:
            self._last_forms[self.profile_id] = self.form.state()
        switching = self.profile_id != profile_id
        self.profile_id, self.target = profile_id, target
        self.form.set_default_service_url(default_service_url)
        self.setups, self.default = self.store.load(profile_id)
        if not switching:
            self.form.set_setups(self.setups, default=self.default)
            return
        last = self._last_forms.get(profile_id)
        default = next((s for s in self.setups if s.name == self.default), None)
        chosen = last.chosen if last else (default.name if default else "")
        self.form.set_setups(self.setups, default=self.default, chosen=chosen)
        if last is None and default is not None:
            last = FormState(default, default.name)
        self.form.restore(last)

    def profile_changed(self, profile_id: str) -> None:
        """A removed account's setups and last form go with it."""
        if profile_id and self.profiles.get(profile_id) is None and profile_id != DEMO_PROFILE_ID:
            self.store.forget(profile_id)
            self._last_forms.pop(profile_id, None)
            if self.profile_id == profile_id:
                self.profile_id = None  # its form is not kept when the next account shows

    # --- the list -------------------------------------------------------------------------------
    def _keep(self, chosen: str | None = None, status: str = "") -> None:
        if self.profile_id is None:
            return
        self.store.save(self.profile_id, self.setups, self.default)
        self.form.set_setups(self.setups, default=self.default, chosen=chosen)
        if status:
            self.notices.status(status)

    def _index(self, name: str) -> int:
        folded = name.casefold()
        return next((i for i, s in enumerate(self.setups) if s.name.casefold() == folded), -1)

    def save_new(self, setup: StreamSetup) -> None:
        if not setup.name or self._index(setup.name) >= 0 or len(self.setups) >= MAX_SETUPS:
            return  # the name dialog refuses these; a full list takes no more
        self.setups.append(setup)
        self._keep(setup.name, f"Saved the form as setup {setup.name}.")

    def update(self, setup: StreamSetup) -> None:
        index = self._index(setup.name)
        if index >= 0:
            self.setups[index] = setup
            self._keep(setup.name, f"Saved the changes to setup {setup.name}.")

    def rename(self, old: str, new: str) -> None:
        index = self._index(old)
        if index < 0 or not new or (self._index(new) not in (-1, index)):
            return
        self.setups[index] = replace(self.setups[index], name=new)
        if self.default == old:
            self.default = new
        self._keep(new, f"Renamed setup {old} to {new}.")

    def duplicate(self, name: str) -> None:
        index = self._index(name)
        if index < 0 or len(self.setups) >= MAX_SETUPS:
            return
        copy_name = unique_name(name, [s.name for s in self.setups])
        copy = replace(self.setups[index], name=copy_name)
        self.setups.insert(index + 1, copy)
        self._keep(copy_name, f"Duplicated setup {name} as {copy_name}.")

    async def delete(self, name: str) -> None:
        index = self._index(name)
        if index < 0:
            return
        if not await self.dialogs.confirm(
            "Delete stream setup", f"Delete the setup {name}?", "Delete",
            detail="The form keeps what it shows; only the saved setup goes.",
        ):  # fmt: skip
            return
        index = self._index(name)  # the list may have changed while the question was open
        if index < 0:
            return
        del self.setups[index]
        if self.default.casefold() == name.casefold():
            self.default = ""
        self._keep("", f"Deleted setup {name}.")

    def set_default(self, name: str) -> None:
        self.default = self.setups[self._index(name)].name if self._index(name) >= 0 else ""
        shown = f"{self.default} is now this account's default setup." if self.default else ""
        self._keep(None, shown or "This account has no default setup now.")

    # --- the file -------------------------------------------------------------------------------
    async def export(self) -> Path | None:
        if not self.setups:
            return None
        chosen = await self.dialogs.save_file(
            "Export stream setups", "stream-setups.json", "Stream setups (*.json)"
        )
        if not chosen:
            return None
        path = Path(chosen)
        try:
            path.write_text(export_text(self.setups), encoding="utf-8")
        except OSError as exc:
            self.notices.status(f"Could not write {path.name}: {exc.strerror or exc}")
            return None
        count = len(self.setups)
        self.notices.status(f"Exported {count} setup{'' if count == 1 else 's'} to {path.name}.")
        return path

    async def import_(self) -> list[str]:
        """Import a file, all or nothing; returns the names added or replaced."""
        chosen = await self.questions.open_file()
        if not chosen or self.profile_id is None:
            return []
        try:
            with Path(chosen).open("rb") as file:
                data = file.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            await self.questions.show_refused([f"The file could not be read: {exc.strerror}"])
            return []
        report = parse_import(data, target=self.target, taken=[s.name for s in self.setups])
        if not report.ok:
            await self.questions.show_refused(report.errors)
            return []
        choice = ClashChoice.KEEP_BOTH
        if report.clashes:
            choice = await self.questions.ask_clashes(report.clashes)
            if choice is ClashChoice.CANCEL:
                return []
        merged = self._merge(list(report.setups), choice)
        if len(self.setups) + len(merged[1]) > MAX_SETUPS:
            await self.questions.show_refused([f"An account keeps at most {MAX_SETUPS} setups."])
            return []
        self.setups = merged[0] + merged[1]
        names = [*merged[2], *(s.name for s in merged[1])]
        count = len(names)
        done = f"Imported {count} setup{'' if count == 1 else 's'}." if count else ""
        self._keep(None, done or "Nothing imported: every setup in the file was skipped.")
        return names

    def _merge(
        self, incoming: list[StreamSetup], choice: ClashChoice
    ) -> tuple[list[StreamSetup], list[StreamSetup], list[str]]:
        """(the account's list with replacements, the setups to add, the names replaced)."""
        kept, added, replaced = list(self.setups), [], []
        for setup in incoming:
            index = next(
                (i for i, s in enumerate(kept) if s.name.casefold() == setup.name.casefold()), -1
            )
            if index < 0:
                added.append(setup)
            elif choice is ClashChoice.REPLACE:
                kept[index] = replace(setup, name=kept[index].name)
                replaced.append(kept[index].name)
            elif choice is ClashChoice.KEEP_BOTH:
                taken = [s.name for s in (*kept, *added)]
                added.append(replace(setup, name=unique_name(setup.name, taken)))
        return kept, added, replaced
