"""The simulator's settings: one demo account and the knobs tests and trainers turn.

Every default gives a lively demo (a dozen calls coming and going, real-time media, Plivo's rate
limit); tests switch the moving parts off (`churn=False`) or shorten the timings.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_AUTH_ID = "MADEMOSTREAMCONSOLE1"
# Not a secret: the fixed token of the simulator's demo account, printed by `simulate`.
DEMO_AUTH_TOKEN = "DemoTokenNotASecretStreamConsoleSim00000"

META_COUNT_STYLES = ("count", "total_count", "both")


@dataclass(slots=True)
class SimulatorConfig:
    auth_id: str = DEMO_AUTH_ID
    auth_token: str = DEMO_AUTH_TOKEN
    calls: int = 12
    """Live calls at start (and the population churn keeps around)."""
    seed: int | None = None
    """Deterministic population and ids when set."""
    churn: bool = True
    """Calls start and hang up over time; tests pass False for a still population."""
    rate_limit: bool = True
    """Plivo's 300 requests per rolling 5 s per account, 429 beyond it."""
    media: bool = True
    """Connect to each stream's service_url and stream audio; False skips the WebSocket."""

    queued_calls: int = 2
    """Queued calls at start; with churn they are answered (become live) after a few seconds."""
    rate_limit_requests: int = 300
    rate_limit_window_s: float = 5.0
    call_duration_s: tuple[float, float] = (90.0, 900.0)
    """Range of a churned call's length."""
    churn_tick_s: float = 1.0
    queued_answer_s: tuple[float, float] = (5.0, 30.0)
    utc_offset_minutes: int = 0
    """The account's time zone for `start_time`/`end_time` (Plivo uses the account's zone)."""
    list_meta_count: str = "count"
    """Which total the stream list's `meta` carries: "count" (SDK fixture), "total_count"
    (Plivo's doc example) or "both"; clients must cope with either."""

    media_connect_timeout_s: float = 5.0
    media_retries: int = 2
    """Extra connection attempts after the first fails (Plivo retries twice)."""
    media_retry_delay_s: float = 1.0
    media_frame_ms: int = 20
    media_buffer_s: float = 40.0
    """Audio Plivo buffers for a slow consumer before dropping it; DegradedStream fires at
    30/60/90 % of it."""
    start_without_media_s: float = 0.05
    """With media=False, how long a stream stays "initiated" before it counts as started."""

    callback_connect_timeout_s: float = 2.0
    callback_total_timeout_s: float = 10.0
    callback_retries: int = 1
    """Retries after a failed status callback (connection error or 5xx)."""
    callback_retry_delay_s: float = 1.0
    callback_concurrency: int = 64

    max_body_bytes: int = 1024 * 1024
    """Largest request body accepted (413 beyond it); Plivo's bodies are a few hundred bytes."""
    body_timeout_s: float = 10.0
    """A request body not fully received within this time is answered 408, the socket closed."""
    idle_timeout_s: float = 15.0
    """A connection that has not sent a complete request head within this time of opening, or
    of its last answer, is closed (held-open and slowloris connections); above the 5 s for which
    httpx keeps an idle connection, so a client never reuses one the simulator is closing."""

    bill_rate_per_minute: str = "0.00300"
    access_log: bool = False
    """Log every HTTP request (logger `aiohttp.access`); `simulate -v` turns it on."""

    def __post_init__(self) -> None:
        if self.list_meta_count not in META_COUNT_STYLES:
            raise ValueError(f"list_meta_count must be one of {META_COUNT_STYLES}")
        if self.calls < 0 or self.queued_calls < 0:
            raise ValueError("calls and queued_calls must be >= 0")
        if self.max_body_bytes < 1 or self.body_timeout_s <= 0 or self.idle_timeout_s <= 0:
            raise ValueError("max_body_bytes, body_timeout_s and idle_timeout_s must be positive")
        if self.rate_limit_requests < 1 or self.rate_limit_window_s <= 0:
            raise ValueError("the rate limit needs at least 1 request per positive window")

    def __repr__(self) -> str:
        # The token never appears in a repr (HELPER-RULES: secrets stay out of logs).
        return f"SimulatorConfig(auth_id={self.auth_id!r}, calls={self.calls}, seed={self.seed})"
