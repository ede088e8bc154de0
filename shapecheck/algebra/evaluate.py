"""One pass over a graph with symbolic shapes: every candidate input size at once.

Returns, per merge, a mask of the sizes at which its inputs conflict, and the mask of
sizes the model accepts at all (no layer output <= 0, every weight the size it was built
with). A merge that conflicts continues with its deepest input, as capture does, so one
pass reports every merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from shapecheck.algebra.layers import SymShape, Unknown, output_shape
from shapecheck.graph import Graph, MergeSpec, Node

FALLBACK_BUDGET = 256  # distinct sizes a non-algebra layer may be asked about per pass


@dataclass
class Evaluation:
    size: int  # number of candidates
    accepted: np.ndarray  # bool (size,)
    merge_fail: dict = field(default_factory=dict)  # (graph id, node id) -> bool (size,), failing merges only
    merge_nodes: dict = field(default_factory=dict)  # (graph id, node id) -> (graph, node)
    shapes: dict = field(default_factory=dict)  # (graph id, node id) -> SymShape (when kept)
    unknown: list = field(default_factory=list)  # notes on paths the sweep could not follow
    conflicts: dict = field(
        default_factory=dict
    )  # (graph id, node id) -> bool (size,): every conflicting merge, tainted or not
    stops: dict = field(default_factory=dict)  # (graph id, node id) -> Stop: where a path was given up
    unchecked: dict = field(default_factory=dict)  # (graph id, node id) -> (graph, node, Stop): merges not evaluated
    merge_inputs: dict = field(default_factory=dict)  # (graph id, node id) -> input SymShapes (when recorded)


@dataclass(frozen=True)
class Stop:
    """A node the sweep could not follow: every merge behind it is left unchecked."""

    graph: Graph
    node: Node
    why: str


def _mask(value, size: int) -> np.ndarray:
    arr = np.asarray(value, dtype=bool)
    return np.broadcast_to(arr, (size,)).copy() if arr.shape != (size,) else arr


def merge_values(spec: MergeSpec, shapes: list[SymShape], preferred: int, size: int):
    """(output SymShape, conflict mask) for a merge over symbolic shapes."""
    if spec.kind == "concat":
        return _concat(spec.axis, shapes, preferred, size)
    if spec.kind == "dot":
        return _dot(spec.axis, shapes, size)
    return _elementwise(shapes, preferred, size)


def _dot(axes, shapes, size):
    """keras.layers.Dot (no normalisation changes a shape): the two axes must be equal, an
    unknown size only to another unknown one, as Dot.build checks; the output is the first
    input without its axis, then the second without its batch and its axis."""
    if len(shapes) != 2:
        raise Unknown("Dot of more than two inputs")
    a, b = shapes
    pair = tuple(axes) if isinstance(axes, (list, tuple)) else (axes, axes)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise Unknown(f"Dot with axes {axes!r}")  # a hostile saved config: Keras' own shape function decides
    ax_a, ax_b = pair[0] % len(a), pair[1] % len(b)
    da, db = a[ax_a], b[ax_b]
    if da is None or db is None:
        conflict = np.full(size, (da is None) != (db is None))
    else:
        conflict = _mask(np.asarray(da) != np.asarray(db), size)
    out = [d for i, d in enumerate(a) if i != ax_a] + [d for i, d in enumerate(b) if i not in (0, ax_b)]
    if len(out) == 1:
        out.append(1)
    return tuple(out), conflict


def _elementwise(shapes, preferred, size):
    rank = max(len(s) for s in shapes)
    rows = [[s[0]] + ["missing"] * (rank - len(s)) + list(s[1:]) for s in shapes]
    conflict = np.zeros(size, dtype=bool)
    merged = [None]
    per_axis = [np.zeros(size, dtype=bool)]
    for axis in range(1, rank):
        value = "missing"
        axis_conflict = np.zeros(size, dtype=bool)
        for row in rows:
            d = row[axis]
            if isinstance(d, str):
                continue
            if isinstance(value, str):
                value = d
                continue
            if value is None or d is None:
                value = None
                continue
            axis_conflict |= _mask((value != d) & (value != 1) & (d != 1), size)
            value = np.where(np.asarray(value) == 1, d, value)
        merged.append(None if isinstance(value, str) else _simplify(value))
        per_axis.append(axis_conflict)
        conflict |= axis_conflict
    guess = list(rows[preferred])
    # where the inputs conflict on an axis the build goes on with the guessed input's size there
    # (where the guessed input lacks that axis, a vector over a map, the merged size stands);
    # axes that agree (a size-1 gate broadcast over channels) keep their merged size
    out = [_where(c, g if not isinstance(g, str) else m, m) for g, m, c in zip(guess, merged, per_axis)]
    return tuple(out), conflict


def _concat(axis, shapes, preferred, size):
    ranks = {len(s) for s in shapes}
    if len(ranks) > 1:
        return shapes[preferred], np.ones(size, dtype=bool)
    (rank,) = ranks
    cat = axis % rank
    conflict = np.zeros(size, dtype=bool)
    out = list(shapes[preferred])
    for ax in range(1, rank):
        values = [s[ax] for s in shapes if s[ax] is not None]
        if ax == cat:
            out[ax] = None if len(values) < len(shapes) else _simplify(sum(values))
            continue
        for v in values[1:]:
            conflict |= _mask(values[0] != v, size)
    return tuple(out), conflict


def _simplify(value):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return int(value)
    return value


def _where(mask: np.ndarray, a, b):
    """`a` where the merge conflicts, `b` (the merged value) elsewhere."""
    if not mask.any():
        return b  # no conflict: the merged axis, even where the guessed input lacks it (rank broadcast)
    if a is None or b is None:
        return None
    return _simplify(np.where(mask, a, b))


def _union(masks) -> Optional[np.ndarray]:
    out = None
    for m in masks:
        if m is not None:
            out = m if out is None else out | m
    return out


def depths(graph: Graph) -> list[int]:
    """Longest path from an input to each node (ids are topological)."""
    out = [0] * len(graph.nodes)
    for node in graph.nodes:
        if node.inputs:
            out[node.id] = 1 + max(out[e.source] for e in node.inputs)
    return out


class Evaluator:
    """Evaluates graphs over `size` candidates. Layers the algebra lacks are asked through
    their node's `shape_function` (concrete shapes -> concrete shape), if the front end gave one."""

    def __init__(
        self, size: int, record_merge_inputs: bool = False, overrides: Optional[dict] = None, rebuild: bool = False
    ) -> None:
        """`overrides`: (graph id, node id) -> the output to use for that node instead (a
        merge settled on another continuation, see recovery.py). `rebuild`: layers take
        whatever channels reach them, as they would if the model were built again that way
        (otherwise a layer accepts only the sizes its weights were built with)."""
        self.size = size
        self.record_merge_inputs = record_merge_inputs  # for small probes: which axes reach which merge
        self.result = Evaluation(size, np.ones(size, dtype=bool))
        self.overrides = overrides or {}
        self.rebuild = rebuild
        self._blocked: dict[int, Stop] = {}
        self._output_stop: Optional[Stop] = None

    def run(
        self, graph: Graph, inputs: dict[int, SymShape], keep_shapes: bool = False, taint: Optional[np.ndarray] = None
    ) -> tuple[list[Optional[SymShape]], Optional[np.ndarray]]:
        """Evaluate `graph` with the given Input shapes: (shapes of its outputs, their taint).

        A value is tainted at the sizes where some merge upstream of it already failed;
        a merge's failure is charged to it only where its inputs are untainted, so one
        broken skip connection is reported once, not again at every merge after it.
        """
        values: dict[tuple[int, int], Optional[SymShape]] = {}
        taints: dict[int, Optional[np.ndarray]] = {}
        self._blocked = {}  # node id -> the stop its unknown outputs come from
        remaining = self._consumer_counts(graph)
        kept_outputs = {e.source for e in graph.outputs}
        deep = depths(graph)
        for node in graph.nodes:
            ins = [values.get((e.source, e.index)) for e in node.inputs]
            tainted = taint if node.kind == "input" else _union(taints.get(e.source) for e in node.inputs)
            blocked = self._blocked
            outs, taints[node.id] = self._node(graph, node, ins, inputs, deep, tainted)
            inner_stop = self._output_stop if node.subgraph is not None else None
            self._blocked = blocked  # a nested run has its own
            if node.kind != "input" and any(o is None for o in outs):
                stop = (
                    self.result.stops.get((id(graph), node.id))
                    or inner_stop
                    or next((blocked[e.source] for e in node.inputs if e.source in blocked), None)
                )
                if stop is not None:
                    blocked[node.id] = stop
            for i, shape in enumerate(outs):
                values[(node.id, i)] = shape
            if keep_shapes:
                self.result.shapes[(id(graph), node.id)] = outs[0] if outs else None
            for e in node.inputs:  # free what no later node needs: memory follows graph width
                remaining[e.source] -= 1
                if remaining[e.source] == 0 and e.source not in kept_outputs:
                    for i in range(len(graph.nodes[e.source].output_shapes)):
                        values.pop((e.source, i), None)
                    taints.pop(e.source, None)
        outputs = [values.get((e.source, e.index)) for e in graph.outputs]
        self._output_stop = next((self._blocked[e.source] for e in graph.outputs if e.source in self._blocked), None)
        return outputs, _union(taints.get(e.source) for e in graph.outputs)

    @staticmethod
    def _consumer_counts(graph: Graph) -> dict[int, int]:
        counts = {n.id: 0 for n in graph.nodes}
        for n in graph.nodes:
            for e in n.inputs:
                counts[e.source] += 1
        return counts

    def _node(self, graph: Graph, node: Node, ins: list, inputs: dict, deep: list[int], taint):
        if node.kind == "input":
            return [inputs.get(node.id, node.output_shapes[0])], taint
        if (id(graph), node.id) in self.overrides:
            return [self.overrides[(id(graph), node.id)]], taint
        if any(s is None for s in ins):  # an unknown path stays unknown; merges on it are unchecked
            stop = next((self._blocked[e.source] for e in node.inputs if e.source in self._blocked), None)
            self._mark_unchecked(graph, node, stop or Stop(graph, node, "an input could not be followed"))
            return [None] * len(node.output_shapes), taint
        if node.subgraph is not None:  # a nested model, or a custom layer's call() seen as a graph
            inner = node.subgraph
            mapping = {inner_id: ins[i] for i, inner_id in enumerate(inner.inputs) if i < len(ins)}
            return self.run(inner, mapping, taint=taint)
        if node.merge is not None:
            return self._merge(graph, node, ins, deep, taint)
        try:
            built = ins if self.rebuild else node.input_shapes
            out, mask = output_shape(node.op, node.config, ins, built, node.output_shapes)
        except Unknown:
            return [self._fallback(graph, node, ins)], taint
        except (KeyError, TypeError, ValueError, IndexError):
            return [self._give_up(graph, node, "its configuration is not understood")], taint
        if mask is not None:  # where an earlier merge already failed, what follows its guess proves nothing
            self.result.accepted &= _mask(mask, self.size) | (taint if taint is not None else False)
        return [out], taint

    def _merge(self, graph: Graph, node: Node, ins: list, deep: list[int], taint):
        preferred = max(range(len(ins)), key=lambda i: deep[node.inputs[i].source])
        if self.record_merge_inputs:
            self.result.merge_inputs[(id(graph), node.id)] = list(ins)
        assert node.merge is not None  # _node calls _merge only for merges
        try:
            out, conflict = merge_values(node.merge, ins, preferred, self.size)
        except Unknown:
            out = self._fallback(graph, node, ins)
            if out is None:
                self._mark_unchecked(graph, node, self.result.stops[(id(graph), node.id)])
            return [out], taint
        if conflict.any():  # only failing merges are kept: memory follows graph width, not depth
            key = (id(graph), node.id)
            self.result.conflicts[key] = conflict
            self.result.merge_fail[key] = conflict if taint is None else conflict & ~taint
            self.result.merge_nodes[key] = (graph, node)
            taint = conflict if taint is None else taint | conflict
        return [out], taint

    def _mark_unchecked(self, graph: Graph, node: Node, stop: Stop) -> None:
        nodes = [(graph, node)] + (list(node.subgraph.walk()) if node.subgraph is not None else [])
        for owner, inner in nodes:
            if inner.merge is not None:
                self.result.unchecked.setdefault((id(owner), inner.id), (owner, inner, stop))

    def _give_up(self, graph: Graph, node: Node, why: str) -> Optional[SymShape]:
        self.result.unknown.append(f"{node.op} {node.name}: {why}; the sweep stops on that path")
        self.result.stops[(id(graph), node.id)] = Stop(graph, node, why)
        return None

    def _fallback(self, graph: Graph, node: Node, ins: list) -> Optional[SymShape]:
        function = node.shape_function
        if function is None or len(node.output_shapes) != 1:
            return self._give_up(graph, node, "no shape arithmetic for it")
        try:
            followed = follow_by_probes(function, ins)
            if followed is not None:
                return followed
            out, accepted = ask_per_size(function, ins, self.size)
        except Unknown as exc:
            return self._give_up(graph, node, str(exc))
        self.result.accepted &= accepted
        return out


