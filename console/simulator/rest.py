"""The `/v1/Account/{auth_id}/...` endpoints, answering as Plivo does (docs/simulator.md,
SDK fixtures).

Every `/v1` request passes one middleware, in this order: count it (stats), apply faults
(latency, drop, forced 429, 5xx, before auth as a load balancer's would), authenticate (HTTP Basic;
401), check the path's auth_id is the caller's (401 otherwise: the credentials do not
authenticate that account; the SDK always puts its own id there), apply the rate limit (429),
then route. Errors are `{"api_id": ..., "error": ...}` with the status the SDKs map
(docs/simulator.md); unknown paths are 404 and wrong methods 405 in the same shape, as is every
malformed body (`console.simulator.bodies`: size, encoding, charset, nesting). Paths work with
and without the trailing slash (Python/Go send it, Node/Java omit it on the single-stream path).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import BasicAuth, web

from console.simulator import bodies
from console.simulator.errors import PlivoError, answer_for, error_response, json_response
from console.simulator.rules import RuleError, check_start
from console.simulator.state import LIVE, QUEUED, CallRecord, StreamRecord, new_api_id

if TYPE_CHECKING:
    from console.simulator.server import Simulator

__all__ = ["PlivoError", "RestApi", "error_response", "json_response"]
log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BASE = "/v1/Account/{auth_id}/Call"
MAX_PAGE = 20
STARTED = "audio streaming started"


_KINDS = {
    ("calls", "GET", "live"): "list_calls",
    ("calls", "GET", "queued"): "list_queued_calls",
    ("calls", "GET", None): "list_cdrs",
    ("call", "GET", "live"): "get_call",
    ("call", "GET", "queued"): "get_queued_call",
    ("call", "GET", None): "get_cdr",
    ("streams", "POST", None): "start_stream",
    ("streams", "GET", None): "list_streams",
    ("streams", "DELETE", None): "stop_all_streams",
    ("stream", "GET", None): "get_stream",
    ("stream", "DELETE", None): "stop_stream",
}


def endpoint_kind(request: web.Request) -> str:
    """The name tests count requests by (`Stats.count(kind=...)`)."""
    name = request.match_info.route.name or ""
    status = request.query.get("status") if name in ("calls", "call") else None
    return _KINDS.get((name, request.method, status), "unknown")


def _int_param(request: web.Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PlivoError(400, f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise PlivoError(400, f"{name} must be {bound}")
    return value


class RestApi:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_route("GET", BASE + "{s:/?}", self.list_calls, name="calls")
        r.add_route("GET", BASE + "/{call_uuid}{s:/?}", self.get_call, name="call")
        streams = r.add_resource(BASE + "/{call_uuid}/Stream{s:/?}", name="streams")
        streams.add_route("POST", self.start_stream)
        streams.add_route("GET", self.list_streams)
        streams.add_route("DELETE", self.stop_all_streams)
        stream = r.add_resource(BASE + "/{call_uuid}/Stream/{stream_id}{s:/?}", name="stream")
        stream.add_route("GET", self.get_stream)
        stream.add_route("DELETE", self.stop_stream)

    # ---- the middleware --------------------------------------------------------------------
    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/v1/"):
            return await handler(request)
        response = await self._serve(request, handler)
        self.sim.stats.statuses[response.status] += 1
        return response

    async def _serve(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        sim, faults, stats = self.sim, self.sim.faults, self.sim.stats
        kind = endpoint_kind(request)
        stats.record(request.method, kind)
        faulty = faults.applies_to(kind)
        if faulty:
            if faults.latency_s > 0:
                await asyncio.sleep(faults.latency_s)
            if faults.take_drop():
                stats.faults_injected += 1
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError  # aiohttp ends the handler quietly; nothing is sent
            if faults.force_429:
                stats.faults_injected += 1
                stats.rate_limited += 1
                headers = {}
                if faults.retry_after is not None:
                    headers["Retry-After"] = str(faults.retry_after)
                return error_response(429, "Too many requests", headers)
            if faults.take_error():
                stats.faults_injected += 1
                return error_response(faults.error_status, "Internal server error")

        account = self._authenticate(request)
        if account is None:
            stats.unauthorized += 1
            return error_response(
                401, "Authentication failed", {"WWW-Authenticate": 'Basic realm="Plivo"'}
            )
        if sim.config.rate_limit and not sim.limiter.allow(account):
            stats.rate_limited += 1
            retry = sim.limiter.retry_after_header(account)
            return error_response(429, "Too many requests", {"Retry-After": retry})
        try:
            response = await handler(request)
        except (PlivoError, web.HTTPException) as exc:
            answer = answer_for(exc)
            if answer is None:  # a redirect or 2xx raised as an exception: not ours to shape
                raise
            response = answer
        if faulty and faults.stall_s > 0 and isinstance(response, web.Response):
            return await self._stall(request, response, faults.stall_s)
        return response

    def _authenticate(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        try:
            creds = BasicAuth.decode(header) if header else None
        except ValueError:
            creds = None
        if creds is None:
            return None
        account = self.sim.state.accounts.get(creds.login)
        if account is None:
            return None
        if not hmac.compare_digest(account.auth_token.encode(), creds.password.encode()):
            return None
        path_id = request.match_info.get("auth_id")
        if path_id is None:  # an unknown path: still refuse another account's prefix
            parts = request.path.split("/")
            path_id = parts[3] if len(parts) > 3 and parts[2] == "Account" else account.auth_id
        return account.auth_id if path_id == account.auth_id else None

    async def _stall(
        self, request: web.Request, response: web.Response, stall_s: float
    ) -> web.StreamResponse:
        """Headers now, body after `stall_s`: a client's read timeout fires, not its connect."""
        self.sim.stats.faults_injected += 1
        body = response.body if isinstance(response.body, bytes) else b""
        if not body:
            await asyncio.sleep(stall_s)
            return response
        stalled = web.StreamResponse(status=response.status, headers=response.headers)
        stalled.content_length = len(body)
        await stalled.prepare(request)
        await asyncio.sleep(stall_s)
        await stalled.write(body)
        await stalled.write_eof()
        return stalled

    # ---- helpers ---------------------------------------------------------------------------
    def _call(self, request: web.Request) -> CallRecord:
        call = self.sim.state.calls.get(request.match_info["call_uuid"])
        if call is None or call.auth_id != request.match_info["auth_id"]:
            raise PlivoError(404, "Call not found")
        return call

    def _stream(self, request: web.Request, call: CallRecord) -> StreamRecord:
        record = self.sim.state.streams.get(request.match_info["stream_id"])
        if record is None or record.call_uuid != call.call_uuid:
            raise PlivoError(404, "Stream not found")
        return record

    async def _body(self, request: web.Request) -> dict[str, object]:
        cfg = self.sim.config
        return await bodies.params(request, cfg.max_body_bytes, cfg.body_timeout_s)

    # ---- live / queued calls ---------------------------------------------------------------
    async def list_calls(self, request: web.Request) -> web.Response:
        auth_id = request.match_info["auth_id"]
        status = request.query.get("status")
        if status not in (None, "live", "queued"):
            raise PlivoError(400, "status must be live or queued")
        limit = _int_param(request, "limit", MAX_PAGE, 1, MAX_PAGE)
        offset = _int_param(request, "offset", 0, 0, None)
        if status is None:
            return self._list_cdrs(request, auth_id, limit, offset)
        calls = self.sim.state.calls_of(auth_id, LIVE if status == "live" else QUEUED)
        if status == "live":
            calls = self._filter_live(request, calls)
        page = calls[offset : offset + limit]
        return json_response({"api_id": new_api_id(), "calls": [c.call_uuid for c in page]})

    @staticmethod
    def _filter_live(request: web.Request, calls: list[CallRecord]) -> list[CallRecord]:
        direction = request.query.get("call_direction")
        if direction not in (None, "inbound", "outbound"):
            raise PlivoError(400, "call_direction must be inbound or outbound")
        from_number = request.query.get("from_number")
        to_numbers = [n for n in request.query.get("to_number", "").split("<") if n]
        return [
            c
            for c in calls
            if (direction is None or c.direction == direction)
            and (not from_number or from_number.lstrip("+") in c.from_number)
            and (not to_numbers or any(n.lstrip("+") in c.to_number for n in to_numbers))
        ]

    def _list_cdrs(
        self, request: web.Request, auth_id: str, limit: int, offset: int
    ) -> web.Response:
        ended = [
            c
            for c in reversed(self.sim.state.calls.values())
            if c.auth_id == auth_id and c.status not in (LIVE, QUEUED)
        ]
        tz = self.sim.state.tz
        objects = [c.cdr_json(new_api_id(), tz) for c in ended[offset : offset + limit]]
        for obj in objects:
            del obj["api_id"]
        meta = self._meta(request, len(ended), limit, offset, len(objects))
        return json_response({"api_id": new_api_id(), "meta": meta, "objects": objects})

    async def get_call(self, request: web.Request) -> web.Response:
        status = request.query.get("status")
        if status not in (None, "live", "queued"):
            raise PlivoError(400, "status must be live or queued")
        call = self._call(request)
        if status == "live" and call.status == LIVE:
            return json_response(call.live_json(new_api_id()))
        if status == "queued" and call.status == QUEUED:
            return json_response(call.queued_json(new_api_id()))
        if status is None and call.status not in (LIVE, QUEUED):
            return json_response(call.cdr_json(new_api_id(), self.sim.state.tz))
        raise PlivoError(404, "Call not found")

    # ---- streams ---------------------------------------------------------------------------
    async def start_stream(self, request: web.Request) -> web.Response:
        call = self._call(request)
        body = await self._body(request)
        if call.status != LIVE:
            raise PlivoError(404, "Call not found")
        try:
            params = check_start(body)
        except RuleError as exc:
            raise PlivoError(400, str(exc)) from None
        for other in self.sim.state.streams_of(call.call_uuid):
            if other.active and other.params.service_url == params.service_url:
                raise PlivoError(400, "An active stream already exists for this service_url")
        record = self.sim.engine.start_stream(call, params)
        return json_response(
            {
                "api_id": new_api_id(),
                "message": "audio streaming started",
                "stream_id": record.stream_id,
            },
            status=201,
        )

    async def list_streams(self, request: web.Request) -> web.Response:
        call = self._call(request)
        records = self.sim.state.streams_of(call.call_uuid)
        limit = _int_param(request, "limit", MAX_PAGE, 1, MAX_PAGE)
        offset = _int_param(request, "offset", 0, 0, None)
        tz, rate = self.sim.state.tz, self.sim.config.bill_rate_per_minute
        objects = [s.to_json(tz, rate) for s in records[offset : offset + limit]]
        meta = self._meta(request, len(records), limit, offset, len(objects))
        return json_response({"api_id": new_api_id(), "meta": meta, "objects": objects})

    def _meta(
        self, request: web.Request, total: int, limit: int, offset: int, shown: int
    ) -> dict[str, Any]:
        def page(at: int) -> str:
            return f"{request.path}?limit={limit}&offset={at}"

        meta: dict[str, Any] = {
            "limit": limit,
            "next": page(offset + limit) if offset + shown < total else None,
            "offset": offset,
            "previous": page(max(0, offset - limit)) if offset > 0 else None,
        }
        style = self.sim.config.list_meta_count
        if style in ("count", "both"):
            meta["count"] = total
        if style in ("total_count", "both"):
            meta["total_count"] = total
        return meta

    async def get_stream(self, request: web.Request) -> web.Response:
        record = self._stream(request, self._call(request))
        data = {"api_id": new_api_id()}
        data.update(record.to_json(self.sim.state.tz, self.sim.config.bill_rate_per_minute))
        return json_response(data)

    async def stop_stream(self, request: web.Request) -> web.Response:
        record = self._stream(request, self._call(request))
        if not self.sim.engine.stop_stream(record):
            raise PlivoError(400, "No active stream found")
        return web.Response(status=204)

    async def stop_all_streams(self, request: web.Request) -> web.Response:
        call = self._call(request)
        for record in self.sim.state.streams_of(call.call_uuid):
            self.sim.engine.stop_stream(record)
        return web.Response(status=204)
