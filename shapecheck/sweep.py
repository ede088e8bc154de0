"""The size sweep: evaluate a model at a whole range of input sizes in one pass.

Every `None` axis of every input is swept: the length of a sequence (rank 3, and rank-2
token inputs that flow through an Embedding), H and W (rank 4), D, H and W (rank 5), each
input with its own axes. A model whose inputs are all declared is swept over its spatial
axes to ask "what else would work?" (SC301).

Candidates (one row per size combination tried), all in a single vectorised pass:
  square  every swept axis equal to s, for s over the range;
  axis k  one axis over the range, the others at a reference size (the declared one, or
          a power of two for axes declared None), so each axis's constraint is stated on
          its own;
  grid    pairs of axes on a coarser grid (dense up to 40, then geometric), only where
          needed: two axes of one input when a layer mixes axes (Permute, Reshape, a layer
          only Keras knows), to catch axis swaps; axes of two inputs when some merge
          depends on both (found by a small probe evaluation), to state equalities.
So the rows grow linearly with the number of swept axes (range × (axes + 1)), plus one
grid (~6,400 rows at the default range) per mixed pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Optional

import numpy as np

from shapecheck.algebra.constraints import describe, passing_value
from shapecheck.algebra.evaluate import Evaluator, Stop
from shapecheck.algebra.layers import KNOWN_LAYERS, MIXING, knows
from shapecheck.algebra.ops import MIXING as MIXING_OPS
from shapecheck.graph import Graph, Node
from shapecheck.layout import spatial_axes
from shapecheck.size_range import SizeRange

AXIS_NAMES = {
    1: [("L", "length")],
    2: [("H", "height"), ("W", "width")],
    3: [("D", "depth"), ("H", "height"), ("W", "width")],
}
GRID_DENSE_UP_TO = 40  # every size up to this on a grid, then a geometric sample
GRID_SAMPLES = 40


@dataclass(frozen=True)
class InputAxis:
    """One length or spatial axis of one model input."""

    input_id: int
    input_name: str
    index: int  # in the input's shape
    short: str  # "H"
    long: str  # "height"
    declared: Optional[int]

    def name(self, qualified: bool) -> str:
        return f"`{self.input_name}` {self.long}" if qualified else self.short


@dataclass
class MergeSizes:
    """One merge that fails somewhere in the sweep (failures charged to an earlier merge excluded)."""

    graph: Graph
    node: Node
    failing: np.ndarray  # bool per candidate, accepted sizes only
    from_keras: bool = False  # Keras refused it where the algebra said it agrees: `failing` holds Keras' sizes only


@dataclass
class Sweep:
    model: Graph
    sizes: SizeRange
    axes: list[InputAxis] = field(default_factory=list)  # the swept axes
    fixed_axes: list[InputAxis] = field(default_factory=list)  # declared axes kept at their size
    qualified: bool = False  # several inputs: axes are named with their input
    fixed: bool = False  # every axis declared: the sweep asks "what else would work?"
    candidates: Optional[np.ndarray] = None  # (n, len(axes))
    groups: Optional[np.ndarray] = None  # "square" | "axis0".. | "grid0.1".. per candidate
    accepted: Optional[np.ndarray] = None
    merges: list[MergeSizes] = field(default_factory=list)
    unchecked: list[tuple[Graph, Node, Stop]] = field(default_factory=list)  # merges not evaluated
    notes: list[str] = field(default_factory=list)
    skipped: Optional[str] = None
    reference: Optional[tuple] = None
    pairs: list[tuple[int, int]] = field(default_factory=list)
    conflicts: list[tuple[Graph, Node, np.ndarray]] = field(
        default_factory=list
    )  # every conflicting merge, tainted too
    witnessed: Any = None  # witnesses.Witnessed: what Keras said at the witness sizes (set by witnesses.SweepCache)

    @property
    def names(self) -> list[str]:
        return [a.name(self.qualified) for a in self.axes]

    @property
    def declared(self) -> tuple:
        return tuple(a.declared for a in self.axes)

    # -- reading the result ---------------------------------------------------------
    def any_conflict(self) -> np.ndarray:
        """Rows where some merge conflicts (charged to it or following an earlier one)."""
        assert self.candidates is not None  # the reading methods run on a swept Sweep
        out = np.zeros(len(self.candidates), dtype=bool)
        for _, _, mask in self.conflicts:
            out |= mask
        return out

    def conflict_masks(self):
        return (((graph, node), mask) for graph, node, mask in self.conflicts)

    def square_rows(self) -> np.ndarray:
        """Rows where every input's own swept axes are equal (H == W): an axis swap hides there."""
        assert self.candidates is not None  # the reading methods run on a swept Sweep
        ok = np.ones(len(self.candidates), dtype=bool)
        by_input: dict[int, list[int]] = {}
        for k, axis in enumerate(self.axes):
            by_input.setdefault(axis.input_id, []).append(k)
        for ks in by_input.values():
            for k in ks[1:]:
                ok &= self.candidates[:, k] == self.candidates[:, ks[0]]
        return ok

    def fails_square(self, merge: MergeSizes) -> bool:
        """Does the merge fail where no input's axes are swapped against each other: at a
        row where each input is square, or where two inputs' axes differ (SC104, not SC202)?"""
        assert self.groups is not None  # the reading methods run on a swept Sweep
        cross = np.isin(
            self.groups, [f"grid{k}.{l}" for k, l in self.pairs if self.axes[k].input_id != self.axes[l].input_id]
        )
        return bool((merge.failing & (self.square_rows() | cross)).any())

    @staticmethod
    def union(merges: list[MergeSizes]) -> np.ndarray:
        """Sizes at which any of `merges` fails: the model's own constraint."""
        return np.logical_or.reduce([m.failing for m in merges])

    def constraint(self, failing: np.ndarray) -> str:
        """Failing sizes in words: equalities between inputs' axes, then each axis's rule."""
        if len(self.axes) == 1:
            return self._axis_words(0, failing) or "fails at some sizes"
        parts, related = self._equalities(failing)
        square = self._describe_square(failing, [k for k in range(len(self.axes)) if k in related])
        if related and square:
            parts.append(square)
        per_axis = {k: self._axis_words(k, failing) for k in range(len(self.axes)) if k not in related}
        stated = {k: w for k, w in per_axis.items() if w}
        if stated and not related and len(stated) == len(self.axes):
            generic = {w.replace(self.names[k], "#") for k, w in stated.items()}
            if len(generic) == 1:
                return self._describe_square(failing, list(range(len(self.axes)))) or stated[0]
        parts += list(stated.values())
        if parts:
            parts += [self._any(k) for k in per_axis if k not in stated]
        return (
            "; ".join(parts)
            if parts
            else (self._describe_square(failing, list(range(len(self.axes)))) or "fails at some sizes")
        )

    def _rows(self, group: str) -> np.ndarray:
        assert self.groups is not None  # the reading methods run on a swept Sweep
        return self.groups == group

    def _axis_words(self, k: int, failing: np.ndarray) -> Optional[str]:
        rows = self._rows(f"axis{k}") if len(self.axes) > 1 else self._rows("square")
        assert self.candidates is not None and self.accepted is not None  # the reading methods run on a swept Sweep
        values, accepted, bad = self.candidates[rows, k], self.accepted[rows], failing[rows]
        only = passing_value(values, accepted, bad)
        if only is not None:
            return self._must_equal_declared(k, only)
        return describe(self.names[k], values, accepted, bad)

    def _must_equal_declared(self, k: int, value: int) -> str:
        """'fails unless `dec` length equals `enc` length (30)' when a declared axis has that size."""
        name = self.names[k]
        same = [a for a in self.fixed_axes if a.declared == value and a.input_id != self.axes[k].input_id]
        if same:
            return f"fails unless {name} equals {same[0].name(self.qualified)} ({value})"
        return f"{name} must be {value}"

    def _equalities(self, failing: np.ndarray) -> tuple[list[str], set[int]]:
        assert self.candidates is not None  # the reading methods run on a swept Sweep
        parts: list[str] = []
        related: set[int] = set()
        for k, l in self.pairs:
            if self.axes[k].input_id == self.axes[l].input_id:
                continue
            rows = self._rows(f"grid{k}.{l}") & self.accepted
            a, b, bad = self.candidates[rows, k], self.candidates[rows, l], failing[rows]
            differ = a != b
            ones = differ & ((a == 1) | (b == 1))  # an elementwise merge broadcasts size 1
            strict = differ & ~ones
            # every unequal pair fails, and equal pairs pass at more than the reference size
            # (else the two axes only both happen to meet a third one there)
            if strict.any() and bad[strict].all() and (~bad[~differ & (a != 1)]).sum() >= 2:
                broadcast = " (or be 1)" if ones.any() and not bad[ones].any() else ""
                parts.append(f"{self.names[k]} must equal {self.names[l]}{broadcast}")
                related |= {k, l}
        return parts, related

    def _any(self, k: int) -> str:
        rows = self._rows(f"axis{k}") & self.accepted
        assert self.candidates is not None  # the reading methods run on a swept Sweep
        low = int(self.candidates[rows, k].min()) if rows.any() else self.sizes.low
        return f"any {self.names[k]}" + (f" ≥ {low}" if low > self.sizes.low else "")

    def _describe_square(self, failing: np.ndarray, ks: list[int]) -> Optional[str]:
        """All axes at once: 'H and W must be ...' but 'fails for odd H or W'."""
        if not ks:
            return None
        names = [self.names[k] for k in ks]
        joined = " and ".join(names)
        rows = self._rows("square")
        assert self.candidates is not None and self.accepted is not None  # the reading methods run on a swept Sweep
        words = describe(joined, self.candidates[rows, 0], self.accepted[rows], failing[rows])
        if words and "must" not in words and len(names) > 1:
            words = words.replace(joined, " or ".join(names))
        return words

    def examples(self, failing: np.ndarray, groups=None, count: Optional[int] = None) -> str:
        count = count or (2 if self.qualified else 3)
        assert self.groups is not None  # the reading methods run on a swept Sweep
        pick = self.square_rows() if groups is None else np.isin(self.groups, groups)
        rows = np.flatnonzero(failing & pick)
        if not len(rows):
            rows = np.flatnonzero(failing)
        return ", ".join(self.size_text(r) for r in rows[:count])

    def size_text(self, row: int) -> str:
        assert self.candidates is not None  # the reading methods run on a swept Sweep
        return self.size_text_of([int(v) for v in self.candidates[row]], " with ")

    def declared_text(self) -> str:
        return self.size_text_of([a.declared for a in self.axes], ", ")

    def size_text_of(self, values, separator: str) -> str:
        """'64×48', or with several inputs '`a` 12 with `b` 30'."""
        if not self.qualified:
            return "×".join(map(str, values))
        by_input: dict[str, list[str]] = {}
        for axis, v in zip(self.axes, values):
            by_input.setdefault(axis.input_name, []).append(str(v))
        return separator.join(f"`{name}` {'×'.join(vs)}" for name, vs in by_input.items())

    def tried(self) -> str:
        return f"tried {' and '.join(self.names)} over {self.sizes}"


