"""The size sweep: evaluate a model at a whole range of input sizes in one pass.

Candidates (one row per size combination tried), all in a single vectorised pass:
  square  every swept axis equal to s, for s over the range;
  axis k  one axis over the range, the others at a reference size (the declared one, or
          a power of two for models declared with None), so each axis's constraint is
          stated on its own;
  grid    for 2-D inputs with a layer that mixes axes (Permute, Reshape, Flatten, or a
          layer only Keras knows): H != W pairs on a coarser grid, to catch axis swaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from shapecheck.algebra.constraints import describe
from shapecheck.algebra.evaluate import Evaluator
from shapecheck.algebra.layers import SHAPE_PRESERVING, spatial_axes
from shapecheck.graph import Graph, Node
from shapecheck.rules.inputs import consumers, first_layout_layer
from shapecheck.size_range import SizeRange  # noqa: F401 - where callers have always found it

AXIS_NAMES = {1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}
MIXING_OPS = {"Permute", "Reshape", "Flatten", "Transpose", "Dot"}
GRID_DENSE_UP_TO = 40  # every size up to this on the H != W grid, then a geometric sample
GRID_SAMPLES = 40


@dataclass
class MergeSizes:
    """One merge that fails somewhere in the sweep (failures charged to an earlier merge excluded)."""

    graph: Graph
    node: Node
    failing: np.ndarray  # bool per candidate, accepted sizes only


@dataclass
class Sweep:
    model: Graph
    sizes: SizeRange
    names: list[str] = field(default_factory=list)  # swept axes: ["H", "W"]
    declared: tuple = ()  # declared size of each spatial axis (None: any size)
    fixed: bool = False  # every spatial axis declared: the sweep asks "what else would work?"
    candidates: Optional[np.ndarray] = None  # (n, len(names))
    groups: Optional[np.ndarray] = None  # "square" | "axis0".. | "grid" per candidate
    accepted: Optional[np.ndarray] = None
    merges: list[MergeSizes] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: Optional[str] = None
    reference: Optional[tuple] = None

    # -- reading the result ---------------------------------------------------------
    def fails_square(self, merge: MergeSizes) -> bool:
        return bool((merge.failing & (self.groups == "square")).any())

    @staticmethod
    def union(merges: list[MergeSizes]) -> np.ndarray:
        """Sizes at which any of `merges` fails: the model's own constraint."""
        return np.logical_or.reduce([m.failing for m in merges])

    def constraint(self, failing: np.ndarray) -> str:
        """Failing sizes in words, per axis where the reference size allows."""
        per_axis = []
        if self.reference is not None and len(self.names) > 1:
            for k, name in enumerate(self.names):
                rows = self.groups == f"axis{k}"
                per_axis.append(describe(name, self.candidates[rows, k], self.accepted[rows], failing[rows]))
            stated = [(n, w) for n, w in zip(self.names, per_axis) if w]
            if stated:
                generic = {w.replace(n, "#") for n, w in stated}
                if len(stated) == len(self.names) and len(generic) == 1:
                    return self._describe_square(failing) or stated[0][1]
                return "; ".join(w for _, w in stated)
        return self._describe_square(failing) or "fails at some sizes"

    def _describe_square(self, failing: np.ndarray) -> Optional[str]:
        """All axes at once: 'H and W must be ...' but 'fails for odd H or W'."""
        words = describe(self._joined(), *self._square(failing))
        if words and "must" not in words and len(self.names) > 1:
            words = words.replace(self._joined(), " or ".join(self.names))
        return words

    def examples(self, failing: np.ndarray, groups=("square",), count: int = 3) -> str:
        rows = np.flatnonzero(failing & np.isin(self.groups, groups))[:count]
        return ", ".join("×".join(str(int(v)) for v in self.candidates[r]) for r in rows)

    def _square(self, failing: np.ndarray):
        rows = self.groups == "square"
        return self.candidates[rows, 0], self.accepted[rows], failing[rows]

    def _joined(self) -> str:
        return " and ".join(self.names) if len(self.names) > 1 else self.names[0]


def image_inputs(model: Graph) -> list[tuple[Node, list[int]]]:
    """Model inputs with spatial axes, each with the indices of those axes."""
    users = consumers(model)
    found = []
    for node_id in model.inputs:
        node = model.nodes[node_id]
        shape = node.output_shapes[0]
        if len(shape) < 3:
            continue
        layout = first_layout_layer(model, node_id, users)
        fmt = layout.config.get("data_format") if layout is not None else None
        found.append((node, spatial_axes(len(shape), fmt)))
    return found


