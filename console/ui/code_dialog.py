"""Copy as code: the current request in curl, the seven official SDKs and Plivo XML, one tab per
language, each with a Copy button; the stream setup the form came from is named in the note and
in a comment of each snippet (docs/stream-setups.md)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.domain.snippets import LANGUAGES, Language, render_all
from console.domain.stream_request import StreamRequest
from console.ui.plain_text import make_plain


class _SnippetPage(QWidget):
    def __init__(self, language: Language, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        info = LANGUAGES[language]
        self.language = language
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName(f"snippet_{language.value}")
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlainText(code)
        self.editor.setAccessibleName(f"{info.label} code")
        self.copy = QPushButton(f"Copy {info.label}", self)
        self.copy.setObjectName(f"copy_{language.value}")
        self.copy.clicked.connect(self._copy)
        hint = QLabel(f"{info.filename}  ·  {info.package}", self)
        make_plain(hint)
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(hint, 1)
        row.addWidget(self.copy)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor, 1)
        layout.addLayout(row)

    def code(self) -> str:
        return self.editor.toPlainText()

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code())
        self.copy.setText("Copied")


class CodeDialog(QDialog):
    """Shows `request` for `call_uuid` in every language. Credentials never appear: the code
    reads PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN from the environment."""

    def __init__(
        self,
        request: StreamRequest,
        *,
        call_uuid: str | None,
        api_base_url: str,
        setup: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("code_dialog")
        self.setWindowTitle("Start this stream from code")
        self.resize(760, 520)
        origin = f"From the stream setup {setup}. " if setup else ""
        note = QLabel(
            f"{origin}The same request as code. Set PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN in the "
            "environment first; only the parameters you changed are included.",
            self,
        )
        note.setObjectName("code_note")
        note.setWordWrap(True)
        make_plain(note)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("snippet_tabs")
        self.pages: dict[Language, _SnippetPage] = {}
        snippets = render_all(request, call_uuid=call_uuid, api_base_url=api_base_url, setup=setup)
        for language, code in snippets.items():
            page = _SnippetPage(language, code, self.tabs)
            self.pages[language] = page
            self.tabs.addTab(page, LANGUAGES[language].label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    def code(self, language: Language) -> str:
        return self.pages[language].code()

    def copy(self, language: Language) -> None:
        self.tabs.setCurrentWidget(self.pages[language])
        self.pages[language].copy.click()