def follow_by_probes(function: Callable, ins: list[SymShape]) -> Optional[SymShape]:
    """For a one-input layer only Keras knows: ask it at a few sizes (each varying axis at
    both ends of its range and between, the axes differing from each other in every probe).
    If each output axis is constant, or equal to one input axis, at every probe, take that
    mapping: a pass-through, a reduction (with or without keepdims), an axis swap. Anything
    else (a stride, a crop, a product of axes) changes an axis at some probe and is asked
    size by size instead."""
    if len(ins) != 1:
        return None
    (shape,) = ins
    varying = [i for i, axis in enumerate(shape) if isinstance(axis, np.ndarray) and axis.ndim]
    if not varying:
        return None
    probes = _probe_rows(shape, varying)
    try:
        outs = [tuple(function([row])) for row in probes]
    except Exception:  # noqa: BLE001 - Keras raises anything for sizes it rejects
        return None
    if len({len(o) for o in outs}) != 1:
        return None
    result = []
    for j in range(len(outs[0])):
        column = [o[j] for o in outs]
        if all(c == column[0] for c in column):
            result.append(column[0])
            continue
        source = next((i for i in varying if all(c == row[i] for c, row in zip(column, probes))), None)
        if source is None:
            return None
        result.append(shape[source])
    return tuple(result)


