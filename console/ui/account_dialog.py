"""Add, edit and remove Plivo account profiles. The dialog checks what it can on the spot (the
Auth ID rule, the URL) and hands the rest to the app as intents: it never touches the keyring."""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.accounts import DEFAULT_API_BASE_URL, Profile, auth_id_problem
from console.ui.palette import Tone, set_text_tone
from console.ui.plain_text import make_plain, plain_label, set_placeholder, tooltip_text

_NEW = "__new__"


def base_url_problem(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Enter the API address, for example https://api.plivo.com"
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return "Use https: the token would otherwise cross the network unencrypted."
    return None


STORED_TOKEN_HINT = "Stored in the OS keyring — type to replace it"


class AccountDialog(QDialog):
    """Save asks the app to check the credentials with Plivo first and shows its verdict; the
    check runs in the app, so the dialog stays responsive meanwhile."""

    save_requested = Signal(object, object)  # (Profile with "" id when new, token str or None)
    save_anyway_requested = Signal(object, object)  # the same, without asking Plivo first
    session_token_requested = Signal(object, str)  # (Profile, token) kept in memory only
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("account_dialog")
        self.setWindowTitle("Accounts")
        self.resize(680, 380)
        self._profiles: dict[str, Profile] = {}

        left = self._build_profiles()
        form = self._build_form(self._build_fields())
        box = self._build_messages_and_buttons()
        self._lay_out(left, form, box)
        self._connect_fields()
        self.start_new()

    def _build_profiles(self) -> QVBoxLayout:
        self.profiles_list = QListWidget()
        self.profiles_list.setObjectName("profiles_list")
        self.profiles_list.setAccessibleName("Accounts")
        self.profiles_list.setMinimumWidth(190)
        self.profiles_list.currentItemChanged.connect(self._on_selected)
        self.add_button = QPushButton("&Add account")
        self.add_button.setObjectName("add_account")
        self.add_button.clicked.connect(self.start_new)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setObjectName("remove_account")
        self.remove_button.setToolTip("Remove this profile and its token from the OS keyring")
        self.remove_button.clicked.connect(self._on_remove)
        left = QVBoxLayout()
        saved = plain_label("Sa&ved accounts")
        saved.setBuddy(self.profiles_list)
        left.addWidget(saved)
        left.addWidget(self.profiles_list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left.addLayout(buttons)
        return left

    def _build_fields(self) -> QHBoxLayout:
        self.display_name = self._line(
            "display_name", "Display name", "A name you recognise, e.g. 'Support EU'"
        )
        self.auth_id = self._line(
            "auth_id",
            "Auth ID",
            "The 20-character Auth ID from the Plivo console overview page (MA… or SA…)",
        )
        self.auth_token = self._line(
            "auth_token",
            "Auth Token",
            "Stored only in your operating system's keyring, never in a file",
        )
        self.auth_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = QCheckBox("Sho&w")
        self.show_token.setObjectName("show_token")
        self.show_token.setToolTip("Show or hide the token while you type it")
        self.show_token.toggled.connect(
            lambda on: self.auth_token.setEchoMode(
                QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
            )
        )
        token_row = QHBoxLayout()
        token_row.addWidget(self.auth_token, 1)
        token_row.addWidget(self.show_token)
        self.api_base_url = self._line(
            "api_base_url",
            "API base URL",
            "Leave as https://api.plivo.com unless Plivo support told you otherwise",
        )
        self.auth_id_error = self._error_label("auth_id_error")
        self.url_error = self._error_label("api_base_url_error")
        self.duplicate_warning = self._error_label("duplicate_account_warning")
        set_text_tone(self.duplicate_warning, Tone.WARNING)  # saving is allowed, but think
        return token_row

    def _build_form(self, token_row: QHBoxLayout) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Display name:", self.display_name)
        form.addRow("Auth &ID:", self.auth_id)
        form.addRow("", self.auth_id_error)
        form.addRow("Auth &Token:", token_row)
        token_label = form.labelForField(token_row)
        if isinstance(token_label, QLabel):
            token_label.setBuddy(self.auth_token)  # Alt+T goes to the field, not the row
        form.addRow("API &base URL:", self.api_base_url)
        form.addRow("", self.duplicate_warning)
        form.addRow("", self.url_error)
        for row in range(form.rowCount()):
            caption = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if caption is not None and isinstance(widget := caption.widget(), QLabel):
                make_plain(widget)
        return form

    def _build_messages_and_buttons(self) -> QDialogButtonBox:
        self.reason = plain_label()
        self.reason.setObjectName("account_reason")
        self.reason.setWordWrap(True)
        self.reason.setVisible(False)
        self.message = plain_label()
        self.message.setObjectName("account_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.session_button = QPushButton("Use for this &session only")
        self.session_button.setObjectName("use_for_session")
        self.session_button.setToolTip(
            "Keep the token in memory until the console closes; nothing is written anywhere"
        )
        self.session_button.setVisible(False)
        self.session_button.clicked.connect(self._on_session_only)
        self.save_anyway_button = QPushButton("Save &anyway")
        self.save_anyway_button.setObjectName("save_anyway")
        self.save_anyway_button.setToolTip(
            "Save without Plivo's confirmation: only when Plivo could not be asked (this "
            "computer offline, a timeout), never for a token Plivo refused"
        )
        self.save_anyway_button.setVisible(False)
        self.save_anyway_button.clicked.connect(self._on_save_anyway)

        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("save_account")
        self.save_button.clicked.connect(self._on_save)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.addButton(self.save_button, QDialogButtonBox.ButtonRole.ApplyRole)
        box.rejected.connect(self.reject)
        return box

    def _lay_out(self, left: QVBoxLayout, form: QFormLayout, box: QDialogButtonBox) -> None:
        right = QVBoxLayout()
        right.addWidget(self.reason)
        right.addLayout(form)
        right.addWidget(self.message)
        offers = QHBoxLayout()
        offers.addWidget(self.save_anyway_button)
        offers.addWidget(self.session_button)
        offers.addStretch(1)
        right.addLayout(offers)
        right.addStretch(1)
        right.addWidget(box)

        outer = QHBoxLayout(self)
        outer.addLayout(left)
        outer.addLayout(right, 1)
        # Only now, inside the dialog, does setDefault make Save the dialog's main default: set
        # earlier, Qt picked the first button after the focus at show time (Add or Close), and
        # Enter in the token field threw the new token away.
        self.save_button.setDefault(True)

    def _connect_fields(self) -> None:
        for field in (self.display_name, self.auth_id, self.auth_token, self.api_base_url):
            field.textChanged.connect(self._revalidate)
        self.setTabOrder(self.profiles_list, self.add_button)
        self.setTabOrder(self.add_button, self.remove_button)
        self.setTabOrder(self.remove_button, self.display_name)
        self.setTabOrder(self.display_name, self.auth_id)
        self.setTabOrder(self.auth_id, self.auth_token)
        self.setTabOrder(self.auth_token, self.show_token)
        self.setTabOrder(self.show_token, self.api_base_url)
        self.setTabOrder(self.api_base_url, self.save_button)

    # --- building blocks ------------------------------------------------------------------------
    def _line(self, name: str, accessible: str, help_text: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        edit.setAccessibleDescription(help_text)
        edit.setToolTip(help_text)
        set_placeholder(edit, help_text if len(help_text) < 48 else "")
        return edit

    def _error_label(self, name: str) -> QLabel:
        label = plain_label()
        label.setObjectName(name)
        label.setWordWrap(True)
        set_text_tone(label, Tone.ERROR)
        label.setVisible(False)
        return label

    # --- state from the app ---------------------------------------------------------------------
    def set_profiles(self, profiles: list[Profile], select: str | None = None) -> None:
        self._profiles = {p.profile_id: p for p in profiles}
        self.profiles_list.blockSignals(True)
        self.profiles_list.clear()
        for profile in profiles:
            item = QListWidgetItem(f"{profile.display_name}\n{profile.auth_id}")
            item.setData(Qt.ItemDataRole.UserRole, profile.profile_id)
            self.profiles_list.addItem(item)
        if not profiles:
            hint = QListWidgetItem("No accounts yet.\nFill in the form and Save.")
            hint.setFlags(Qt.ItemFlag.NoItemFlags)
            self.profiles_list.addItem(hint)
        self.profiles_list.blockSignals(False)
        if select and select in self._profiles:
            for row in range(self.profiles_list.count()):
                item = self.profiles_list.item(row)
                if item is not None and item.data(Qt.ItemDataRole.UserRole) == select:
                    self.profiles_list.setCurrentRow(row)
        elif not profiles:
            self.start_new()

    def set_busy(self, busy: bool, note: str = "Talking to the OS keyring…") -> None:
        for widget in (
            self.save_button, self.save_anyway_button, self.session_button,
            self.remove_button, self.add_button, self.profiles_list,
        ):  # fmt: skip
            widget.setEnabled(not busy)
        for field in (self.display_name, self.auth_id, self.auth_token, self.api_base_url):
            field.setReadOnly(busy)  # what is being checked or saved is what the form shows
        if busy:
            self.show_message(note, error=False)
        else:
            self._revalidate()
            self.remove_button.setEnabled(bool(self.editing_id))

    def set_checking(self, checking: bool) -> None:
        """The app is asking Plivo about these credentials (Close still works meanwhile)."""
        self.set_busy(checking, "Asking Plivo whether it accepts these credentials…")

    def show_verdict(self, accepted: bool | None, text: str) -> None:
        """Plivo's answer to the check. Only when Plivo could not be asked (offline, a
        timeout, 5xx) may the agent save anyway: a token Plivo refused is never saved, and
        never replaces a working one."""
        self.show_message(text, error=accepted is not True)
        self.save_anyway_button.setVisible(accepted is None)
        if accepted is False:
            self.auth_token.setFocus()
            self.auth_token.selectAll()

    def explain(self, reason: str) -> None:
        """Why the dialog opened (e.g. Plivo refused the stored token); cleared on selection."""
        self.reason.setText(reason)
        self.reason.setVisible(bool(reason))

    def focus_token(self) -> None:
        self.activateWindow()
        self.auth_token.setFocus()

    def show_message(self, text: str, *, error: bool, offer_session: bool = False) -> None:
        self.message.setText(text)
        set_text_tone(self.message, Tone.ERROR if error else None)
        self.session_button.setVisible(offer_session)
        if not error:
            self.save_anyway_button.setVisible(False)

    # --- reading the form -----------------------------------------------------------------------
    @property
    def editing_id(self) -> str:
        item = self.profiles_list.currentItem()
        if item is None:
            return ""
        value = item.data(Qt.ItemDataRole.UserRole)
        return "" if value in (None, _NEW) else str(value)

    def draft(self) -> Profile:
        auth_id = self.auth_id.text().strip()
        return Profile(
            profile_id=self.editing_id,
            display_name=self.display_name.text().strip() or auth_id,
            auth_id=auth_id,
            api_base_url=self.api_base_url.text().strip().rstrip("/") or DEFAULT_API_BASE_URL,
        )

    def problems(self) -> list[str]:
        found = []
        auth = auth_id_problem(self.auth_id.text().strip())
        self.auth_id_error.setText(auth or "")
        self.auth_id_error.setVisible(bool(auth) and bool(self.auth_id.text()))
        if auth:
            found.append(auth)
        url = base_url_problem(self.api_base_url.text() or DEFAULT_API_BASE_URL)
        self.url_error.setText(url or "")
        self.url_error.setVisible(bool(url))
        if url:
            found.append(url)
        if not self.editing_id and not self.auth_token.text():
            found.append("Enter the Auth Token shown next to the Auth ID in the Plivo console.")
        self._warn_duplicate()
        return found

    def _warn_duplicate(self) -> None:
        """Another account with the same Auth ID and API: allowed, but callbacks and the team's
        trail cannot tell the two apart."""
        draft = self.draft()
        twin = next(
            (
                p
                for p in self._profiles.values()
                if p.profile_id != draft.profile_id
                and p.auth_id == draft.auth_id
                and p.api_base_url.rstrip("/") == draft.api_base_url
                and draft.auth_id
            ),
            None,
        )
        self.duplicate_warning.setText(
            f"The account {twin.display_name} has the same Auth ID and API base URL: status "
            "callbacks and the team's activity history cannot tell the two apart."
            if twin is not None
            else ""
        )
        self.duplicate_warning.setVisible(twin is not None)

    def _revalidate(self) -> None:
        problems = self.problems()
        self.save_button.setEnabled(not problems)
        self.save_button.setToolTip(tooltip_text(problems[0] if problems else "Save this account"))

    # --- user actions ---------------------------------------------------------------------------
    def start_new(self) -> None:
        self.profiles_list.setCurrentRow(-1)
        self.profiles_list.clearSelection()
        for field in (self.display_name, self.auth_id, self.auth_token):
            field.clear()
        self.api_base_url.setText(DEFAULT_API_BASE_URL)
        set_placeholder(self.auth_token, "Paste the Auth Token")
        self.remove_button.setEnabled(False)
        self.show_message("", error=False)
        self.explain("")
        self.display_name.setFocus()
        self._revalidate()

    def _on_selected(
        self, current: QListWidgetItem | None, _previous: QListWidgetItem | None
    ) -> None:
        if current is None:
            return
        profile = self._profiles.get(str(current.data(Qt.ItemDataRole.UserRole)))
        if profile is None:
            return
        self.display_name.setText(profile.display_name)
        self.auth_id.setText(profile.auth_id)
        self.auth_token.clear()
        set_placeholder(self.auth_token, STORED_TOKEN_HINT)
        self.api_base_url.setText(profile.api_base_url)
        self.remove_button.setEnabled(True)
        self.show_message("", error=False)
        self.explain("")
        self._revalidate()

    def _on_save(self) -> None:
        if self.problems():
            return
        token = self.auth_token.text() or None
        self.save_requested.emit(self.draft(), token)

    def _on_save_anyway(self) -> None:
        if not self.problems():
            self.save_anyway_requested.emit(self.draft(), self.auth_token.text() or None)

    def _on_session_only(self) -> None:
        if self.auth_token.text():
            self.session_token_requested.emit(self.draft(), self.auth_token.text())

    def _on_remove(self) -> None:
        if self.editing_id:
            self.remove_requested.emit(self.editing_id)

    def token_saved(self) -> None:
        """The app stored the token: clear it from the widget so it lingers nowhere."""
        self.auth_token.clear()
        set_placeholder(self.auth_token, STORED_TOKEN_HINT)
