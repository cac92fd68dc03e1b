"""What the simulated Plivo holds: accounts, calls, streams, and their JSON as Plivo shapes it.

Plain synchronous data; the timers and I/O that move it along live in `engine.py`. Shapes follow
the SDK fixtures (tests/fixtures/plivo/) and docs/simulator.md; every documented stream field is
present, so a client parser meets the full object here and the fixture's subset from Plivo.
"""

from __future__ import annotations

import random
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from console.simulator.population import new_party
from console.simulator.rules import StartParams

LIVE = "in-progress"
QUEUED = "queued"
ENDED = "completed"

# Stream statuses: "initiated" until the WebSocket is up, then "in-progress"; a stream that ended
# normally (API stop, stream_timeout, hang-up) is "completed", one that dropped is "failed".
S_INITIATED = "initiated"
S_IN_PROGRESS = "in-progress"
S_COMPLETED = "completed"
S_FAILED = "failed"
ACTIVE = frozenset({S_INITIATED, S_IN_PROGRESS})

MAX_ENDED_CALLS = 1000
OVERRIDABLE = frozenset(
    {
        "direction",
        "from_number",
        "to_number",
        "caller_name",
        "stir_verification",
        "stir_attestation",
    }
)
MAX_OVERRIDE_CHARS = 256
_ALIASES = {"from": "from_number", "to": "to_number"}


def check_call_overrides(overrides: dict[str, Any]) -> dict[str, str]:
    """The call fields a test or trainer may set, type-checked: a number that is not a string
    would break every later filtered list. TypeError/ValueError name the bad field."""
    checked: dict[str, str] = {}
    for key, value in overrides.items():
        name = _ALIASES.get(key, key)
        if name not in OVERRIDABLE:
            raise TypeError(f"unknown call field: {key}")
        if not isinstance(value, str):
            raise TypeError(f"{key} must be a string")
        if len(value) > MAX_OVERRIDE_CHARS:
            raise ValueError(f"{key} must be at most {MAX_OVERRIDE_CHARS} characters")
        if name == "direction" and value not in ("inbound", "outbound"):
            raise ValueError("direction must be inbound or outbound")
        checked[name] = value
    return checked


def new_api_id() -> str:
    """Plivo's api_ids are time-based uuids (`ff09383e-246f-11ed-...`)."""
    return str(uuid.uuid1())


def utc_now() -> datetime:
    return datetime.now(UTC)


def fmt_session(moment: datetime) -> str:
    """`session_start` style: `2017-05-22 13:17:49.050872` (UTC, no zone)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def fmt_local(moment: datetime, tz: timezone) -> str:
    """`start_time` style: `2023-06-26 08:14:29+05:30`, in the account's zone."""
    return moment.astimezone(tz).isoformat(sep=" ", timespec="seconds")


def fmt_created(moment: datetime) -> str:
    """`created_at` style: `2023-06-26 02:44:50.617032+00:00`."""
    return moment.astimezone(UTC).isoformat(sep=" ", timespec="microseconds")


@dataclass(slots=True)
class Account:
    auth_id: str
    auth_token: str = field(repr=False)
    parent_id: str | None = None


@dataclass(slots=True)
class CallRecord:
    call_uuid: str
    auth_id: str
    direction: str
    from_number: str
    to_number: str
    caller_name: str
    status: str
    initiation_time: datetime
    answer_time: datetime | None = None
    end_time: datetime | None = None
    stir_verification: str = "Not Applicable"
    stir_attestation: str = ""
    hangup_at: float | None = None
    """Loop time at which churn hangs the call up (None: only on request)."""
    answer_at: float | None = None
    """Loop time at which churn answers a queued call."""

    @property
    def request_uuid(self) -> str:
        return self.call_uuid

    def live_json(self, api_id: str) -> dict[str, Any]:
        return {
            "api_id": api_id,
            "call_status": LIVE,
            "call_uuid": self.call_uuid,
            "caller_name": self.caller_name,
            "direction": self.direction,
            "from": self.from_number,
            "request_uuid": self.request_uuid,
            "session_start": fmt_session(self.answer_time or self.initiation_time),
            "to": self.to_number,
            "stir_verification": self.stir_verification,
            "stir_attestation": self.stir_attestation,
        }

    def queued_json(self, api_id: str) -> dict[str, Any]:
        return {
            "api_id": api_id,
            "call_status": QUEUED,
            "call_uuid": self.call_uuid,
            "caller_name": self.caller_name,
            "direction": self.direction,
            "from": self.from_number,
            "request_uuid": self.request_uuid,
            "to": self.to_number,
        }

    def cdr_json(self, api_id: str, tz: timezone) -> dict[str, Any]:
        """The call detail record Plivo keeps once a call has ended."""
        end = self.end_time or utc_now()
        duration = int((end - (self.answer_time or end)).total_seconds())
        billed = (duration + 59) // 60 * 60
        return {
            "answer_time": fmt_local(self.answer_time, tz) if self.answer_time else None,
            "api_id": api_id,
            "bill_duration": duration,
            "billed_duration": billed,
            "call_direction": self.direction,
            "call_duration": duration,
            "call_status": "ANSWER" if self.answer_time else "NO ANSWER",
            "call_uuid": self.call_uuid,
            "end_time": fmt_local(end, tz),
            "from_number": self.from_number.lstrip("+")
            if self.direction == "outbound"
            else self.from_number,
            "hangup_cause_code": 4000,
            "hangup_cause_name": "Normal Hangup",
            "hangup_source": "Callee" if self.direction == "outbound" else "Caller",
            "initiation_time": fmt_local(self.initiation_time, tz),
            "parent_call_uuid": None,
            "resource_uri": f"/v1/Account/{self.auth_id}/Call/{self.call_uuid}/",
            "to_number": self.to_number,
            "total_amount": f"{Decimal(billed) / 60 * Decimal('0.0085'):.5f}",
            "total_rate": "0.00850",
        }


