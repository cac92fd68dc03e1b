"""The team database's CSV export has the same fixed columns as a SQLite log's, however many
parameter names the refused requests made up."""

from __future__ import annotations

import csv
import io
import json

import pytest

from console.domain.events import EventFilter
from console.store.event_export import CSV_COLUMNS
from console.store.pg.event_log import PgEventLog
from console.store.pg.export import export
from tests.pg.cluster import PASSWORD
from tests.store.events_factory import make_event


@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_made_up_parameter_names_stay_in_one_json_cell(pg_url: str) -> None:
    log = PgEventLog(pg_url, password=PASSWORD, maintenance_interval_s=0)
    await log.open()
    try:
        for n in range(50):
            # accepted events keep every parameter (refused ones are cut short: docs/callbacks.md)
            junk = {f"p{n}_{k}": "v" for k in range(200)} | {"Note": "@SUM(A1)"}
            await log.append(make_event(n, extra=junk))
    finally:
        await log.close()
    out = io.StringIO()
    assert export(pg_url, "csv", EventFilter(), out, password=PASSWORD) == 50
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == CSV_COLUMNS and {len(r) for r in rows} == {len(CSV_COLUMNS)}
    others = json.loads(rows[1][CSV_COLUMNS.index("other_params")])
    assert len(others) == 201 and others["Note"] == "@SUM(A1)"
