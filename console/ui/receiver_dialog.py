"""The callback receiver's settings: the current profile's public URL, where to listen, and a
step-by-step guide to exposing the receiver through ngrok or cloudflared (docs/callbacks.md).

Presents and emits `save_requested(public_url, host, port)`; the app decides what it means."""

from __future__ import annotations

from ipaddress import ip_address

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from console.domain.accounts import public_url_problem
from console.domain.urls import listen_address_problem, why_plivo_cannot_reach
from console.ui.palette import Tone, set_text_tone
from console.ui.plain_text import plain_label

CALLBACK_PATH = "/plivo/stream-status"


def _is_loopback(host: str) -> bool:
    try:
        return ip_address(host.strip()).is_loopback
    except ValueError:
        return host.strip() == "localhost"


def help_html(port: int) -> str:
    """ngrok and cloudflared, step by step, for a receiver on `port`."""
    p = port or 8765
    return f"""
<h3>Why a tunnel</h3>
<p>Plivo posts status callbacks from the internet. The receiver listens only on this computer
(127.0.0.1), so a tunnel gives it a public HTTPS address. Every callback is checked against your
account's auth token before it is kept, so requests from anyone else are refused.</p>
<h3>ngrok</h3>
<ol>
<li>Create a free account at ngrok.com and install ngrok (Linux: <code>snap install ngrok</code> or
the .tgz from the download page; macOS: <code>brew install ngrok</code>; Windows: the .zip).</li>
<li>Connect it to your account once:
<code>ngrok config add-authtoken &lt;your ngrok token&gt;</code>
(the ngrok token from its dashboard, not your Plivo token).</li>
<li>Start the tunnel: <code>ngrok http {p}</code></li>
<li>Copy the <b>Forwarding</b> address it prints, e.g. <code>https://abc123.ngrok-free.app</code>.</li>
<li>Paste it into <b>Public URL</b> on the Settings tab and press Save.</li>
<li>Start a stream with <b>Send status callbacks to this console</b> ticked: Plivo will call
<code>https://abc123.ngrok-free.app{CALLBACK_PATH}</code>.</li>
</ol>
<h3>cloudflared (Cloudflare Tunnel)</h3>
<ol>
<li>Install cloudflared (Debian/Ubuntu: the .deb from Cloudflare's downloads page; macOS:
<code>brew install cloudflared</code>; Windows: <code>winget install Cloudflare.cloudflared</code>).
</li>
<li>Start a quick tunnel, no account needed: <code>cloudflared tunnel --url http://127.0.0.1:{p}</code>
</li>
<li>Copy the <code>https://….trycloudflare.com</code> address it prints.</li>
<li>Paste it into <b>Public URL</b> and press Save. (A quick tunnel's address changes every time
it starts; a named tunnel on your own domain keeps it.)</li>
</ol>
<h3>Checking it works</h3>
<p>The status bar shows <b>Receiver: listening</b> and counts events per minute. Requests that
fail the signature check are counted as <b>refused</b>: usually the public URL here differs from
the one the stream was started with, or the stream belongs to another account.</p>
<p>Then press <b>Send test callback</b> in the event pane to check it: a signed test event goes
through the tunnel to this console and its verdict is shown.</p>
"""


