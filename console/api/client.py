"""`PlivoClient`: every live-call and stream operation the console needs, as domain objects.

Paths end with `/` as the Python and Go SDKs send them (docs/simulator.md). Operator actions
(start, stop) default to the operator lane and priority; listings default to background. See
`session` for how a request travels (pacing, timeouts, retries) and `errors` for what can come back.
"""

from __future__ import annotations

import random
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Self, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from console.api import parse
from console.api.auth import TokenSource
from console.api.clock import Clock
from console.api.errors import (
    AmbiguousStart,
    ApiError,
    BadRequest,
    ConnectionLost,
    DeadlineExceeded,
    NotFound,
    RequestTimeout,
    ServerError,
    UnexpectedResponse,
    unexpected_response,
)
from console.api.observer import ClientObserver
from console.api.ratelimit import Priority, TokenBucket
from console.api.refresh import LiveCallCache
from console.api.session import ClientPolicy, Reply, RequestCount, Session
from console.domain.accounts import DEFAULT_API_BASE_URL, auth_id_problem
from console.domain.calls import CallDirection, LiveCall, LiveCallRefresh, QueuedCall
from console.domain.stream_request import StreamRequest
from console.domain.streams import StopOutcome, Stream, StreamStarted, StreamStopped

T = TypeVar("T")
PAGE_SIZE = 20
MAX_PAGES = 1000  # 20,000 calls: a guard against a server that ignores `offset`
# Failures after which a start may or may not have acted (a deadline cut included).
_AMBIGUOUS = (RequestTimeout, DeadlineExceeded, ConnectionLost, ServerError, UnexpectedResponse)


def _segment(value: str, what: str) -> str:
    if not value or not value.strip():
        raise ValueError(f"{what} is empty")
    return quote(value.strip(), safe="")


def _same_url(a: str | None, b: str) -> bool:
    if a is None:
        return False
    pa, pb = urlsplit(a.strip()), urlsplit(b.strip())
    return (pa.scheme.lower(), pa.netloc.lower(), pa.path.rstrip("/"), pa.query) == (
        pb.scheme.lower(),
        pb.netloc.lower(),
        pb.path.rstrip("/"),
        pb.query,
    )