def input_axes(model: Graph) -> list[InputAxis]:
    """Every length or spatial axis of every input: rank 2 (tokens), 3, 4 and 5."""
    found = []
    for node_id in model.inputs:
        node = model.nodes[node_id]
        shape = node.output_shapes[0]
        if len(shape) == 2:
            indices = [1]  # token ids (or, when declared, perhaps features: never swept then)
        else:
            indices = spatial_axes(len(shape), node.layout)
            free = [i for i in range(1, len(shape)) if shape[i] is None]
            if len(free) == len(indices) and set(free) != set(indices):
                # the layout says the free axes are channels: it was read from no layer (an
                # Input only ops or a nested model read), while every None axis is one the
                # model is fed at other sizes: sweep those
                indices = free
        names = AXIS_NAMES.get(len(indices))
        if not names:
            continue
        for index, (short, long) in zip(indices, names):
            found.append(InputAxis(node_id, node.name, index, short, long, shape[index]))
    return found


def image_inputs(model: Graph) -> list[tuple[Node, list[int]]]:
    """Model inputs with spatial axes, each with the indices of those axes."""
    found: dict[int, list[int]] = {}
    for axis in input_axes(model):
        found.setdefault(axis.input_id, []).append(axis.index)
    return [(model.nodes[i], axes) for i, axes in found.items()]


