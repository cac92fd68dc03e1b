"""A console's two stores on the team database in two connections: the event log's LISTEN
subscription on one, and ONE pooled connection for everything else (the event pane's reads, the
activity history's reads and writes, a copy of a local callback). 200 consoles then need 400
connections, not 600 to 1,400 (docs/team-mode.md, Sizing).

A console neither prunes nor measures the log (its login may not delete, and a count of millions
of rows every minute from every console would load the server for nothing): the collectors do.
"""

from __future__ import annotations

from console.store.pg.activity_log import PgActivityLog
from console.store.pg.event_log import PgEventLog

CONSOLE_POOL_SIZE = 1  # everything but LISTEN shares it; a second user waits its turn


async def open_console_stores(
    url: str, *, password: str | None = None
) -> tuple[PgEventLog, PgActivityLog]:
    """The event log and activity history of a console, opened and sharing one pool. Close the
    activity history first, then the event log (which owns the pool). Raises StoreUnavailable;
    nothing is left open then."""
    log = PgEventLog(url, password=password, maintenance_interval_s=0, pool_size=CONSOLE_POOL_SIZE)
    activity = PgActivityLog(url, password=password)
    await log.open()
    try:
        await activity.open(pool=log.pool)
    except BaseException:
        await log.close()
        raise
    return log, activity
