"""The Receiver dialog checks the address to listen on as `receive --host` does (without DNS:
the dialog never blocks the window on a lookup)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from console.domain.urls import listen_address_problem
from console.ui.receiver_dialog import ReceiverDialog


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("999.1.1.1", "is not a valid IP address"),
        ("1.2.3", "is not a valid IP address"),
        ("bad host", "neither an IP address nor a host name"),
        ("-x.example", "neither an IP address nor a host name"),
    ],
)
def test_a_bad_listen_address_keeps_save_disabled_and_says_why(
    qtbot: QtBot, host: str, words: str
) -> None:
    dialog = ReceiverDialog()
    qtbot.addWidget(dialog)
    dialog.set_profile("Support", "https://a1b2.ngrok.app", demo=False)
    assert dialog.save_button.isEnabled()
    dialog.host.selectAll()
    qtbot.keyClicks(dialog.host, host)
    assert not dialog.save_button.isEnabled()
    assert words in dialog.error.text() and dialog.error.text().startswith("Listen on: ")
    assert dialog.warning.text() == ""  # no "other machines can reach it" for a bad address


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "0.0.0.0", "collector.lan"])
def test_good_listen_addresses_are_accepted(qtbot: QtBot, host: str) -> None:
    assert listen_address_problem(host) is None
    dialog = ReceiverDialog()
    qtbot.addWidget(dialog)
    dialog.set_profile("Support", "https://a1b2.ngrok.app", demo=False)
    dialog.host.selectAll()
    qtbot.keyClicks(dialog.host, host)
    assert dialog.save_button.isEnabled() and dialog.error.text() == ""


def test_the_tunnel_help_ends_with_how_to_check_it() -> None:
    from console.ui.receiver_dialog import help_html

    text = " ".join(help_html(8765).split())  # as a reader sees it: lines joined
    assert text.endswith(
        "<p>Then press <b>Send test callback</b> in the event pane to check it: a signed test "
        "event goes through the tunnel to this console and its verdict is shown.</p>"
    )
