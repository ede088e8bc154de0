"""What does the size sweep cost next to building the model once?

In one process, side by side:
  build:  the seeds' ResNeXt-50 built by Keras (fixtures/resnext50_seed.py, ~1,200 layers);
  sweep:  shapecheck's size sweep of the same graph, H and W over 1..2048 (square, per axis
          and, where a layer mixes axes, an H != W grid) in one vectorised pass.
Prints the median times and their ratio (target: the whole sweep <= 5% of one build), with
the build measured warm (again in this process) and cold (the first build in a fresh one).
The same for a sequence model (fixtures/conv1d_unet_sequence.py: one length axis) and a
two-input model (fixtures/seq2seq_lengths.py, build_translator: two lengths, gridded
against each other because a merge mixes them).

Then a scaling run on synthetic residual stacks of 100, 1,000 and 10,000 layers (IR only,
no Keras): sweep time and peak traced memory, which should grow linearly.

    python benchmarks/bench_sweep.py [--repeat 3] [--sizes 1:2048]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shapecheck.graph import Edge, Graph, MergeSpec, Node  # noqa: E402
from shapecheck.size_range import SizeRange  # noqa: E402
from shapecheck.sweep import plan  # noqa: E402


def build_resnext(fixture: Path):
    """The fixture's IR through shapecheck's own loader, and a function that builds the model
    again with plain Keras (the fixture's ResNext50 at its own arguments)."""
    from shapecheck.load.builder import load_builder_module

    loaded = load_builder_module(str(fixture), (), 600)
    (graph,) = loaded.graphs
    import keras

    return graph, plain_builder(fixture), keras


def build_fixture(fixture: Path, function: str):
    """A builder function of a fixture: its IR through shapecheck's loader, and a function
    that builds it again with plain Keras."""
    from shapecheck.load.builder import load_builder_module

    loaded = load_builder_module(str(fixture), (function,), 600)
    return loaded.graphs[0], plain_builder(fixture, function)


COLD = (
    "import os, sys, time; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; sys.path.insert(0, {root!r}); "
    "import tensorflow, keras; from benchmarks.bench_sweep import {maker}; build = {maker}(*{args!r}); "
    "start = time.perf_counter(); build(); print(time.perf_counter() - start)"
)


def plain_builder(fixture: Path, function: str = ""):
    """A function that builds the fixture's model with plain Keras (for ResNeXt: ResNext50 at
    its own arguments, without the module-level build)."""
    import importlib.util

    fixture = Path(fixture)
    if not function:
        namespace: dict = {}
        with open(fixture) as handle:
            source = handle.read().split("\nmodel = ResNext50(")[0]
        exec(compile(source, str(fixture), "exec"), namespace)
        return lambda: namespace["ResNext50"]((224, 224, 3), 1000)
    spec = importlib.util.spec_from_file_location(fixture.stem + "_plain", fixture)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function)


def cold_build(fixture: Path, function: str = "") -> float:
    """The first build in a fresh process (TensorFlow imported, Keras never called yet)."""
    import subprocess

    code = COLD.format(root=str(ROOT), maker="plain_builder", args=(str(fixture), function))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        sys.exit(f"the cold build failed: {out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def compare(label: str, graph, builder, keras, sizes, repeat: int, cold: float) -> None:
    from shapecheck.capture.shape_functions import clear_cache

    builds, sweeps = [], []
    for _ in range(repeat):  # alternating, so drift hits both alike
        keras.utils.clear_session()
        builds += timed(builder, 1)
        clear_cache()  # cold: Keras is asked again about every layer the algebra lacks
        sweeps += timed(lambda: plan(graph, sizes), 1)
    sweep = plan(graph, sizes)
    b, s = statistics.median(builds), statistics.median(sweeps)
    print(
        f"{label}: {graph.name}, {graph.layer_count()} layers, {sum(1 for _ in graph.merges())} merges; "
        f"swept {', '.join(sweep.names)}: {len(sweep.candidates)} size combinations over {sizes} "
        f"({repeat} runs each, cpu count {os.cpu_count()})"
    )
    print(
        f"  build, warm: {b:7.3f} s  (runs: {', '.join(f'{t:.3f}' for t in builds)}); "
        f"cold (the first in a fresh process): {cold:.3f} s"
    )
    print(
        f"  sweep:       {s:7.3f} s  (runs: {', '.join(f'{t:.3f}' for t in sweeps)}; cold: Keras' answers forgotten each run)"
    )
    print(f"  ratio sweep/build: {s / b:.3f} warm, {s / cold:.3f} cold  (target <= 0.05)")
    if sweep.notes:
        print("  notes:", *sweep.notes, sep="\n    ")


def synthetic_stack(layers: int) -> Graph:
    """Input -> [Conv2D 3x3 same -> BatchNorm -> Add(shortcut)] repeated: `layers` nodes."""
    g = Graph(name=f"stack{layers}")
    g.nodes.append(Node(0, "input", "InputLayer", "input", output_shapes=[(None, None, None, 64)]))
    g.inputs = [0]
    conv = {
        "filters": 64,
        "kernel_size": [3, 3],
        "strides": [1, 1],
        "padding": "same",
        "dilation_rate": [1, 1],
        "data_format": "channels_last",
    }
    shortcut = 0
    while len(g.nodes) + 3 <= layers:
        i = len(g.nodes)
        shape = (None, None, None, 64)
        g.nodes.append(Node(i, f"conv{i}", "Conv2D", "layer", [Edge(i - 1)], [shape], [shape], dict(conv)))
        g.nodes.append(Node(i + 1, f"bn{i}", "BatchNormalization", "layer", [Edge(i)], [shape], [shape], {"axis": -1}))
        g.nodes.append(
            Node(
                i + 2,
                f"add{i}",
                "Add",
                "layer",
                [Edge(i + 1), Edge(shortcut)],
                [shape, shape],
                [shape],
                merge=MergeSpec("elementwise"),
            )
        )
        shortcut = i + 2
    g.outputs = [Edge(len(g.nodes) - 1)]
    return g


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="1:2048")
    parser.add_argument("--fixture", default=str(ROOT / "fixtures" / "resnext50_seed.py"))
    args = parser.parse_args()
    sizes = SizeRange.parse(args.sizes)

    cold = cold_build(Path(args.fixture))
    graph, builder, keras = build_resnext(Path(args.fixture))
    compare("model", graph, builder, keras, sizes, args.repeat, cold)
    for fixture, function in (
        ("conv1d_unet_sequence.py", "build_sequence_unet"),
        ("seq2seq_lengths.py", "build_translator"),
    ):
        cold = cold_build(ROOT / "fixtures" / fixture, function)
        graph, builder = build_fixture(ROOT / "fixtures" / fixture, function)
        compare("model", graph, builder, keras, sizes, args.repeat, cold)

    print("\nscaling (synthetic residual stacks, IR only):")
    print(f"{'layers':>8} {'sweep s':>9} {'s/1k layers':>12} {'peak MiB':>9} {'MiB/1k layers':>14}")
    for layers in (100, 1_000, 10_000):
        stack = synthetic_stack(layers)
        t = statistics.median(timed(lambda stack=stack: plan(stack, sizes), args.repeat))
        tracemalloc.start()
        plan(stack, sizes)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        n = len(stack.nodes)
        print(f"{n:>8} {t:>9.3f} {t / n * 1000:>12.3f} {peak / 2**20:>9.2f} {peak / 2**20 / n * 1000:>14.2f}")


if __name__ == "__main__":
    main()