def _probe_rows(shape: SymShape, varying: list[int]) -> list[tuple]:
    values = {}
    for i in varying:
        lo, hi = int(np.min(shape[i])), int(np.max(shape[i]))
        values[i] = sorted({lo, min(lo + 1, hi), (lo + hi) // 2, max(hi - 1, lo), hi})
    count = max(len(v) for v in values.values())
    rows = []
    for r in range(count):
        row = [int(np.max(a)) if isinstance(a, np.ndarray) else a for a in shape]
        for t, i in enumerate(varying):  # shifted per axis: H and W differ in every probe
            row[i] = values[i][(r + t) % len(values[i])]
        rows.append(tuple(row))
    return rows


def ask_per_size(function: Callable, ins: list[SymShape], size: int) -> tuple[SymShape, np.ndarray]:
    """Ask `function` (concrete shapes -> concrete shape) once per distinct input size.
    A size at which Keras rejects the layer is not accepted by the model."""
    columns = []
    for shape in ins:
        for axis in shape:
            columns.append(np.broadcast_to(np.asarray(-1 if axis is None else axis), (size,)))
    table = np.stack(columns, axis=1) if columns else np.zeros((size, 0), dtype=np.int64)
    distinct, inverse = np.unique(table, axis=0, return_inverse=True)
    if len(distinct) > FALLBACK_BUDGET:
        raise Unknown(
            f"{len(distinct)} distinct sizes exceed the budget of {FALLBACK_BUDGET} for Keras' own shape function"
        )
    results: list[Optional[tuple]] = []
    for row in distinct:
        shapes, i = [], 0
        for shape in ins:
            shapes.append(tuple(None if int(v) == -1 else int(v) for v in row[i : i + len(shape)]))
            i += len(shape)
        try:
            results.append(tuple(function(shapes)))
        except Exception:  # noqa: BLE001 - Keras raises anything for sizes it rejects
            results.append(None)
    good = [r for r in results if r is not None]
    if not good:
        raise Unknown("Keras' own shape function rejects every size tried")
    ok_rows = np.array([r is not None for r in results])
    filled = [r if r is not None else good[0] for r in results]
    inverse = inverse.reshape(-1)
    out: list = []  # per axis: None, a constant, or the size per row
    for axis in range(len(good[0])):
        column = [r[axis] for r in filled]
        if any(v is None for v in column):
            out.append(None)
        elif len(set(column)) == 1:
            out.append(column[0])
        else:
            out.append(np.asarray(column, dtype=np.int64)[inverse])
    return tuple(out), ok_rows[inverse]
