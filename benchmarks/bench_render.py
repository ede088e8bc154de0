"""Rendering reports of models with many merges: linear, not quadratic, in the merges.

Builds synthetic IR graphs (no TensorFlow) of 1,000, 5,000 and 10,000 Add merges, two ways:
  residual  x = Add([Conv2D(x), x]) repeated (each shortcut spans one layer)
  long      x = Add([x, input]) repeated (every shortcut reaches back to the model's input)
and times, side by side in one run, the rules (check_graphs), the JSON document and the
table, and the verdicts computed the old way (one provenance walk per merge, unbounded:
`report.verdicts.verdict` for each merge) where that finishes in reasonable time.

    python benchmarks/bench_render.py [--repeat 3] [--old-up-to 5000]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from irgraphs import merge_chain  # noqa: E402

from shapecheck.analysis import check_graphs, selected_rules  # noqa: E402
from shapecheck.report import json_report, table  # noqa: E402
from shapecheck.results import FileReport, RunReport  # noqa: E402
from shapecheck.verdicts import verdict  # noqa: E402

SIZES = (1_000, 5_000, 10_000)


def timed(function, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def old_verdicts(run: RunReport) -> None:
    file = run.files[0]
    for model in file.models:
        for owner, node in model.merges():
            verdict(model, owner, node, file.path, file.findings, file.unchecked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--old-up-to", type=int, default=5_000, help="time the per-merge walk up to this many merges")
    args = parser.parse_args()
    print(f"synthetic Add chains, median of {args.repeat} runs, cpu count {os.cpu_count()}; seconds")
    print(f"{'kind':<9} {'merges':>7} {'rules':>7} {'json':>7} {'table':>7} {'per-merge walk (old)':>21}")
    for kind in ("residual", "long"):
        for merges in SIZES:
            graph = merge_chain(merges, kind)
            findings = check_graphs([graph], "model.py", selected_rules((), ()))
            run = RunReport([FileReport("model.py", models=[graph], findings=findings)])
            rules = timed(lambda graph=graph: check_graphs([graph], "model.py", selected_rules((), ())), args.repeat)
            as_json = timed(lambda run=run: json_report.render(run), args.repeat)
            as_table = timed(
                lambda run=run: table.render(run, table.make_console(file=io.StringIO(), width=160)), args.repeat
            )
            old = (
                f"{timed(lambda run=run: old_verdicts(run), 1):21.2f}"
                if merges <= args.old_up_to
                else f"{'(not run)':>21}"
            )
            print(f"{kind:<9} {merges:>7} {rules:7.2f} {as_json:7.2f} {as_table:7.2f} {old}", flush=True)


if __name__ == "__main__":
    main()
