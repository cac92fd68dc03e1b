"""Test connection's verdict for each state a team database can be in."""

from __future__ import annotations

from console.domain.team_db import REWRITES_WARNING, readiness_verdict


def test_every_state_has_a_verdict_a_team_lead_can_act_on() -> None:
    def say(
        version: int, events: int | None = None, can_create: bool = True, rewrites: bool = False
    ) -> tuple[bool, str]:
        return readiness_verdict(
            "db", version=version, latest=3, events=events, can_create=can_create,
            rewrites=rewrites,
        )  # fmt: skip

    assert say(3, 1) == (True, "Connected: db answered and holds 1 callback.")
    assert say(3, 12_345) == (True, "Connected: db answered and holds 12,345 callbacks.")
    ok, text = say(2, 0, rewrites=True)  # the tables' owner: it can update them, and is warned
    assert ok and text == (
        "Connected: db answered and holds 0 callbacks; its tables are updated when team mode is "
        "turned on. " + REWRITES_WARNING
    )
    ok, text = say(2, 0)  # an agent's login may not update the tables
    assert not ok and "older Stream Console" in text and "stream-console team init" in text
    assert say(3, 5, rewrites=True) == (
        True, f"Connected: db answered and holds 5 callbacks. {REWRITES_WARNING}"
    )  # fmt: skip
    assert "ask your administrator for an agent login" in REWRITES_WARNING
    ok, text = say(0)
    assert ok and "no Stream Console tables yet" in text
    ok, text = say(0, can_create=False)
    assert not ok and "may not create them" in text
    ok, text = say(4, 10)
    assert not ok and "schema 4; this one knows up to 3" in text
