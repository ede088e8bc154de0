"""What does running each builder module in its own supervised child cost?

Runs, side by side and alternating, in fresh processes, the check of the bundled
fixtures (top-level `fixtures/`, one module after another):
  in-process: every module run in shapecheck's own process (how it worked before
              isolation; kept for this measurement: Options(isolate=False))
  isolated:   every module run in a child forked from a zygote that imported
              TensorFlow once (the default)
and prints the median wall times and their ratio, and the cost per module.

    python benchmarks/bench_isolation.py [--repeat 3] [--path fixtures]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = (
    "from shapecheck.runner import Options, check_paths; "
    "run = check_paths([{path!r}], Options(isolate={isolate})); "
    "print(len(run.files), len(run.findings), len(run.errors))"
)


def timed(isolate: bool, path: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", RUN.format(path=path, isolate=isolate)], cwd=ROOT, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"benchmark run failed: {result.stderr[-2000:]}")
    return elapsed, result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--path", default="fixtures")
    args = parser.parse_args()
    modules = [p for p in Path(ROOT, args.path).rglob("*.py")]
    timed(False, args.path)  # warm the file cache once, outside the measurement
    inproc, isolated, outputs = [], [], set()
    for _ in range(args.repeat):
        t, out = timed(False, args.path)
        inproc.append(t)
        outputs.add(out)
        t, out = timed(True, args.path)
        isolated.append(t)
        outputs.add(out)
    a, b = statistics.median(inproc), statistics.median(isolated)
    print(
        f"path:        {args.path} ({len(modules)} builder modules; {args.repeat} runs each, alternating, "
        f"cpu count {os.cpu_count()})"
    )
    print(f"in-process:  {a:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in inproc)})")
    print(f"isolated:    {b:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in isolated)})")
    print(f"ratio isolated/in-process: {b / a:.3f}; cost per module {(b - a) / max(1, len(modules)) * 1000:+.0f} ms")
    print(f"same results both ways: {len(outputs) == 1} (files, findings, errors: {', '.join(sorted(outputs))})")


if __name__ == "__main__":
    main()