@dataclass(slots=True)
class StreamRecord:
    stream_id: str
    call_uuid: str
    auth_id: str
    params: StartParams
    created_at: datetime
    status: str = S_INITIATED
    start_time: datetime | None = None
    end_time: datetime | None = None
    end_reason: str = ""
    """Why it ended: "api_request", "stream_timeout", "call_hangup", "dropped"."""

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def service_url(self) -> str:
        return self.params.service_url

    def billing(self, rate_per_minute: str) -> tuple[int, int, str]:
        if self.start_time is None:
            return 0, 0, "0.00000"
        end = self.end_time or utc_now()
        seconds = max(0, int((end - self.start_time).total_seconds()))
        rounded = (seconds + 59) // 60 * 60 if seconds else 0
        amount = (Decimal(rounded) / 60 * Decimal(rate_per_minute)).quantize(
            Decimal("0.00001"), ROUND_HALF_UP
        )
        return seconds, rounded, f"{amount:.5f}"

    def to_json(self, tz: timezone, rate_per_minute: str) -> dict[str, Any]:
        seconds, rounded, amount = self.billing(rate_per_minute)
        return {
            "audio_track": self.params.audio_track.value,
            "bidirectional": self.params.bidirectional,
            "bill_duration": seconds,
            "billed_amount": amount,
            "call_uuid": self.call_uuid,
            "created_at": fmt_created(self.created_at),
            "end_time": fmt_local(self.end_time, tz) if self.end_time else None,
            "plivo_auth_id": self.auth_id,
            "resource_uri": f"/v1/Account/{self.auth_id}/Call/{self.call_uuid}/Stream/"
            f"{self.stream_id}/",
            "rounded_bill_duration": rounded,
            "service_url": self.params.service_url,
            "start_time": fmt_local(self.start_time, tz) if self.start_time else None,
            "status": self.status,
            "status_callback_url": self.params.status_callback_url,
            "stream_id": self.stream_id,
        }


class SimState:
    """Accounts, calls and streams. Ids come from a seeded generator when a seed is given."""

    def __init__(self, rng: random.Random, utc_offset_minutes: int = 0) -> None:
        self.rng = rng
        self.tz = timezone(timedelta(minutes=utc_offset_minutes))
        self.accounts: dict[str, Account] = {}
        self.calls: OrderedDict[str, CallRecord] = OrderedDict()
        self.streams: OrderedDict[str, StreamRecord] = OrderedDict()

    def new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add_account(self, auth_id: str, auth_token: str, parent_id: str | None = None) -> None:
        self.accounts[auth_id] = Account(auth_id, auth_token, parent_id)

    def main_account_of(self, auth_id: str) -> Account:
        account = self.accounts[auth_id]
        return self.accounts[account.parent_id] if account.parent_id else account

    def new_call(
        self, auth_id: str, status: str, started_ago_s: float = 0.0, **overrides: Any
    ) -> CallRecord:
        party = new_party(self.rng)
        start = utc_now() - timedelta(seconds=started_ago_s)
        values: dict[str, Any] = {
            "call_uuid": self.new_uuid(),
            "auth_id": auth_id,
            "direction": party.direction,
            "from_number": party.from_number,
            "to_number": party.to_number,
            "caller_name": party.caller_name,
            "status": status,
            "initiation_time": start - timedelta(seconds=self.rng.uniform(2, 12)),
            "answer_time": start if status == LIVE else None,
            "stir_verification": party.stir_verification,
            "stir_attestation": party.stir_attestation,
        }
        values.update(check_call_overrides(overrides))
        call = CallRecord(**values)
        self.calls[call.call_uuid] = call
        return call

    def calls_of(self, auth_id: str, status: str) -> list[CallRecord]:
        return [c for c in self.calls.values() if c.auth_id == auth_id and c.status == status]

    def end_call(self, call: CallRecord) -> None:
        call.status = ENDED
        call.end_time = utc_now()
        call.hangup_at = None
        self.calls.move_to_end(call.call_uuid)
        ended = [uid for uid, c in self.calls.items() if c.status == ENDED]
        for old in ended[: max(0, len(ended) - MAX_ENDED_CALLS)]:
            del self.calls[old]
            for sid in [s.stream_id for s in self.streams.values() if s.call_uuid == old]:
                del self.streams[sid]

    def streams_of(self, call_uuid: str) -> list[StreamRecord]:
        return [s for s in self.streams.values() if s.call_uuid == call_uuid]

    def add_stream(self, call: CallRecord, params: StartParams) -> StreamRecord:
        record = StreamRecord(
            stream_id=self.new_uuid(),
            call_uuid=call.call_uuid,
            auth_id=call.auth_id,
            params=params,
            created_at=utc_now(),
        )
        self.streams[record.stream_id] = record
        return record
