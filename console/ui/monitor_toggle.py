"""The stream form's "Monitor in this console" switch: fills Stream URL with the console's own
monitor endpoint, with the requested format in its query so the monitor can compare it with what
Plivo announces. Attached to a form from outside (the form itself does not know about it).
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QLayout, QWidget

from console.domain.monitoring import Requested
from console.ui.stream_form import StreamForm


class MonitorToggle(QCheckBox):
    def __init__(self, form: StreamForm) -> None:
        super().__init__("Monitor in this console")
        self.setObjectName("monitor_in_console")
        self.form = form
        self._url: str | None = None
        self._before = ""
        self._filling = False
        _layout_holding(form, form.messages["service_url"]).addWidget(self)
        # Added after the form set its Tab order: put it where it shows, under Stream URL.
        QWidget.setTabOrder(form.check_button, self)
        QWidget.setTabOrder(self, form.bidirectional)
        self.toggled.connect(self._toggled)
        for combo in (form.content_type, form.audio_track):
            combo.currentIndexChanged.connect(self._refill)
        form.bidirectional.toggled.connect(self._refill)
        self.set_monitor_url(None)

    def set_monitor_url(self, url: str | None, reason: str = "") -> None:
        """Where Plivo can reach the monitor (wss:// public, or ws:// loopback in the demo);
        None when it cannot, with the reason for the tooltip."""
        self._url = url or None
        if self._url is None and self.isChecked():
            self.setChecked(False)
        self.setEnabled(self._url is not None)
        self.setToolTip(
            f"Plivo will stream to {self._url} and the audio shows in the Stream monitor"
            if self._url
            else reason or "Available once the console's monitor endpoint is reachable."
        )
        self._refill()

    def monitor_url_for_form(self) -> str:
        assert self._url is not None
        form = self.form
        query = Requested.query(
            str(form.content_type.currentData()),
            str(form.audio_track.currentData()),
            form.bidirectional.isChecked(),
        )
        return f"{self._url}{'&' if '?' in self._url else '?'}{query}"

    def _toggled(self, on: bool) -> None:
        line = self.form.service_url
        if on and self._url:
            self._before = line.text()
            self._refill()
        elif not on:
            line.setText(self._before)
        line.setReadOnly(on)

    def _refill(self) -> None:
        if self.isChecked() and self._url:
            self.form.service_url.setText(self.monitor_url_for_form())


def _layout_holding(root: QWidget, widget: QWidget) -> QLayout:
    """The layout that holds `widget` somewhere under `root` (the field's cell in the form)."""
    parent = widget.parentWidget()
    stack = [parent.layout() if parent is not None else None, root.layout()]
    while stack:
        layout = stack.pop()
        if layout is None:
            continue
        if layout.indexOf(widget) >= 0:
            return layout
        for i in range(layout.count()):
            item = layout.itemAt(i)
            if item is not None and item.layout() is not None:
                stack.append(item.layout())
    raise LookupError("the Stream URL field's layout was not found")