class PlivoClient:
    """One account's client. Use as `async with PlivoClient(...) as client:` or call
    `aclose()`. The token is read from `tokens` for every attempt and never stored here."""

    def __init__(
        self,
        auth_id: str,
        tokens: TokenSource,
        base_url: str = DEFAULT_API_BASE_URL,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        transport_factory: Callable[[], httpx.AsyncBaseTransport] | None = None,
        policy: ClientPolicy | None = None,
        observer: ClientObserver | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        bucket: TokenBucket | None = None,
    ) -> None:
        problem = auth_id_problem(auth_id)
        if problem:
            raise ValueError(problem)
        self._auth_id = auth_id
        self._session = Session(
            auth_id,
            tokens,
            base_url,
            policy=policy or ClientPolicy(),
            transport=transport,
            transport_factory=transport_factory,
            observer=observer,
            clock=clock,
            rng=rng,
            bucket=bucket,
        )
        self._live = LiveCallCache()

    def __repr__(self) -> str:
        return f"PlivoClient(auth_id={self._auth_id!r}, base_url={self._session.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """New requests are refused; those under way end first, and the last of them closes the
        connections (this call closes them when none is under way)."""
        await self._session.aclose()

    @property
    def shut(self) -> bool:
        """Closed, and its connections too: nothing of it is left to wait for."""
        return self._session.shut

    @property
    def auth_id(self) -> str:
        return self._auth_id

    @property
    def base_url(self) -> str:
        return self._session.base_url

    @property
    def policy(self) -> ClientPolicy:
        return self._session.policy

    @property
    def bucket(self) -> TokenBucket:
        return self._session.bucket

    @property
    def attempts(self) -> int:
        """HTTP attempts sent by this client so far (retries included)."""
        return self._session.attempts

    @property
    def rebuilds(self) -> int:
        """How often the pool watchdog replaced the httpx client."""
        return self._session.rebuilds

    def _parsed(self, reply: Reply, method: str, path: str, read: Callable[[parse.Json], T]) -> T:
        if reply.data is None:
            raise unexpected_response(
                "it is empty", method=method, path=self._session.prefix + path, status=reply.status
            )
        try:
            return read(reply.data)
        except parse.ShapeError as exc:
            raise unexpected_response(
                f"it does not look like Plivo's answer ({exc})",
                method=method,
                path=self._session.prefix + path,
                status=reply.status,
            ) from None

    # --- calls ---------------------------------------------------------------------------------

    async def _id_pages(
        self,
        status: str,
        filters: Mapping[str, str],
        priority: Priority,
        counter: RequestCount | None,
    ) -> AsyncGenerator[list[str], None]:
        """Pages of call ids until a short page: N calls cost N // 20 + 1 requests."""
        seen: set[str] = set()
        for page_number in range(MAX_PAGES):
            params = {"status": status, **filters}
            params.update(limit=str(PAGE_SIZE), offset=str(page_number * PAGE_SIZE))
            reply = await self._session.request(
                "GET", "Call/", params=params, priority=priority, counter=counter
            )
            ids = self._parsed(reply, "GET", "Call/", parse.call_ids)
            yield ids
            fresh = [i for i in ids if i not in seen]
            seen.update(ids)
            if len(ids) < PAGE_SIZE or not fresh:
                return

    @staticmethod
    def _filters(
        direction: CallDirection | str | None,
        from_number: str | None,
        to_number: str | Sequence[str] | None,
    ) -> dict[str, str]:
        filters: dict[str, str] = {}
        if direction is not None:
            filters["call_direction"] = CallDirection(direction).value
        if from_number:
            filters["from_number"] = from_number
        if to_number:
            filters["to_number"] = to_number if isinstance(to_number, str) else "<".join(to_number)
        return filters

    async def _all_ids(
        self, status: str, filters: Mapping[str, str], priority: Priority
    ) -> list[str]:
        ids: list[str] = []
        seen: set[str] = set()
        async for page in self._id_pages(status, filters, priority, None):
            ids.extend(i for i in page if i not in seen)
            seen.update(page)
        return ids

    async def check_credentials(self) -> None:
        """One request that needs valid credentials (the first page of live calls, at the
        operator's priority). Returns when Plivo accepts them; raises `AuthenticationFailed` when
        it refuses them, another `ApiError` when it cannot tell."""
        pages = self._id_pages("live", {}, Priority.OPERATOR, None)
        try:
            await anext(pages)
        finally:
            await pages.aclose()

    async def list_live_call_ids(
        self,
        direction: CallDirection | str | None = None,
        from_number: str | None = None,
        to_number: str | Sequence[str] | None = None,
        *,
        priority: Priority = Priority.BACKGROUND,
    ) -> list[str]:
        """Every live call's uuid (all pages). `to_number` may list several numbers."""
        filters = self._filters(direction, from_number, to_number)
        return await self._all_ids("live", filters, priority)

    async def get_live_call(
        self, call_uuid: str, *, priority: Priority = Priority.BACKGROUND
    ) -> LiveCall:
        return await self._get_live_call(call_uuid, priority, None)

    async def _get_live_call(
        self, call_uuid: str, priority: Priority, counter: RequestCount | None
    ) -> LiveCall:
        path = f"Call/{_segment(call_uuid, 'call_uuid')}/"
        reply = await self._session.request(
            "GET", path, params={"status": "live"}, priority=priority,
            subject="this live call", counter=counter,
        )  # fmt: skip
        return self._parsed(reply, "GET", path, lambda o: parse.live_call(o, call_uuid))

    async def refresh_live_calls(
        self,
        direction: CallDirection | str | None = None,
        from_number: str | None = None,
        to_number: str | Sequence[str] | None = None,
        *,
        priority: Priority = Priority.BACKGROUND,
    ) -> LiveCallRefresh:
        """All current live calls, fetching details only for calls not seen before. Safe to
        cancel (a newer refresh superseding this one); details already fetched are kept."""
        filters = self._filters(direction, from_number, to_number)
        counter = RequestCount()

        async def detail(call_uuid: str) -> LiveCall | None:
            try:
                return await self._get_live_call(call_uuid, priority, counter)
            except NotFound:
                return None  # ended between the listing and this request

        calls, added, removed = await self._live.refresh(
            tuple(sorted(filters.items())),
            self._id_pages("live", filters, priority, counter),
            detail,
            self.policy.background_slots,
        )
        return LiveCallRefresh(calls, added, removed, counter.value)

    async def list_queued_call_ids(
        self,
        direction: CallDirection | str | None = None,
        from_number: str | None = None,
        to_number: str | Sequence[str] | None = None,
        *,
        priority: Priority = Priority.BACKGROUND,
    ) -> list[str]:
        filters = self._filters(direction, from_number, to_number)
        return await self._all_ids("queued", filters, priority)

    async def get_queued_call(
        self, call_uuid: str, *, priority: Priority = Priority.BACKGROUND
    ) -> QueuedCall:
        path = f"Call/{_segment(call_uuid, 'call_uuid')}/"
        reply = await self._session.request(
            "GET", path, params={"status": "queued"}, priority=priority,
            subject="this queued call",
        )  # fmt: skip
        return self._parsed(reply, "GET", path, lambda o: parse.queued_call(o, call_uuid))

    # --- streams -------------------------------------------------------------------------------

    async def start_stream(self, call_uuid: str, request: StreamRequest) -> StreamStarted:
        """Start one audio stream. Never repeated once the request may have reached Plivo: if
        no clear answer comes back, the call's streams are listed and either the new stream is
        returned (`reconciled=True`) or `AmbiguousStart` says what was found.

        The whole start, reconcile included, fits `policy.deadline_s`: the POST gets
        `1 - reconcile_share` of it and the listing what is left, less the backstop's grace (which
        only a server dripping its headers can use up) so it too ends in time
        (docs/api-client.md)."""
        path = f"Call/{_segment(call_uuid, 'call_uuid')}/Stream/"
        policy = self.policy
        reserve = policy.deadline_s * policy.reconcile_share
        end = self._session.now() + policy.deadline_s
        post_end = end - reserve
        try:
            reply = await self._session.request(
                "POST", path, body=request.to_body(), priority=Priority.OPERATOR,
                subject="this call", deadline=post_end,
            )  # fmt: skip
            return self._parsed(reply, "POST", path, parse.stream_started)
        except _AMBIGUOUS as error:
            check_end = end - min(policy.backstop_grace_s, reserve / 2)
            return await self._reconcile_start(call_uuid, request, error, check_end)

    async def _reconcile_start(
        self, call_uuid: str, request: StreamRequest, error: ApiError, deadline: float
    ) -> StreamStarted:
        failure = error.message.split(". ")[0].rstrip(".")
        try:
            streams = await self._list_streams(call_uuid, Priority.OPERATOR, deadline)
        except NotFound:
            raise AmbiguousStart(
                f"No stream is running: the start request failed ({failure}) and Plivo no "
                "longer knows this call; it has probably ended.",
                error.detail, cause=error, checked=True,
            ) from None  # fmt: skip
        except ApiError as check:
            raise AmbiguousStart(
                f"The start request failed ({failure}) and the console could not check whether "
                f"a stream was started ({check.message.split('. ')[0].rstrip('.')}). Look at "
                "this call's streams before starting again, so it is not streamed twice.",
                error.detail, cause=error, checked=False,
            ) from None  # fmt: skip
        found = [
            s for s in streams if s.is_active and _same_url(s.service_url, request.service_url)
        ]
        if found:
            stream = max(found, key=lambda s: s.created_at or s.start_time or "")
            return StreamStarted(
                stream_id=stream.stream_id,
                message=(
                    f"The start request got no clear answer ({failure}), but Plivo now lists an "
                    f"active stream to this URL: {stream.stream_id}."
                ),
                reconciled=True,
            )
        raise AmbiguousStart(
            f"No stream was started: the start request failed ({failure}) and Plivo lists no "
            "active stream to this URL on this call. It is safe to start it again.",
            error.detail, cause=error, checked=True,
        )  # fmt: skip

    async def list_streams(
        self, call_uuid: str, *, priority: Priority = Priority.BACKGROUND
    ) -> list[Stream]:
        """Every stream Plivo lists for the call (following `meta.next` if it ever pages)."""
        return await self._list_streams(call_uuid, priority, None)

    async def _list_streams(
        self, call_uuid: str, priority: Priority, deadline: float | None
    ) -> list[Stream]:
        path = f"Call/{_segment(call_uuid, 'call_uuid')}/Stream/"
        streams: list[Stream] = []
        params: dict[str, str] | None = None
        for _ in range(MAX_PAGES):
            reply = await self._session.request(
                "GET", path, params=params, priority=priority, subject="this call",
                deadline=deadline,
            )  # fmt: skip
            page, params = self._parsed(reply, "GET", path, parse.stream_page)
            known = {s.stream_id for s in streams}
            streams.extend(s for s in page if s.stream_id not in known)
            if params is None or not page:
                break
        return streams

    async def get_stream(
        self, call_uuid: str, stream_id: str, *, priority: Priority = Priority.BACKGROUND
    ) -> Stream:
        path = f"Call/{_segment(call_uuid, 'call_uuid')}/Stream/{_segment(stream_id, 'stream_id')}/"
        reply = await self._session.request("GET", path, priority=priority, subject="this stream")
        return self._parsed(reply, "GET", path, parse.stream)

    async def stop_stream(self, call_uuid: str, stream_id: str) -> StreamStopped:
        """Stop one stream. A stream that was already stopped, or that is gone on a repeat
        after an unclear first attempt, counts as stopped; the outcome says which."""
        path = f"Call/{_segment(call_uuid, 'call_uuid')}/Stream/{_segment(stream_id, 'stream_id')}/"
        return await self._stop(call_uuid, stream_id, path, "this stream")

    async def stop_all_streams(self, call_uuid: str) -> StreamStopped:
        """Stop every stream of the call; "nothing to stop" counts as done."""
        path = f"Call/{_segment(call_uuid, 'call_uuid')}/Stream/"
        return await self._stop(call_uuid, None, path, "this call")

    async def _stop(
        self, call_uuid: str, stream_id: str | None, path: str, subject: str
    ) -> StreamStopped:
        what = "The stream" if stream_id else "The call's streams"
        try:
            await self._session.request("DELETE", path, priority=Priority.OPERATOR, subject=subject)
        except NotFound as error:
            if (error.detail.attempts or 1) > 1:
                return StreamStopped(
                    call_uuid, stream_id, StopOutcome.GONE_AFTER_RETRY,
                    f"{what} stopped: an earlier try went through (Plivo no longer lists it).",
                )  # fmt: skip
            raise
        except BadRequest as error:
            if "no active stream" not in (error.detail.plivo_error or "").lower():
                raise
            return StreamStopped(
                call_uuid, stream_id, StopOutcome.ALREADY_STOPPED,
                f"{what} had already stopped (Plivo: {error.detail.plivo_error}).",
            )  # fmt: skip
        return StreamStopped(call_uuid, stream_id, StopOutcome.STOPPED, f"{what} stopped.")