class ReceiverDialog(QDialog):
    save_requested = Signal(str, str, int)  # public URL, host, port

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receiver_dialog")
        self.setWindowTitle("Status callback receiver")
        self.resize(620, 520)
        self.status = QLabel("Receiver: off")
        self.status.setObjectName("receiver_dialog_status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)

        self._build_fields()
        settings = self._build_settings_tab()
        self._lay_out(settings)
        self.public_url.textChanged.connect(self._revalidate)
        self.host.textChanged.connect(self._revalidate)
        self.port.valueChanged.connect(lambda _v: self.help.setHtml(help_html(self.port.value())))
        self._demo = False
        self._plivo_api = True
        self.help.setHtml(help_html(self.port.value()))
        self._revalidate()

    def _build_fields(self) -> None:
        self.profile_label = QLabel()
        self.profile_label.setTextFormat(Qt.TextFormat.PlainText)
        self.public_url = QLineEdit()
        self.public_url.setObjectName("public_url")
        self.public_url.setPlaceholderText("https://abc123.ngrok-free.app")
        self.callback_url = QLineEdit()
        self.callback_url.setObjectName("callback_url")
        self.callback_url.setReadOnly(True)
        self.host = QLineEdit("127.0.0.1")
        self.host.setObjectName("receiver_host")
        self.port = QSpinBox()
        self.port.setObjectName("receiver_port")
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("any free port")
        self.port.setValue(8765)
        self.warning = QLabel()
        self.warning.setObjectName("receiver_warning")
        self.warning.setTextFormat(Qt.TextFormat.PlainText)
        self.warning.setWordWrap(True)
        set_text_tone(self.warning, Tone.WARNING)  # readable on light and dark palettes
        self.error = QLabel()
        self.error.setObjectName("receiver_error")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d1242f;")

    def _build_settings_tab(self) -> QWidget:
        form = QFormLayout()
        form.addRow(plain_label("Account:"), self.profile_label)
        form.addRow(plain_label("Public URL:"), self.public_url)
        form.addRow(plain_label("Plivo calls:"), self.callback_url)
        form.addRow(plain_label("Listen on:"), self.host)
        form.addRow(plain_label("Port:"), self.port)
        settings = QWidget()
        settings_layout = QVBoxLayout(settings)
        settings_layout.addWidget(self.status)
        settings_layout.addLayout(form)
        settings_layout.addWidget(self.warning)
        settings_layout.addWidget(self.error)
        settings_layout.addStretch(1)
        return settings

    def _lay_out(self, settings: QWidget) -> None:
        self.help = QTextBrowser()
        self.help.setObjectName("receiver_help")
        self.help.setOpenExternalLinks(False)
        self.tabs = QTabWidget()
        self.tabs.addTab(settings, "Settings")
        self.tabs.addTab(self.help, "Set up a tunnel")

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("receiver_save")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

    # --- what the app tells it ------------------------------------------------------------------
    def set_profile(
        self,
        name: str,
        public_url: str,
        *,
        demo: bool,
        local_url: str = "",
        plivo_api: bool = True,
    ) -> None:
        """The account whose public URL is edited; in demo the simulator needs none.
        `plivo_api`: the account's API is Plivo's (not one on this computer), so a public URL
        that the internet cannot reach is warned about."""
        self._demo = demo
        self._plivo_api = plivo_api
        self.profile_label.setText(name or "no account selected")
        self.public_url.setText(local_url if demo else public_url)
        self.public_url.setReadOnly(demo)
        self.public_url.setToolTip(
            "Demo: the simulator calls the receiver directly on this computer."
            if demo
            else "The tunnel's public address; the console adds the path."
        )
        self._revalidate()

    def set_listen(self, host: str, port: int) -> None:
        self.host.setText(host)
        self.port.setValue(port)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def show_error(self, text: str) -> None:
        self.error.setText(text)

    # --- internals ------------------------------------------------------------------------------
    def _revalidate(self) -> None:
        problem = None if self._demo else public_url_problem(self.public_url.text())
        base = self.public_url.text().strip().rstrip("/")
        self.callback_url.setText(base + CALLBACK_PATH if base and not problem else "")
        host = self.host.text().strip()
        if not host:
            problem = problem or "Enter the address to listen on (normally 127.0.0.1)."
        elif (bad_host := listen_address_problem(host)) is not None:
            problem = problem or f"Listen on: {bad_host}."
        warnings = []
        if not (self._demo or problem) and self._plivo_api and base:
            unreachable = why_plivo_cannot_reach(base)
            if unreachable:
                warnings.append(
                    f"{unreachable} Callbacks from Plivo to this address never arrive; use your "
                    "tunnel's public address (a test callback from this computer proves nothing "
                    "about Plivo's)."
                )
        if host and not _is_loopback(host) and not listen_address_problem(host):
            warnings.append(
                f"Listening on {host} lets other machines reach the receiver directly. "
                "Use 127.0.0.1 with a tunnel unless you know you need this."
            )
        self.warning.setText("\n".join(warnings))
        self.error.setText(problem or "")
        self.save_button.setEnabled(problem is None)

    def _save(self) -> None:
        if not self.save_button.isEnabled():
            return
        url = "" if self._demo else self.public_url.text().strip().rstrip("/")
        self.save_requested.emit(url, self.host.text().strip(), self.port.value())
