"""The CSV export: fixed columns whatever the events hold, and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from console.domain.events import EventFilter, StoredEvent, Verdict
from console.store.event_export import CSV_COLUMNS, csv_cell, export, write_csv_rows
from console.store.event_log import EventLog
from tests.store.events_factory import make_event

HOSTILE = [
    "=1+1",
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    ' =HYPERLINK("http://evil.example")',
    "\n\n=cmd|' /C calc'!A0",
    "  \t @x",
    'ok;=HYPERLINK("x")',
    "ok; =1",
    "a;b;+1;-2;@3",
]


def _formula_start(cell: str) -> bool:
    return cell.lstrip().startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize("value", HOSTILE)
def test_no_cell_starts_a_formula_in_a_spreadsheet_splitting_on_commas_or_semicolons(
    value: str,
) -> None:
    cell = csv_cell(value)
    assert not _formula_start(cell) and not cell.startswith(("\t", "\r"))
    for piece in cell.split(";")[1:]:  # what a spreadsheet splitting on ";" makes of it
        assert not _formula_start(piece), cell
    assert cell.replace("'", "") == value.replace("'", "")  # only `'` added, nothing lost


def test_ordinary_text_is_left_alone() -> None:
    for value in ("StartStream", "2026-12-02 17:00:00", "a=b", "x;y", "1-2", "", "wss://x/s"):
        assert csv_cell(value) == value


def test_every_cell_is_quoted_and_the_columns_are_fixed() -> None:
    event = make_event(1, extra={"Error": "ws closed", "Custom": "=evil", "Note": 'say "hi"'})
    out = io.StringIO()
    assert write_csv_rows([replace(event, id=7)], out) == 1
    header, row = out.getvalue().splitlines()
    assert header == ",".join(f'"{c}"' for c in CSV_COLUMNS)
    cells = next(csv.reader([row]))
    assert row == ",".join('"' + c.replace('"', '""') + '"' for c in cells)
    record = dict(zip(CSV_COLUMNS, cells, strict=True))
    assert record["id"] == "7" and record["Error"] == "ws closed"
    assert record["StreamID"] == "stream-1" and record["Event"] == "StartStream"
    # the JSON cell starts with "{": text in a spreadsheet, and valid JSON to a program
    assert json.loads(record["other_params"]) == {"Custom": "=evil", "Note": 'say "hi"'}


async def _first_rejected(path: Path) -> StoredEvent:
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    try:
        found = await log.get(1, rejected=True)
    finally:
        await log.close()
    assert found is not None
    return found


@pytest.mark.asyncio
async def test_many_distinct_parameter_names_stay_in_one_column(tmp_path: Path) -> None:
    """Refused requests with 200 made-up parameter names each: the CSV grows with the log, not
    with the number of names times the number of rows."""
    path = tmp_path / "events.sqlite3"
    log = EventLog(path, maintenance_interval_s=0)
    await log.open()
    try:
        for n in range(300):
            junk = {f"p{n}_{k}": "=x" if k == 0 else "v" for k in range(200)}
            await log.reject(make_event(n, verdict=Verdict.MALFORMED, extra=junk))
    finally:
        await log.close()
    as_csv, as_jsonl = io.StringIO(), io.StringIO()
    flt = EventFilter(rejected=True)
    assert export(path, "csv", flt, as_csv) == export(path, "jsonl", flt, as_jsonl) == 300
    rows = list(csv.reader(io.StringIO(as_csv.getvalue())))
    assert rows[0] == CSV_COLUMNS and len(rows) == 301
    assert {len(r) for r in rows} == {len(CSV_COLUMNS)}
    assert len(as_csv.getvalue()) < 1.5 * len(as_jsonl.getvalue())  # ~the log's own size
    others = json.loads(rows[1][CSV_COLUMNS.index("other_params")])
    # the refused record keeps the first parameters that fit its budget (docs/callbacks.md)
    kept = (await _first_rejected(path)).params
    assert others == {k: v for k, v in kept.items() if k.startswith("p0_")}
    assert 50 < len(others) < 200 and others["p0_1"] == "v"
    assert not any(_formula_start(cell) for row in rows for cell in row)
