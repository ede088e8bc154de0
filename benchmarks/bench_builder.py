"""How much does the audit of a builder module cost next to building the model?

For each fixture, side by side and alternating, in fresh processes:
  plain:      python -c "import tensorflow; run the module (and its builder)"  (the ordinary
              Keras build, weights and all; summary() skipped, as shapecheck skips it)
  shapecheck: shapecheck FIXTURE --quiet  (builds without weight values, in a supervised child)
and prints the median wall times, their ratio (target <= 0.6 on the seeds' ResNeXt-50 and on
a U-Net declared with None sizes, witnesses on) and the memory each adds to a process that
has imported TensorFlow, and how much of shapecheck's time the witnesses take.

Then where shapecheck's time goes: the phases the child reports (--debug), and a profile of
the module's run in this process split into the user's code, Keras and TensorFlow, and
shapecheck's own hooks.

    python benchmarks/bench_builder.py [--repeat 3] [--only resnext]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = {  # label: (fixture, builder to call after the module ran, or None)
    "resnext": ("fixtures/resnext50_seed.py", None),
    "unet": ("fixtures/real/nvidia_unet_medical_subclassed.py", "build_unet"),
    "resnet50-seed003": ("fixtures/resnet50_valid_padding.py", None),
    "unet-none": ("fixtures/unet_dynamic.py", None),  # declared with None sizes: witnesses confirm its SC104
}
PLAIN = (
    "import os; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3'); "
    "import runpy, tensorflow, keras; keras.Model.summary = lambda *a, **k: None\n"
    "try:\n"
    "    namespace = runpy.run_path({path!r}, run_name='plain_build')\n"
    "    if {builder!r}: namespace[{builder!r}]()\n"
    "except Exception as exc:\n"
    "    print('raised', type(exc).__name__)  # seed 003's Model(...) raises, as in Keras"
)
# Memory a build adds above the import of TensorFlow and Keras, in one fresh process each:
# the peak resident size after the build minus the peak after the import.
MEMORY = (
    "import os, resource, sys; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; sys.path.insert(0, {root!r}); "
    "import tensorflow, keras\n"
    "peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
    "before = peak()\n"
    "{run}\n"
    "print((peak() - before) / 2**20)"
)
PLAIN_RUN = (
    "import runpy; keras.Model.summary = lambda *a, **k: None\n"
    "try:\n"
    "    namespace = runpy.run_path({path!r}, run_name='plain_build')\n"
    "    if {builder!r}: namespace[{builder!r}]()\n"
    "except Exception:\n"
    "    pass"
)
AUDIT_RUN = (  # what the supervised child does, in this process
    "from shapecheck.capture import weights; weights.DISPOSABLE = True\n"
    "from shapecheck.load.discover import discover; from shapecheck.load.imports import Closure\n"
    "from shapecheck.load.imports_cache import NO_CACHE; from shapecheck.options import Options; from shapecheck.worker import check_target\n"
    "check_target(discover([{path!r}], Closure(NO_CACHE))[0], Options(entries={entries!r}))"
)


def commands(fixture: str, builder) -> tuple[list[str], list[str]]:
    plain = [sys.executable, "-c", PLAIN.format(path=fixture, builder=builder)]
    audit = [sys.executable, "-m", "shapecheck", fixture, "--quiet"] + (["--entry", builder] if builder else [])
    return plain, audit


def timed(command: list[str], env=None) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        sys.exit(f"benchmark command failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
    return elapsed, result.stdout + result.stderr


def added_mib(fixture: str, builder, audit: bool) -> float:
    """MiB the plain build (or shapecheck's check of the module) adds to the peak resident
    memory of a process that has imported TensorFlow and Keras."""
    run = (
        AUDIT_RUN.format(path=fixture, entries=(builder,) if builder else ())
        if audit
        else PLAIN_RUN.format(path=fixture, builder=builder)
    )
    out = subprocess.run(
        [sys.executable, "-c", MEMORY.format(root=str(ROOT), run=run)], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.exit(f"the memory measurement failed: {out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def phases(audit: list[str]) -> str:
    _, output = timed(
        [a for a in audit if a != "--quiet"] + ["--debug"],
        env={**os.environ, "SHAPECHECK_DEBUG": "1", "COLUMNS": "1000"},
    )  # the note on one line
    found = re.findall(r"note: time: (.*)", output)
    return found[-1] if found else "(no timings reported)"


def witness_share(timings: str, total: float) -> str:
    """The witness phase's seconds and their share of the whole shapecheck run."""
    found = re.search(r"witness (\d+\.\d+) s", timings)
    if not found:
        return "none asked (no size claim to confirm)"
    seconds = float(found.group(1))
    return f"{seconds:.2f} s, {100 * seconds / total:.0f}% of the {total:.2f} s run"


def profile_split(fixture: str, builder) -> str:
    """Shares of the module's run, by whose code ran (cProfile own time; the profiler slows
    everything alike, so the shares, not the seconds, are the result)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(ROOT))
    from shapecheck.capture import weights
    from shapecheck.load.builder import load_builder_module

    weights.DISPOSABLE = True  # as in the supervised child
    entries = (builder,) if builder else ()
    load_builder_module(str(ROOT / fixture), entries)  # warm: imports and first calls
    profiler = cProfile.Profile()
    profiler.enable()
    load_builder_module(str(ROOT / fixture), entries)
    profiler.disable()
    shares: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, callers) in pstats.Stats(profiler).stats.items():
        if filename == "~" or filename.startswith("<"):  # a builtin: its time goes to whoever called it
            for (caller_file, _, _), caller_stats in callers.items():
                owner = _owner(caller_file, fixture)
                shares[owner] = shares.get(owner, 0.0) + caller_stats[2]
            continue
        shares[_owner(filename, fixture)] = shares.get(_owner(filename, fixture), 0.0) + own
    total = sum(shares.values()) or 1.0
    return ", ".join(f"{name} {100 * t / total:.0f}%" for name, t in sorted(shares.items(), key=lambda kv: -kv[1]))


def _owner(filename: str, fixture: str) -> str:
    if filename.endswith(fixture.split("/")[-1]):
        return "the module's own code"
    if "/shapecheck/capture/" in filename:
        return "shapecheck's hooks"
    if "/shapecheck/" in filename:
        return "shapecheck (IR, rules)"
    if "/keras/" in filename:
        return "Keras"
    if "/tensorflow/" in filename:
        return "TensorFlow"
    return "Python and other libraries"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=sorted(FIXTURES), help="one fixture only")
    args = parser.parse_args()
    chosen = {args.only: FIXTURES[args.only]} if args.only else FIXTURES
    _, tf_import = timed(
        [
            sys.executable,
            "-c",
            "import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; "
            "import time; t = time.perf_counter(); import tensorflow, keras; print(time.perf_counter() - t)",
        ]
    )
    seconds = float(re.findall(r"^\d+\.\d+$", tf_import, re.M)[-1])
    print(f"importing TensorFlow and Keras: {seconds:.2f} s (in both columns below)")
    for label, (fixture, builder) in chosen.items():
        plain_cmd, audit_cmd = commands(fixture, builder)
        timed(plain_cmd)  # warm the file cache once, outside the measurement
        plain, audit = [], []
        for _ in range(args.repeat):  # alternating, so drift hits both alike
            plain.append(timed(plain_cmd)[0])
            audit.append(timed(audit_cmd)[0])
        p, a = statistics.median(plain), statistics.median(audit)
        print(
            f"\n{label}: {fixture}{f' ({builder}())' if builder else ''} ({args.repeat} runs each, alternating, "
            f"cpu count {os.cpu_count()})"
        )
        print(f"  plain build:    {p:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in plain)})")
        print(f"  shapecheck:     {a:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in audit)})")
        print(
            f"  ratio shapecheck/plain: {a / p:.3f}"
            + ("  (target <= 0.6)" if label in ("resnext", "unet-none") else "")
        )
        print(
            f"  memory above the import of TensorFlow: plain build +{added_mib(fixture, builder, False):.0f} MiB, "
            f"shapecheck +{added_mib(fixture, builder, True):.0f} MiB (peak resident)"
        )
        timings = phases(audit_cmd)
        print(f"  shapecheck's phases: {timings}")
        print(f"  witnesses (Keras confirming the size claims): {witness_share(timings, a)}")
        print(f"  the module's run, by whose code: {profile_split(fixture, builder)}")


if __name__ == "__main__":
    main()
