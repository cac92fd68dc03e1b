"""Connecting to the team database: one pool per store, errors turned into `StoreUnavailable`
with the URL's password masked, and the password never put anywhere it could be printed.

A password can come in the URL, as `password=` (kept out of the URL, so out of process lists),
or from libpq's own sources (PGPASSWORD, ~/.pgpass). Whatever the source, it is registered with
the redactor, so an error text that quotes it is scrubbed before it is logged or shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import conninfo
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from console.domain.redaction import (
    REDACTOR,
    redact_db_text,
    redact_url,
    remember_url_passwords,
)
from console.store.pg import is_pg_url
from console.store.sqlite_writer import StoreUnavailable

CONNECT_TIMEOUT_S = 5  # libpq's connect_timeout, unless the URL sets one
APPLICATION_NAME = "stream-console"

# Errors that mean "the database cannot be reached or used right now" (as opposed to a bad
# value in one row): a write failing this way fails its whole batch at once.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    PoolTimeout,
    OSError,
    asyncio.TimeoutError,
)


def shown(text: str) -> str:
    """Text safe to log or print: URL passwords and registered secrets masked."""
    return REDACTOR.redact(redact_url(text))


def reason(exc: BaseException) -> str:
    """A one-line, password-free reason for a failure."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return shown(text)


def unavailable(exc: BaseException) -> StoreUnavailable:
    """The exception the receiver answers 503 for (and the CLI prints), with the reason."""
    return StoreUnavailable(f"the team database is unavailable: {reason(exc)}")


class Target:
    """Where to connect: the URL plus connection keywords. Registers any password with the
    redactor; `shown` is the URL with its password masked."""

    def __init__(self, url: str, *, password: str | None = None) -> None:
        if not is_pg_url(url):
            raise ValueError("expected a postgresql:// or postgres:// URL")
        self.url = url.strip()
        remember_url_passwords(self.url)  # before the parser, whose message may quote it
        self.shown = redact_url(self.url)
        try:
            parsed = conninfo.conninfo_to_dict(self.url)
        except psycopg.ProgrammingError as exc:
            words = redact_db_text(reason(exc), self.url)
            raise ValueError(f"not a usable database URL: {words}") from None
        for secret in (parsed.get("password"), password):
            if secret:
                REDACTOR.add(str(secret))
        kwargs: dict[str, Any] = {}
        if "application_name" not in parsed:  # the URL's own name wins (a site counting them)
            kwargs["application_name"] = APPLICATION_NAME
        if "connect_timeout" not in parsed:
            kwargs["connect_timeout"] = CONNECT_TIMEOUT_S
        if password:
            kwargs["password"] = password
        self._kwargs: Mapping[str, Any] = kwargs

    def kwargs(self, **extra: Any) -> dict[str, Any]:
        return {**self._kwargs, **extra}

    async def connect(self, *, autocommit: bool = True) -> psycopg.AsyncConnection[Any]:
        """One connection of its own (a LISTEN subscription). Raises StoreUnavailable."""
        try:
            return await psycopg.AsyncConnection.connect(
                self.url, **self.kwargs(autocommit=autocommit)
            )
        except CONNECTION_ERRORS as exc:
            raise unavailable(exc) from None

    def connect_sync(self) -> psycopg.Connection[Any]:
        """A blocking connection, for the command line (export). Raises StoreUnavailable."""
        try:
            return psycopg.Connection.connect(self.url, **self.kwargs(autocommit=True))
        except CONNECTION_ERRORS as exc:
            raise unavailable(exc) from None

    def pool(self, *, name: str, max_size: int, timeout_s: float) -> AsyncConnectionPool:
        """A pool (not yet open) whose connections are checked before each use, so one broken
        by a database restart is replaced instead of failing a request."""
        return AsyncConnectionPool(
            self.url,
            kwargs=self.kwargs(autocommit=True),
            min_size=1,
            max_size=max_size,
            open=False,
            name=name,
            timeout=timeout_s,
            check=AsyncConnectionPool.check_connection,
            reconnect_timeout=24 * 3600.0,  # keep trying; the collectors must come back alone
        )


async def open_migrated(
    target: Target, *, name: str, max_size: int, timeout_s: float
) -> AsyncConnectionPool:
    """Connect once, bring the schema up to date (docs/team-mode.md), then open a pool. One
    direct connection first so a wrong password or host fails at once with libpq's own reason,
    not after the pool's retries. Raises StoreUnavailable; nothing is left open then."""
    from console.store.pg.migrations import migrate

    conn = await target.connect()
    try:
        await migrate(conn)
    except CONNECTION_ERRORS as exc:
        raise unavailable(exc) from None
    finally:
        await conn.close()
    pool = target.pool(name=name, max_size=max_size, timeout_s=timeout_s)
    try:
        await pool.open(wait=True, timeout=float(target.kwargs()["connect_timeout"]) + 1.0)
    except BaseException as exc:  # cancelled too (the console closing): no pool left connecting
        await pool.close()
        if isinstance(exc, CONNECTION_ERRORS):
            raise unavailable(exc) from None
        raise
    return pool
