#!/usr/bin/env python3
"""Run the benchmarks and gather their figures and verdicts into one table.

Every benchmark in `benchmarks/` (files starting with `_` are helpers) prints its figures, one
per line, and ends with `target met` or `target missed: …`, exiting 0 only when met. This script
runs each one as its own process, keeps what it printed, and ends with one table: the benchmark,
its figures and its verdict. A benchmark that crashes, or ends without a verdict, is shown as
failed with its last lines, never left out.

    scripts/bench_table.py                      # run them all, print the table (`make bench`)
    scripts/bench_table.py --only startup       # some of them (the saved run keeps the rest)
    scripts/bench_table.py --readme README.md   # ... and rewrite README's performance table
    scripts/bench_table.py --results FILE --readme README.md --no-run   # from a saved run

The README's table sits between the BEGIN and END markers below and is only ever written from a
run's saved results (`--results`, JSON), never copied by hand. Exit status 0 only when every
benchmark run met its target.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
DEFAULT_RESULTS = ROOT / "build" / "bench-results.json"
BEGIN = "<!-- bench-table:begin (scripts/bench_table.py writes this; do not edit by hand) -->"
END = "<!-- bench-table:end -->"
TIMEOUT_S = 45 * 60
MET = "target met"
MISSED = "target missed"


@dataclass
class Result:
    name: str
    figures: list[str]
    verdict: str  # "target met", "target missed: …" or "failed: …"
    exit_status: int
    seconds: float

    @property
    def met(self) -> bool:
        return self.verdict == MET and self.exit_status == 0


def benchmark_names() -> list[str]:
    return sorted(p.stem for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))


def run_one(name: str) -> Result:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")  # startup.py picks xcb under Xvfb itself
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, str(BENCHMARKS / f"{name}.py")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
        )  # fmt: skip
        out, status = done.stdout, done.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else ""
        out += f"\nfailed: no verdict within {TIMEOUT_S // 60} min"
        status = -1
    lines = [line.rstrip() for line in out.splitlines() if line.strip()]
    seconds = time.monotonic() - started
    return parse(name, lines, status, seconds)


def parse(name: str, lines: list[str], status: int, seconds: float) -> Result:
    """The last line is the verdict; anything else means the benchmark failed to give one."""
    if lines and (lines[-1] == MET or lines[-1].startswith(MISSED)):
        return Result(name, lines[:-1], lines[-1], status, seconds)
    tail = lines[-3:] if lines else ["(no output)"]
    verdict = f"failed: exit {status}, ended with: {' / '.join(tail)}"
    return Result(name, lines, verdict, status, seconds)


def saved_results(path: Path) -> list[Result]:
    """The last saved run's results: `--only` replaces just the benchmarks it names."""
    if not path.exists():
        return []
    return [Result(**r) for r in json.loads(path.read_text(encoding="utf-8"))["results"]]


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(results: list[Result]) -> str:
    rows = ["| Benchmark | Figures | Verdict |", "|---|---|---|"]
    for r in results:
        figures = "<br>".join(cell(f.strip()) for f in r.figures)
        verdict = f"**{cell(r.verdict)}**" if r.met else cell(r.verdict)
        rows.append(f"| `{r.name}.py` | {figures} | {verdict} |")
    return "\n".join(rows)


def rewrite_readme(readme: Path, results: list[Result], when: str) -> None:
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme}: the markers {BEGIN!r} and {END!r} are missing")
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    block = f"{BEGIN}\nMeasured {when} by `make bench`:\n\n{table(results)}\n{END}"
    readme.write_text(head + block + tail, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="benchmark names (default: all)")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="saved run (JSON)")
    parser.add_argument("--readme", type=Path, help="rewrite this README's performance table")
    parser.add_argument("--no-run", action="store_true", help="use the saved run in --results")
    args = parser.parse_args(argv)
    if args.no_run:
        results = saved_results(args.results)
        when = json.loads(args.results.read_text(encoding="utf-8"))["when"]
    else:
        results = saved_results(args.results) if args.only else []
        for name in args.only or benchmark_names():
            print(f"== benchmarks/{name}.py", flush=True)
            result = run_one(name)
            for line in [*result.figures, result.verdict]:
                print(f"   {line}", flush=True)
            results = [r for r in results if r.name != name] + [result]
        order = benchmark_names()
        results.sort(key=lambda r: order.index(r.name) if r.name in order else len(order))
        when = time.strftime("%Y-%m-%d", time.gmtime())
        args.results.parent.mkdir(parents=True, exist_ok=True)
        saved_run = {"when": when, "results": [asdict(r) for r in results]}
        args.results.write_text(json.dumps(saved_run, indent=1), encoding="utf-8")
    print()
    print(table(results))
    if args.readme is not None:
        rewrite_readme(args.readme, results, when)
        print(f"\n{args.readme}: performance table rewritten from {len(results)} benchmarks")
    return 0 if all(r.met for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
