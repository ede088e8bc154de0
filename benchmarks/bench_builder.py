"""How much does the audit cost over building the model?

Runs, side by side and alternating, in fresh processes:
  plain:      python -c "import tensorflow; build the seeds' ResNeXt-50"  (summary() skipped,
              as shapecheck skips it)
  shapecheck: shapecheck fixtures/resnext50_seed.py --quiet
and prints the median wall times and their ratio (target <= 1.15).

    python benchmarks/bench_builder.py [--repeat 3] [--fixture fixtures/resnext50_seed.py]
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
PLAIN = (
    "import os; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3'); "
    "import runpy, tensorflow, keras; keras.Model.summary = lambda *a, **k: None; "
    "runpy.run_path({path!r}, run_name='plain_build')"
)


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"benchmark command failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fixture", default="fixtures/resnext50_seed.py")
    args = parser.parse_args()
    plain_cmd = [sys.executable, "-c", PLAIN.format(path=args.fixture)]
    audit_cmd = [sys.executable, "-m", "shapecheck", args.fixture, "--quiet"]
    timed(plain_cmd)  # warm the file cache once, outside the measurement
    plain, audit = [], []
    for _ in range(args.repeat):
        plain.append(timed(plain_cmd))
        audit.append(timed(audit_cmd))
    p, a = statistics.median(plain), statistics.median(audit)
    print(f"fixture:        {args.fixture} ({args.repeat} runs each, alternating, cpu count {os.cpu_count()})")
    print(f"plain build:    {p:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in plain)})")
    print(f"shapecheck:     {a:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in audit)})")
    print(f"ratio shapecheck/plain: {a / p:.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()
