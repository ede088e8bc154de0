"""What does the pre-commit hook cost on a commit of ordinary modules, cold and warm cache?

Writes a throwaway project: 200 ordinary .py files in a package (stdlib, numpy, yaml and
requests imports, imports of each other, and every tenth importing pandas, which need not be
installed: then that file is "cannot tell", skipped with the reason) and one model file. Runs,
side by side and alternating, each in a fresh process, as the hook does (all files in one call):
  ordinary cold:  shapecheck on the 200 files, with an empty cache directory
  ordinary warm:  the same, with the cache the cold runs left (XDG_CACHE_HOME)
  + model  cold / warm:  the 200 files and the model file (imports TensorFlow, builds it)
  floor:          `shapecheck --version` (the interpreter and the CLI's own imports)
and prints the median wall times.

    python benchmarks/bench_precommit.py [--repeat 5] [--files 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

IMPORTS = [
    "import pandas as pd\nimport numpy as np\n",
    "import numpy as np\nimport json\n",
    "import numpy as np\nfrom numpy.linalg import norm\n",
    "import json\nimport logging\n",
    "import os, sys, re\nfrom collections import defaultdict\nfrom pathlib import Path\n",
    "import dataclasses, typing, itertools\n",
    "import yaml\n",
    "import requests\n",
    "from app.mod_{prev:03d} import helper_{prev:03d}\n",
    "from . import mod_{prev:03d}\n",
]

MODEL = '''"""The one model file of the commit: a small two-branch block."""
import keras
from keras import layers


def build_model():
    inputs = keras.Input((64, 64, 3))
    left = layers.Conv2D(16, 3, padding="same")(inputs)
    right = layers.Conv2D(16, 1)(inputs)
    return keras.Model(inputs, layers.Concatenate()([left, right]))
'''


def write_project(root: Path, count: int) -> tuple[list[str], str]:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    files = []
    for i in range(count):
        head = IMPORTS[i % len(IMPORTS)].format(prev=max(i - 1, 0))
        body = f"\n\ndef helper_{i:03d}(values):\n    return sorted(values)[:{i % 7 + 1}]\n"
        path = root / "app" / f"mod_{i:03d}.py"
        path.write_text(head + body)
        files.append(path.relative_to(root).as_posix())
    (root / "models").mkdir()
    (root / "models" / "block.py").write_text(MODEL)
    return files, "models/block.py"


def timed(command: list[str], cwd: Path, cache: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": cache, "NO_COLOR": "1"}
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(
            f"benchmark command failed ({result.returncode}): {' '.join(command[:4])} ...\n{result.stderr[-2000:]}"
        )
    return elapsed


def statuses(command: list[str], cwd: Path, cache: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": cache}
    result = subprocess.run(command + ["--format", "json"], cwd=cwd, env=env, capture_output=True, text=True)
    counts: dict[str, int] = {}
    for file in json.loads(result.stdout)["files"]:
        key = "undecided" if file["undecided"] else file["status"]
        counts[key] = counts.get(key, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shapecheck-bench-precommit-"))
    try:
        project = work / "project"
        ordinary, model = write_project(project, args.files)
        shapecheck = [sys.executable, "-m", "shapecheck"]
        commands = {"ordinary": shapecheck + ordinary, "+ model": shapecheck + ordinary + [model]}
        warm_cache = str(work / "warm")
        timed(commands["+ model"], project, warm_cache)  # fills the warm cache and the file cache
        times: dict[str, list[float]] = {"floor": []}
        for run in range(args.repeat):
            times["floor"].append(timed(shapecheck + ["--version"], project, warm_cache))
            for name, command in commands.items():
                cold = str(work / f"cold-{name}-{run}")
                times.setdefault(f"{name} cold", []).append(timed(command, project, cold))
                times.setdefault(f"{name} warm", []).append(timed(command, project, warm_cache))
        counts = statuses(commands["+ model"], project, warm_cache)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"project: {args.files} ordinary files + 1 model file ({args.repeat} runs each, alternating, cpu count {os.cpu_count()})"
    )
    print("statuses: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    for name, runs in times.items():
        label = {"floor": "floor (--version)"}.get(name, name)
        print(f"{label:<18} {statistics.median(runs):6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in runs)})")


if __name__ == "__main__":
    main()
