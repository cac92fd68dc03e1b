"""`stream-console receive`: the status-callback receiver and event log without the window.

For a server or a kiosk: Plivo's callbacks are verified and kept in the given database, and
`stream-console export` reads them out. Prints `listening on http://HOST:PORT` once it accepts
requests. SIGTERM or Ctrl+C: stop accepting, let requests in flight commit, exit 0.
Imports only argparse at import time (the GUI's start-up must not pay for aiohttp).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

    from console.receiver.server import Credential
    from console.store.open_store import EventStore

HELP = "receive Plivo stream status callbacks into an event log, without the window"


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("expected a port from 0 to 65535 (0 = any free port)")
    return value


MIN_RATE, MAX_RATE = 1.0, 1_000_000.0
MIN_LOG_MB, MAX_LOG_MB = 0.01, 10_000_000.0


def _number_from(low: float, high: float, expected: str) -> Callable[[str], float]:
    """An argparse type: a number from `low` to `high` (nan and inf are refused)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(expected) from None
        if not low <= value <= high:  # also refuses nan
            raise argparse.ArgumentTypeError(expected)
        return value

    return parse


# Requests a second: below 1 the bucket (bursts of twice the rate) never holds a whole token, so
# every request would be answered 429. The log's budget may be a fraction of a MB (tests).
_rate = _number_from(
    MIN_RATE, MAX_RATE, f"expected requests per second from {MIN_RATE:g} to {MAX_RATE:,.0f}"
)
_log_mb = _number_from(
    MIN_LOG_MB, MAX_LOG_MB, f"expected megabytes from {MIN_LOG_MB:g} to {MAX_LOG_MB:,.0f}"
)


def _host(text: str) -> str:
    from console.listening import listen_host_problem

    problem = listen_host_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text.strip()


def _public_url(text: str) -> str:
    from console.domain.accounts import public_url_problem

    problem = public_url_problem(text) if text.strip() else "expected the tunnel's URL"
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text.strip()


def _not_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError("expected a number of seconds, 0 or more (or inf)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=_port, default=8765, help="port (default 8765; 0 = free)")
    parser.add_argument(
        "--host",
        type=_host,
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; anything else is reachable from other machines)",
    )
    parser.add_argument(
        "--public-url",
        type=_public_url,
        required=True,
        help="the public base URL Plivo calls, e.g. https://abc.ngrok.app (the tunnel's URL)",
    )
    token = parser.add_mutually_exclusive_group(required=True)
    token.add_argument("--auth-token-env", metavar="VAR", help="read the auth token from $VAR")
    token.add_argument(
        "--auth-token-from-keyring",
        metavar="PROFILE",
        help="read the token of this console profile (name, Auth ID or id) from the OS keyring",
    )
    parser.add_argument(
        "--auth-id",
        default="",
        help="the account's Auth ID, recorded with each event (optional: callbacks whose"
        " signature verifies are kept with or without it)",
    )
    parser.add_argument(
        "--db",
        required=True,
        help="the event log: a SQLite file (created if new), or a team's postgresql://user@host/db"
        " URL (password from PGPASSWORD or ~/.pgpass; the schema is created if new)",
    )
    parser.add_argument(
        "--db-wait",
        type=_not_negative,
        default=0.0,
        metavar="SECONDS",
        help="how long to keep trying a team database that cannot be reached at start, before"
        " giving up (default 0: exit 1 at once; inf: until it answers or SIGTERM)",
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        default=5000.0,
        help="refused requests/s before 429 (5000); verified callbacks are never limited",
    )
    parser.add_argument(
        "--max-log-mb",
        type=_log_mb,
        default=None,
        metavar="MB",
        help="a SQLite log's budget for events (default 512): when callbacks fill it, new ones"
        " are answered 503 and nothing kept is deleted",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every refusal")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import sys

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from console.app.runtime.logs import RedactingFilter
    from console.domain.redaction import remember_url_passwords
    from console.receiver.server import Credential, callback_url

    remember_url_passwords(args.db)  # before any parser or log line sees the database URL
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())

    public = args.public_url  # checked by argparse (`_public_url`)
    try:
        auth_id, token = asyncio.run(_token(args))
    except LookupError as exc:
        print(f"receive: {exc}", file=sys.stderr)
        return 2
    credential = Credential(auth_id, token, callback_url(public))
    try:
        return asyncio.run(_serve(args, credential))
    except KeyboardInterrupt:  # platforms without loop signal handlers
        return 0