def mixes_axes(model: Graph) -> bool:
    from shapecheck.algebra.layers import CONV, CONV_TRANSPOSE, CROPPING, GLOBAL_POOL, PADDING, POOL, UPSAMPLING

    known = SHAPE_PRESERVING | CONV | CONV_TRANSPOSE | POOL | GLOBAL_POOL | PADDING | CROPPING | UPSAMPLING
    for _, node in model.walk():
        if node.op in MIXING_OPS:
            return True
        if node.kind in ("layer", "op") and node.merge is None and node.op not in known:
            return True  # only Keras knows what it does with the axes
    return False


def _grid_values(sizes: SizeRange) -> np.ndarray:
    dense = np.arange(sizes.low, min(sizes.high, GRID_DENSE_UP_TO) + 1)
    if sizes.high <= GRID_DENSE_UP_TO:
        return dense
    sparse = np.geomspace(max(sizes.low, GRID_DENSE_UP_TO + 1), sizes.high, GRID_SAMPLES).round()
    return np.unique(np.concatenate([dense, sparse]).astype(np.int64))


def _reference(sizes: SizeRange, declared: tuple) -> tuple:
    power = 1 << int(np.log2(min(sizes.high, 256)))
    default = max(power, sizes.low)
    return tuple(default if d is None else d for d in declared)


def plan(model: Graph, sizes: SizeRange) -> Sweep:
    sweep = Sweep(model, sizes)
    inputs = image_inputs(model)
    if not inputs:
        sweep.skipped = "no input with spatial axes"
        return sweep
    declared = {tuple(node.output_shapes[0][a] for a in axes) for node, axes in inputs}
    if len(declared) > 1:
        sweep.skipped = "its inputs declare different spatial sizes"
        return sweep
    (sweep.declared,) = declared
    count = len(sweep.declared)
    if count not in AXIS_NAMES:
        sweep.skipped = f"{count} spatial axes"
        return sweep
    sweep.fixed = all(d is not None for d in sweep.declared)
    free = [k for k, d in enumerate(sweep.declared) if sweep.fixed or d is None]
    names = AXIS_NAMES[count]
    sweep.names = [names[k] for k in free]
    sweep.reference = _reference(sizes, tuple(None if k in free and not sweep.fixed else d
                                                for k, d in enumerate(sweep.declared)))
    ref = np.array([sweep.reference[k] for k in free], dtype=np.int64)
    values = sizes.values()
    blocks, labels = [np.repeat(values[:, None], len(free), axis=1)], ["square"] * len(values)
    if len(free) > 1:
        for k in range(len(free)):
            block = np.tile(ref, (len(values), 1))
            block[:, k] = values
            blocks.append(block)
            labels += [f"axis{k}"] * len(values)
        if len(free) == 2 and mixes_axes(model):
            g = _grid_values(sizes)
            h, w = np.meshgrid(g, g, indexing="ij")
            off = h != w
            blocks.append(np.stack([h[off], w[off]], axis=1))
            labels += ["grid"] * int(off.sum())
    sweep.candidates = np.concatenate(blocks)
    sweep.groups = np.array(labels)
    _evaluate(sweep, inputs, free)
    return sweep


def _evaluate(sweep: Sweep, inputs, free: list[int]) -> None:
    n = len(sweep.candidates)
    mapping = {}
    for node, axes in inputs:
        shape = list(node.output_shapes[0])
        for j, k in enumerate(free):
            shape[axes[k]] = sweep.candidates[:, j]
        for k, a in enumerate(axes):
            if k not in free:
                shape[a] = sweep.declared[k]
        mapping[node.id] = tuple(shape)
    evaluator = Evaluator(n)
    evaluator.run(sweep.model, mapping)
    result = evaluator.result
    sweep.accepted = result.accepted
    sweep.notes = [f"size sweep: {note}" for note in dict.fromkeys(result.unknown)]
    for key, failing in result.merge_fail.items():
        failing = failing & result.accepted
        if failing.any():
            graph, node = result.merge_nodes[key]
            sweep.merges.append(MergeSizes(graph, node, failing))


class SweepCache:
    """One sweep per model per run, shared by the rules that read it (SC104, SC202, SC301)."""

    def __init__(self, sizes: SizeRange) -> None:
        self.sizes = sizes
        self._done: dict[int, tuple[Graph, Sweep]] = {}

    def get(self, model: Graph) -> Sweep:
        entry = self._done.get(id(model))
        if entry is None or entry[0] is not model:
            entry = (model, plan(model, self.sizes))
            self._done[id(model)] = entry
        return entry[1]

    def notes(self) -> list[str]:
        return [note for _, sweep in self._done.values() for note in sweep.notes]
