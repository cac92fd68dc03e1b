"""The audit trail of what an agent did: every start and stop, who, when, on which call, with
what result. Support teams need it to answer "who stopped that stream?"."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    START_STREAM = "start stream"
    STOP_STREAM = "stop stream"
    STOP_ALL_STREAMS = "stop all streams"
    STREAM_FAILED = "stream failed"  # seen by the console on a stream it had seen active


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    NOT_STARTED = "not started"  # no clear answer, but Plivo's list proved no stream started
    UNCERTAIN = "uncertain"  # the request may have reached Plivo and that could not be checked


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    at: float  # epoch seconds
    user: str  # who: the OS user at the console, or in the team database its login (below)
    account: str  # auth id of the profile acted for
    action: Action
    call_uuid: str
    outcome: Outcome
    service_url: str = ""
    stream_id: str = ""
    detail: str = ""  # Plivo's message or our error sentence; never a secret
    account_name: str = ""  # the profile's display name at the time ("" in older entries)
    from_number: str = ""  # the call's parties as the calls list showed them
    to_number: str = ""
    host: str = ""  # the machine the console ran on (team history; "" in single-agent files)
    console_version: str = ""  # the console's version at the time ("" in older entries)
    # The team database names the writer itself (docs/team-mode.md, Attribution): there `user`
    # is the database login that wrote the row and `team_login` is true; `os_user` keeps the
    # operating-system user the console reported. Elsewhere `user` is that OS user.
    os_user: str = ""
    team_login: bool = False

    @property
    def account_label(self) -> str:
        """What the history shows for the account: its name, else the whole Auth ID."""
        return self.account_name or self.account
