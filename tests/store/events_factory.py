"""StoredEvents for store and receiver tests."""

from __future__ import annotations

from console.domain.events import StoredEvent, Verdict


def make_event(n: int, **kw: object) -> StoredEvent:
    params = {
        "Event": str(kw.pop("event", "StartStream")),
        "StreamID": f"stream-{n}",
        "CallUUID": str(kw.pop("call_uuid", f"call-{n % 7}")),
        "Timestamp": "2026-12-02 10:00:00",
        "ServiceURL": "wss://example.com/s",
    }
    extra: dict[str, str] = kw.pop("extra", {})  # type: ignore[assignment]
    params.update(extra)
    fields: dict[str, object] = dict(
        id=0,
        received_at=1_800_000_000.0 + n,
        event=params["Event"],
        call_uuid=params["CallUUID"],
        stream_id=params["StreamID"],
        account="MAXXXXXXXXXXXXXXXXX1",
        source="127.0.0.1",
        verdict=Verdict.ACCEPTED,
        method="POST",
        url="https://example.ngrok.app/plivo/stream-status",
        params=params,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    fields.update(kw)
    return StoredEvent(**fields)  # type: ignore[arg-type]