def mixes_axes(model: Graph) -> bool:
    """Does some layer put one axis's size into another (or only Keras knows what it does)?"""
    for _, node in model.walk():
        if node.kind not in ("layer", "op") or node.merge is not None or node.subgraph is not None:
            continue  # a nested graph's own nodes are walked
        if node.op in MIXING or (node.kind == "op" and node.op in MIXING_OPS) or node.op == "Dot":
            return True
        if node.op not in KNOWN_LAYERS and not knows(node.op, node.config):
            return True
    return False


def _grid_values(sizes: SizeRange) -> np.ndarray:
    dense = np.arange(sizes.low, min(sizes.high, GRID_DENSE_UP_TO) + 1)
    if sizes.high <= GRID_DENSE_UP_TO:
        return dense
    sparse = np.geomspace(max(sizes.low, GRID_DENSE_UP_TO + 1), sizes.high, GRID_SAMPLES).round()
    return np.unique(np.concatenate([dense, sparse]).astype(np.int64))


def _reference(sizes: SizeRange, declared: Optional[int]) -> int:
    if declared is not None:
        return declared
    power = 1 << int(np.log2(min(sizes.high, 256)))
    return max(power, sizes.low)


def plan(model: Graph, sizes: SizeRange) -> Sweep:
    sweep = Sweep(model, sizes)
    if not model.finished:
        sweep.skipped = "the model was not finished (its builder raised): its other sizes say nothing"
        return sweep
    axes = input_axes(model)
    if not axes:
        sweep.skipped = "no input with a length or spatial axis"
        return sweep
    sweep.qualified = len({a.input_id for a in axes}) > 1
    sweep.fixed = all(a.declared is not None for a in axes)
    rank = {node_id: len(model.nodes[node_id].output_shapes[0]) for node_id in model.inputs}
    sweep.axes = [a for a in axes if a.declared is None or (sweep.fixed and rank[a.input_id] > 2)]
    if not sweep.axes:
        sweep.skipped = "no input with a length or spatial axis to sweep"
        return sweep
    sweep.fixed_axes = [a for a in axes if a not in sweep.axes]
    sweep.reference = tuple(_reference(sizes, None if not sweep.fixed else a.declared) for a in sweep.axes)
    sweep.pairs = _pairs(sweep)
    ref = np.array(sweep.reference, dtype=np.int64)
    values = sizes.values()
    count = len(sweep.axes)
    blocks, labels = [np.repeat(values[:, None], count, axis=1)], ["square"] * len(values)
    if count > 1:
        for k in range(count):
            block = np.tile(ref, (len(values), 1))
            block[:, k] = values
            blocks.append(block)
            labels += [f"axis{k}"] * len(values)
    g = _grid_values(sizes)
    for k, l in sweep.pairs:
        a, b = np.meshgrid(g, g, indexing="ij")
        keep = (a != b) if sweep.axes[k].input_id == sweep.axes[l].input_id else np.ones_like(a, dtype=bool)
        block = np.tile(ref, (int(keep.sum()), 1))
        block[:, k], block[:, l] = a[keep], b[keep]
        blocks.append(block)
        labels += [f"grid{k}.{l}"] * len(block)
    sweep.candidates = np.concatenate(blocks)
    sweep.groups = np.array(labels)
    _evaluate(sweep)
    return sweep


