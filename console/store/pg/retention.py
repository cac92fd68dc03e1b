"""How the team event log prunes, by the login it runs as (docs/team-mode.md, Retention).

`DIRECT`: the login may DELETE (the tables' owner, as before roles): it deletes itself.
`DELEGATED`: it may not, but may call the owner's retention function (a collector): the function
deletes within the owner's bounds. `NONE`: neither (an agent's console): nothing is pruned.
Either way a pass runs where the maintenance lock is free, so collectors do not prune together.
"""

from __future__ import annotations

from typing import Any

import psycopg

from console.store.event_rows import MAX_NONCES, NONCE_MIN_AGE_S, PRUNE_BATCH
from console.store.pg.migrations import MAINTENANCE_LOCK
from console.store.pg.roles import RETENTION_FUNCTION, RETENTION_SIGNATURE

DIRECT, DELEGATED, NONE = "direct", "delegated", "none"

_MODE = (
    "SELECT has_table_privilege('public.events', 'DELETE'),"
    f" coalesce(has_function_privilege(to_regprocedure('{RETENTION_SIGNATURE}')::oid, 'EXECUTE'),"
    " false)"
)
_RETAIN = f"SELECT pruned, more FROM public.{RETENTION_FUNCTION}(%s, %s, %s, %s)"


async def retention_mode(conn: psycopg.AsyncConnection[Any]) -> str:
    cursor = await conn.execute(_MODE)
    row = await cursor.fetchone()
    deletes, delegates = row if row is not None else (False, False)
    return DIRECT if deletes else DELEGATED if delegates else NONE


async def prune_once(
    conn: psycopg.AsyncConnection[Any], mode: str, now: float, max_age_s: float, keep: int
) -> tuple[int, bool]:
    """One batch: events deleted (-1: another collector holds the lock) and whether more is
    due. `keep`: the refused rows to keep (the function also trims the refused record)."""
    if mode == NONE:
        return 0, False
    if mode == DELEGATED:
        cursor = await conn.execute(_RETAIN, (now, max_age_s, keep, True))
        row = await cursor.fetchone()
        return (int(row[0]), bool(row[1])) if row is not None else (0, False)
    cutoff = now - max_age_s
    async with conn.transaction():
        cursor = await conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (MAINTENANCE_LOCK,))
        if not await _scalar(cursor):
            return -1, False
        n = (
            await conn.execute(
                "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < %s "
                "ORDER BY id LIMIT %s)",
                (cutoff, PRUNE_BATCH),
            )
        ).rowcount
        await conn.execute("DELETE FROM rejected WHERE received_at < %s", (cutoff,))
        await conn.execute(
            "DELETE FROM used_nonces WHERE received_at < %s",
            (now - max(max_age_s, NONCE_MIN_AGE_S),),
        )
        total = await _scalar(await conn.execute("SELECT count(*) FROM used_nonces"))
        if total > MAX_NONCES:
            await conn.execute(
                "DELETE FROM used_nonces WHERE received_at <= (SELECT received_at FROM "
                "used_nonces ORDER BY received_at LIMIT 1 OFFSET %s)",
                (total - MAX_NONCES - 1,),
            )
    return n, n >= PRUNE_BATCH


async def trim_refused(
    conn: psycopg.AsyncConnection[Any], mode: str, newest: int, keep: int, now: float, age: float
) -> None:
    """Keep the newest `keep` refused rows (`newest`: the highest refused id), inside the
    writer's transaction."""
    if mode == DIRECT:
        await conn.execute("DELETE FROM rejected WHERE id <= %s", (newest - keep,))
    elif mode == DELEGATED:
        await conn.execute(_RETAIN, (now, age, keep, False))


async def _scalar(cursor: psycopg.AsyncCursor[Any]) -> int:
    row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0
