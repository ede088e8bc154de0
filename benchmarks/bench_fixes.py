"""What do suggested fixes add to a run on the fixtures?

In one process, side by side, per file of `fixtures/` (builder modules, notebooks):
  load:     the file run and its models captured into the IR (Keras builds them), once;
  rules:    every rule on every model (recovery, size sweep, findings), fixes off
            (SHAPECHECK_NO_FIXES=1);
  +fixes:   the same with the suggesters on (candidates applied to copies of the IR and
            evaluated by the shape algebra).
Off and on alternate, `--repeat` times each; medians are summed over the files. Prints the
ratio of a whole run with fixes to one without, (load + rules + fixes) / (load + rules)
(target <= 1.10), and the suggesters' own share of the rules stage.

    python benchmarks/bench_fixes.py [--repeat 3] [PATH ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shapecheck.analysis import check_graphs  # noqa: E402
from shapecheck.load.discover import discover  # noqa: E402
from shapecheck.load.imports import Closure  # noqa: E402
from shapecheck.load.imports_cache import NO_CACHE  # noqa: E402
from shapecheck.options import Options  # noqa: E402
from shapecheck.results import FileReport  # noqa: E402
from shapecheck.rules import all_rules  # noqa: E402
from shapecheck.worker import _load_into  # noqa: E402


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def rules_time(models, path: str, fixes: bool) -> float:
    if fixes:
        os.environ.pop("SHAPECHECK_NO_FIXES", None)
    else:
        os.environ["SHAPECHECK_NO_FIXES"] = "1"
    try:
        return timed(lambda: check_graphs(models, path, all_rules()))
    finally:
        os.environ.pop("SHAPECHECK_NO_FIXES", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "fixtures")])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    options = Options(isolate=False)
    totals = {"load": 0.0, "off": 0.0, "on": 0.0}
    print(f"{'file':58} {'load s':>8} {'rules s':>8} {'+fixes s':>9}")
    for target in discover(args.paths, Closure(NO_CACHE)):
        if target.problem or target.skip:
            continue
        report = FileReport(target.path)
        load = timed(lambda report=report, target=target: _load_into(report, target, options))
        if not report.models:
            continue
        off, on = [], []
        for _ in range(args.repeat):  # alternating, so drift on a shared machine hits both
            off.append(rules_time(report.models, target.path, fixes=False))
            on.append(rules_time(report.models, target.path, fixes=True))
        row = {"load": load, "off": statistics.median(off), "on": statistics.median(on)}
        for key in totals:
            totals[key] += row[key]
        name = os.path.relpath(target.path, ROOT)
        print(f"{name:58} {row['load']:8.3f} {row['off']:8.3f} {row['on']:9.3f}")
    without = totals["load"] + totals["off"]
    with_fixes = totals["load"] + totals["on"]
    print(
        f"\nwhole run: {without:.2f} s without fixes, {with_fixes:.2f} s with: ratio {with_fixes / without:.3f} "
        f"(target <= 1.10)"
    )
    print(
        f"rules stage alone: {totals['off']:.2f} s -> {totals['on']:.2f} s "
        f"(suggestions {totals['on'] - totals['off']:.2f} s)"
    )


if __name__ == "__main__":
    main()
