"""Test connection's verdict for each state a team database can be in."""

from __future__ import annotations

from console.domain.team_db import readiness_verdict


def test_every_state_has_a_verdict_a_team_lead_can_act_on() -> None:
    def say(version: int, events: int | None = None, can_create: bool = True) -> tuple[bool, str]:
        return readiness_verdict(
            "db", version=version, latest=3, events=events, can_create=can_create
        )

    assert say(3, 1) == (True, "Connected: db answered and holds 1 callback.")
    assert say(3, 12_345) == (True, "Connected: db answered and holds 12,345 callbacks.")
    ok, text = say(2, 0)
    assert ok and text.endswith(
        "holds 0 callbacks; its tables are updated when team mode is turned on."
    )
    ok, text = say(0)
    assert ok and "no Stream Console tables yet" in text
    ok, text = say(0, can_create=False)
    assert not ok and "may not create them" in text
    ok, text = say(4, 10)
    assert not ok and "schema 4; this one knows up to 3" in text