async def _token(args: argparse.Namespace) -> tuple[str, str]:
    import os

    if args.auth_token_env:
        value = os.environ.get(args.auth_token_env, "")
        if not value.strip():
            raise LookupError(f"${args.auth_token_env} is empty or not set")
        return args.auth_id, value.strip()
    from console.credentials import CredentialError, KeyringCredentialStore

    profile_id, auth_id = _profile(args.auth_token_from_keyring)
    try:
        secret = await KeyringCredentialStore().get(profile_id)
    except CredentialError as exc:
        raise LookupError(f"the keyring could not be read: {exc}") from exc
    if secret is None:
        raise LookupError(f"no token for profile {args.auth_token_from_keyring!r} in the keyring")
    return (args.auth_id or auth_id), secret.reveal()


def _profile(name: str) -> tuple[str, str]:
    """(keyring key, Auth ID) of the console profile called `name` (its name, Auth ID or id)."""
    from console.app.runtime.settings import ProfileRepository, open_settings

    for profile in ProfileRepository(open_settings()).list():
        if name in (profile.profile_id, profile.display_name, profile.auth_id):
            return profile.profile_id, profile.auth_id
    return name, ""


async def _serve(args: argparse.Namespace, credential: Credential) -> int:
    import asyncio
    import contextlib
    import signal
    import sys

    from console.domain.redaction import redact_db_text
    from console.receiver.server import CallbackReceiver
    from console.store.sqlite_writer import StoreUnavailable

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: Ctrl+C only
            loop.add_signal_handler(sig, stop.set)
    try:
        log = await _open_log(args.db, args.db_wait, stop, args.max_log_mb)
    except (StoreUnavailable, ValueError) as exc:  # a team database that cannot be reached
        print(f"receive: {redact_db_text(str(exc), args.db)}", file=sys.stderr)
        return 1
    if log is None:
        print("stopped before the database could be reached", flush=True)
        return 0
    if log.recovered_from is not None:
        print(f"receive: the event log was damaged; kept as {log.recovered_from}", file=sys.stderr)
    if log.unavailable:
        print(f"receive: {log.unavailable}; answering 503 until it can be written", file=sys.stderr)
    receiver = CallbackReceiver(log, lambda: [credential], host=args.host, port=args.port)
    receiver.limiter.rate = args.rate
    receiver.limiter.burst = 2 * args.rate
    try:
        await receiver.start()
    except OSError as exc:
        print(f"receive: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        await log.close()
        return 1
    print(f"listening on {receiver.local_url}", flush=True)
    await stop.wait()
    await receiver.stop()
    await log.close()
    stats = receiver.stats
    print(
        f"stopped: {stats.accepted} events kept, {stats.replays} replays, "
        f"{stats.rejected} refused, {stats.unavailable} not stored (503)",
        flush=True,
    )
    return 0


async def _open_log(
    db: str, wait_s: float, stop: asyncio.Event, max_mb: float | None = None
) -> EventStore | None:
    """The event log, opened. A team database that cannot be reached is tried again (backoff
    0.5 s doubling to 5 s) for up to `wait_s` seconds, so a collector started before its database
    (a reboot, a failover) waits for it instead of exiting; each new reason is printed once.
    Raises StoreUnavailable when the time is up; None when `stop` was set meanwhile."""
    import asyncio
    import sys

    from console.domain.backoff import Backoff
    from console.domain.redaction import redact_db_text
    from console.store.event_log import EventLog
    from console.store.open_store import event_store_for
    from console.store.sqlite_writer import StoreUnavailable

    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    backoff = Backoff(0.5, 2.0, 5.0)
    failures, said = 0, ""
    while True:
        log = event_store_for(db)
        if max_mb is not None and isinstance(log, EventLog):
            log.max_bytes = int(max_mb * 2**20)
        try:
            await log.open()
            if failures:
                print("receive: the database answered", file=sys.stderr, flush=True)
            return log
        except StoreUnavailable as exc:
            failures += 1
            delay = min(backoff.delay(failures), deadline - loop.time())
            if delay <= 0:
                raise
            if str(exc) != said:
                said = str(exc)
                shown = f"receive: {redact_db_text(said, db)}; trying again until it answers"
                print(shown, file=sys.stderr, flush=True)
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return None
        except TimeoutError:
            pass
