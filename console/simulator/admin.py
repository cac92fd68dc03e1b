"""A small JSON admin API outside `/v1` for trainers and tests, plus the demo media sink.

All `/_sim/...` routes but the media sink need the main account's Basic auth (the simulator may be
bound beyond loopback for a class). They are never rate limited or faulted.

  GET    /_sim/                      summary: account id, counts, base URLs
  GET    /_sim/faults                current fault settings
  PATCH  /_sim/faults                set some (JSON object of Faults fields); POST works too
  DELETE /_sim/faults                reset all faults
  GET    /_sim/stats                 request and callback counters
  DELETE /_sim/stats                 zero them
  GET    /_sim/calls                 live and queued calls with their details
  POST   /_sim/calls                 {"count": n, "queued": false, ...overrides} -> new call uuids
  DELETE /_sim/calls/{call_uuid}     hang a call up (its streams end, no StopStream)
  GET    /_sim/streams               every stream the simulator holds, with its status
  POST   /_sim/streams/{id}/drop     DroppedStream on demand
  POST   /_sim/streams/{id}/silence  {"tracks": ["inbound"]}: silence on those tracks ([] = speech)
  GET    /_sim/media-sink[/...]      WebSocket that accepts, counts and discards frames
  GET    /_sim/refusing-sink[/...]   WebSocket that closes at the `start` event (1008: policy
                                     violation), as a bot that does not know the account would:
                                     the demo's broken example for Check service
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from aiohttp import BasicAuth, WSMsgType, web

from console.simulator import bodies
from console.simulator.errors import PlivoError, error_response, json_response
from console.simulator.state import LIVE, QUEUED

if TYPE_CHECKING:
    from console.simulator.server import Simulator

SINK_PATH = "/_sim/media-sink"
REFUSING_SINK_PATH = "/_sim/refusing-sink"
MAX_CALLS = 10_000
"""Live and queued calls the admin API lets a trainer build up (memory stays bounded)."""


class AdminApi:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get(SINK_PATH, self.media_sink)
        r.add_get(SINK_PATH + "/{tail:.*}", self.media_sink)
        r.add_get(REFUSING_SINK_PATH, self.refusing_sink)
        r.add_get(REFUSING_SINK_PATH + "/{tail:.*}", self.refusing_sink)
        r.add_get("/_sim/", self.guarded(self.summary))
        r.add_get("/_sim/faults", self.guarded(self.get_faults))
        for method in ("PATCH", "POST", "PUT"):
            r.add_route(method, "/_sim/faults", self.guarded(self.set_faults))
        r.add_delete("/_sim/faults", self.guarded(self.reset_faults))
        r.add_get("/_sim/stats", self.guarded(self.get_stats))
        r.add_delete("/_sim/stats", self.guarded(self.reset_stats))
        r.add_get("/_sim/calls", self.guarded(self.get_calls))
        r.add_post("/_sim/calls", self.guarded(self.add_calls))
        r.add_delete("/_sim/calls/{call_uuid}", self.guarded(self.hangup))
        r.add_get("/_sim/streams", self.guarded(self.get_streams))
        r.add_post("/_sim/streams/{stream_id}/drop", self.guarded(self.drop))
        r.add_post("/_sim/streams/{stream_id}/silence", self.guarded(self.silence))

    def guarded(self, handler: Any) -> Any:
        async def wrapper(request: web.Request) -> web.StreamResponse:
            header = request.headers.get("Authorization", "")
            try:
                creds = BasicAuth.decode(header) if header else None
            except ValueError:
                creds = None
            config = self.sim.config
            if (
                creds is None
                or creds.login != config.auth_id
                or not hmac.compare_digest(creds.password.encode(), config.auth_token.encode())
            ):
                return error_response(401, "Authentication failed")
            try:
                response: web.StreamResponse = await handler(request)
            except PlivoError as exc:
                return error_response(exc.status, exc.message)
            except (ValueError, TypeError) as exc:
                return error_response(400, str(exc))
            except KeyError as exc:
                return error_response(404, f"not found: {exc.args[0]}")
            return response

        return wrapper

    async def _json(self, request: web.Request) -> dict[str, Any]:
        cfg = self.sim.config
        return await bodies.json_object(request, cfg.max_body_bytes, cfg.body_timeout_s)

    async def summary(self, request: web.Request) -> web.Response:
        state = self.sim.state
        return json_response(
            {
                "auth_id": self.sim.config.auth_id,
                "base_url": self.sim.base_url,
                "media_sink_url": self.sim.media_sink_url,
                "live_calls": len(state.calls_of(self.sim.config.auth_id, LIVE)),
                "queued_calls": len(state.calls_of(self.sim.config.auth_id, QUEUED)),
                "active_streams": sum(1 for s in state.streams.values() if s.active),
                "churn": self.sim.config.churn,
                "media": self.sim.config.media,
                "rate_limit": self.sim.config.rate_limit,
            }
        )

    async def get_faults(self, request: web.Request) -> web.Response:
        return json_response(self.sim.faults.as_dict())

    async def set_faults(self, request: web.Request) -> web.Response:
        self.sim.faults.update(await self._json(request))
        return json_response(self.sim.faults.as_dict())

    async def reset_faults(self, request: web.Request) -> web.Response:
        self.sim.faults.reset()
        return json_response(self.sim.faults.as_dict())

    async def get_stats(self, request: web.Request) -> web.Response:
        return json_response(self.sim.stats.as_dict())

    async def reset_stats(self, request: web.Request) -> web.Response:
        self.sim.stats.reset()
        return json_response(self.sim.stats.as_dict())

    async def get_calls(self, request: web.Request) -> web.Response:
        calls = [
            c.live_json("") if c.status == LIVE else c.queued_json("")
            for c in self.sim.state.calls.values()
            if c.status in (LIVE, QUEUED)
        ]
        for call in calls:
            del call["api_id"]
        return json_response({"calls": calls})

    async def add_calls(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        count = body.pop("count", 1)
        queued = body.pop("queued", False)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 500:
            raise ValueError("count must be an integer from 1 to 500")
        if not isinstance(queued, bool):
            raise ValueError("queued must be true or false")
        waiting = len(self.sim.live_call_uuids()) + len(self.sim.queued_call_uuids())
        if waiting + count > MAX_CALLS:
            raise ValueError(f"at most {MAX_CALLS} live and queued calls at once")
        if queued:
            if body:
                raise ValueError("queued calls take no overrides")
            uuids = self.sim.add_queued_calls(count)
        else:
            uuids = self.sim.add_live_calls(count, **body)
        return json_response({"call_uuids": uuids}, status=201)

    async def hangup(self, request: web.Request) -> web.Response:
        self.sim.hangup(request.match_info["call_uuid"])
        return web.Response(status=204)

    async def get_streams(self, request: web.Request) -> web.Response:
        tz, rate = self.sim.state.tz, self.sim.config.bill_rate_per_minute
        streams = []
        for record in self.sim.state.streams.values():
            data = record.to_json(tz, rate)
            data["end_reason"] = record.end_reason
            data["content_type"] = record.params.content_type.value
            data["stream_timeout"] = record.params.stream_timeout
            streams.append(data)
        return json_response({"streams": streams})

    async def drop(self, request: web.Request) -> web.Response:
        await self.sim.drop_stream(request.match_info["stream_id"])
        return web.Response(status=204)

    async def silence(self, request: web.Request) -> web.Response:
        tracks = (await self._json(request)).get("tracks", [])
        if not isinstance(tracks, list) or not all(isinstance(t, str) for t in tracks):
            raise ValueError("tracks must be a list of track names")
        self.sim.silence_stream(request.match_info["stream_id"], tracks)
        return web.Response(status=204)

    async def refusing_sink(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=64 * 1024, autoping=True)
        await ws.prepare(request)
        self.sim.sinks.add(ws)
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT and '"start"' in msg.data:
                    await ws.close(code=1008, message=b"unknown account")
                    break
        finally:
            self.sim.sinks.discard(ws)
        return ws

    async def media_sink(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=8 * 1024 * 1024, autoping=True)
        await ws.prepare(request)
        stats = self.sim.stats
        stats.sink_connections += 1
        self.sim.sinks.add(ws)
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    stats.sink_frames += 1
        finally:
            self.sim.sinks.discard(ws)
        return ws
