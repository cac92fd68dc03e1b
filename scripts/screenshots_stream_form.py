"""Render the stream form valid and invalid (and the Copy-as-code dialog) to PNG files.

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python scripts/screenshots_stream_form.py docs/screenshots
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from console.ui import StreamForm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout's console, not whichever one is installed

CALL = "2f6c7d2e-8a1b-4c3d-9e0f-123456789abc"


def save(form: StreamForm, path: Path) -> None:
    """Grab the form at the height that shows all its fields, as the call pane sizes it (the
    action bar and result sit under the fields, so a taller form only adds empty space)."""
    app = QApplication.instance()
    assert app is not None
    form.set_more_options_open(True)  # every parameter in the picture
    app.processEvents()
    form.resize(form.width(), form.fields_height_hint() + 16)  # + the 8 px margins
    app.processEvents()
    form.grab().save(str(path))


def main(out: Path) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    from console.domain.snippets import Language
    from console.domain.streams import StreamStarted
    from console.ui import StreamForm

    out.mkdir(parents=True, exist_ok=True)
    form = StreamForm()
    form.setWindowTitle("Stream Console — stream form")
    form.set_call(CALL, "+1 415 555 0100 → Support line")
    form.set_receiver_url("https://a1b2c3.ngrok.app/plivo/stream-status")
    form.set_recent_service_urls(["wss://transcribe.example.com/live"])
    form.setContentsMargins(8, 8, 8, 8)
    form.resize(780, 860)
    form.show()
    form.service_url.setText("wss://transcribe.example.com/live")
    form.stream_timeout.setText("3600")
    form.callbacks_to_console.setChecked(True)
    form.extra_headers.setText("ticket=48213,agent=ann")
    form.show_started(
        StreamStarted(
            "b5a9c1e2-52d4-4f4b-9d0e-3c2a1f0e9d8c",
            api_id="0d4f3e21-7b6a-11ee-9c1e-0242ac110003",
            message="audio streaming started",
        )
    )
    app.processEvents()
    save(form, out / "stream-form-valid.png")

    dialog = form.open_code_dialog()
    assert dialog is not None
    dialog.tabs.setCurrentWidget(dialog.pages[Language.PYTHON])
    app.processEvents()
    dialog.grab().save(str(out / "stream-form-code.png"))
    dialog.close()

    form.result.clear()
    form.callbacks_to_console.setChecked(False)
    form.service_url.setText("ws://127.0.0.1:8765/audio")
    form.audio_track.setCurrentIndex(form.audio_track.findData("both"))
    form.bidirectional.setChecked(True)
    form.stream_timeout.setText("0")
    form.status_callback_url.setText("wss://hooks.example.com/status")
    form.extra_headers.setText("ticket=48-213,,agent=ann,agent=bob")
    form.start_button.setFocus()
    app.processEvents()
    save(form, out / "stream-form-invalid.png")
    print(f"wrote {out}/stream-form-valid.png, stream-form-invalid.png, stream-form-code.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