def _pairs(sweep: Sweep) -> list[tuple[int, int]]:
    """Pairs of axes that need a grid: same input and some layer mixes axes; two inputs
    and some merge depends on both."""
    pairs = []
    mixing = None
    for k, l in combinations(range(len(sweep.axes)), 2):
        if sweep.axes[k].input_id == sweep.axes[l].input_id:
            if mixing is None:
                mixing = mixes_axes(sweep.model)
            if mixing:
                pairs.append((k, l))
    if len({a.input_id for a in sweep.axes}) > 1:
        pairs += _cross_input_pairs(sweep)
    return pairs


def _cross_input_pairs(sweep: Sweep) -> list[tuple[int, int]]:
    """A probe: the reference row and, per axis, two rows with that axis moved. A merge
    depends on an axis if its inputs change when that axis does."""
    ref = np.array(sweep.reference, dtype=np.int64)
    rows = [ref]
    for k in range(len(sweep.axes)):
        for moved in (ref[k] + 1, 2 * ref[k] + 3):
            row = ref.copy()
            row[k] = moved
            rows.append(row)
    candidates = np.stack(rows)
    evaluator = Evaluator(len(candidates), record_merge_inputs=True)
    evaluator.run(sweep.model, _input_shapes(sweep, candidates))
    pairs = set()
    for shapes in evaluator.result.merge_inputs.values():
        depends = set()
        for k in range(len(sweep.axes)):
            moved = [1 + 2 * k, 2 + 2 * k]
            for shape in shapes:
                for d in shape:
                    if isinstance(d, np.ndarray) and d.ndim and (d[moved] != d[0]).any():
                        depends.add(k)
        for k, l in combinations(sorted(depends), 2):
            if sweep.axes[k].input_id != sweep.axes[l].input_id:
                pairs.add((k, l))
    return sorted(pairs)


def _input_shapes(sweep: Sweep, candidates: np.ndarray) -> dict:
    mapping: dict[int, list] = {}  # input node id -> its shape, swept axes as arrays of sizes
    for node_id in sweep.model.inputs:
        mapping[node_id] = list(sweep.model.nodes[node_id].output_shapes[0])
    for k, axis in enumerate(sweep.axes):
        mapping[axis.input_id][axis.index] = candidates[:, k]
    return {node_id: tuple(shape) for node_id, shape in mapping.items()}


def _evaluate(sweep: Sweep) -> None:
    assert sweep.candidates is not None  # plan sets them first
    evaluator = Evaluator(len(sweep.candidates))
    evaluator.run(sweep.model, _input_shapes(sweep, sweep.candidates))
    result = evaluator.result
    sweep.accepted = result.accepted
    sweep.notes = [f"size sweep: {note}" for note in dict.fromkeys(result.unknown)]
    sweep.unchecked = list(result.unchecked.values())
    for key, conflict in result.conflicts.items():
        graph, node = result.merge_nodes[key]
        sweep.conflicts.append((graph, node, conflict & result.accepted))
    for key, failing in result.merge_fail.items():
        failing = failing & result.accepted
        if failing.any():
            graph, node = result.merge_nodes[key]
            sweep.merges.append(MergeSizes(graph, node, failing))
