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


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:8765", "cannot reach 127.0.0.1: it means this computer itself"),
        ("https://192.168.1.20", "cannot reach 192.168.1.20: it is a private network address"),
        ("https://printer.local", "cannot reach printer.local: it is a name that only your local"),
    ],
)
def test_a_public_url_the_internet_cannot_reach_is_warned_about_for_plivo(
    qtbot: QtBot, url: str, words: str
) -> None:
    dialog = ReceiverDialog()
    qtbot.addWidget(dialog)
    dialog.set_profile("Support", "", demo=False)
    qtbot.keyClicks(dialog.public_url, url)
    assert words in dialog.warning.text()
    assert "proves nothing about Plivo's" in dialog.warning.text()
    assert dialog.save_button.isEnabled()  # a warning: a lab setup may mean it


def test_no_warning_for_a_tunnel_or_an_api_on_this_computer(qtbot: QtBot) -> None:
    dialog = ReceiverDialog()
    qtbot.addWidget(dialog)
    dialog.set_profile("Support", "https://a1b2.ngrok.app", demo=False)
    assert dialog.warning.text() == ""
    dialog.set_profile("Dev", "http://127.0.0.1:8765", demo=False, plivo_api=False)
    assert dialog.warning.text() == ""  # a simulator on this computer does reach it
