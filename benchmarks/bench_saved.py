"""Checking a saved model: shapecheck's config reader against Keras' own loaders.

Saves keras.applications ResNet50 (weights=None) as .keras and as a to_json() config in a
temporary folder, then runs, alternating, each in a fresh process:
  shapecheck:     shapecheck resnet50.keras --quiet          (no TensorFlow import)
  load_model:     python -c "import keras; keras.models.load_model('resnet50.keras')"
  model_from_json python -c "import keras; keras.models.model_from_json(open(...).read())"
and prints median wall time and peak memory (max RSS) of each, and their ratios
(target: shapecheck / load_model <= 0.1 for time).

    python benchmarks/bench_saved.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
SAVE = (
    "import keras, sys; m = keras.applications.ResNet50(weights=None); "
    "m.save(sys.argv[1] + '/resnet50.keras'); open(sys.argv[1] + '/resnet50.json', 'w').write(m.to_json())"
)


def measured(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        sys.exit(
            f"benchmark command failed ({process.returncode}): {' '.join(command)}\n{process.stderr.read().decode()[-2000:]}"
        )
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-c", SAVE, folder], check=True, env=ENV, capture_output=True)
        keras_file, json_file = Path(folder) / "resnet50.keras", Path(folder) / "resnet50.json"
        commands = {
            "shapecheck": [sys.executable, "-m", "shapecheck", str(keras_file), "--quiet"],
            "load_model": [sys.executable, "-c", f"import keras; keras.models.load_model({str(keras_file)!r})"],
            "model_from_json": [
                sys.executable,
                "-c",
                f"import keras; keras.models.model_from_json(open({str(json_file)!r}).read())",
            ],
        }
        for command in commands.values():  # warm the file cache once, outside the measurement
            measured(command)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                results[name].append(measured(command))
    print(
        f"model: keras.applications ResNet50, weights=None ({args.repeat} runs each, alternating, "
        f"cpu count {os.cpu_count()})"
    )
    medians = {}
    for name, runs in results.items():
        t = statistics.median(r[0] for r in runs)
        m = statistics.median(r[1] for r in runs)
        medians[name] = (t, m)
        print(f"{name:<16} {t:6.2f} s  peak {m:7.1f} MiB  (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})")
    sc = medians["shapecheck"]
    for other in ("load_model", "model_from_json"):
        o = medians[other]
        print(
            f"ratio shapecheck/{other}: time {sc[0] / o[0]:.3f}, peak memory {sc[1] / o[1]:.3f}"
            + ("  (target <= 0.1 for time)" if other == "load_model" else "")
        )


if __name__ == "__main__":
    main()
