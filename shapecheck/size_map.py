"""The map of input sizes that work and that fail, for a model the size sweep covers: the
data the HTML report draws (report/html/sizemap.py), made where the analysis runs (in the
supervised child, with Keras' shape functions and the witnesses' verdicts at hand) and
carried on the report, so that no reporter evaluates the model again.

Two pictures' worth of data:
  - H × W: every pair of sizes from the bottom of the range up to 128 (one extra vectorised
    pass of the shape algebra, like the sweep's own), so "multiples of 32" reads as a lattice
    and "fails for odd H or W" as stripes;
  - square sizes s × s over the whole range.
For a model with one length axis, only the second. A model where Keras disputed the shape
algebra (witnesses.py) gets no pictures: only its rule and the disagreement.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

WORKS, FAILS, REFUSED, DECLARED, BLANK = 1, 2, 0, 3, 4
# codes: not accepted, works, fails, declared, outside the range (transparent)
GRID_UP_TO = 128
ROW = 32


@dataclass
class SizeMap:
    names: list[str]
    rule: str  # the constraint in words
    tried: str
    fixed: bool
    declared: tuple
    grid: Optional[np.ndarray] = None  # (K, K) codes, H rows and W columns, from `low`
    low: int = 1
    square_values: Optional[np.ndarray] = None
    square_codes: Optional[np.ndarray] = None
    examples: str = ""
    notes: tuple = ()


@dataclass
class ModelMaps:
    """What the HTML report draws for one model, made beside the analysis."""

    map: Optional[SizeMap] = None
    # merge name -> (a size where it fails, {node id: output shape there} in the merge's own graph)
    examples: dict = field(default_factory=dict)


def model_maps(model, sweep, sizes, merges) -> ModelMaps:
    """The size map and, for each of `merges` (names of merges with a size finding), the
    shapes at a size where it fails."""
    out = ModelMaps(build(model, sizes, sweep))
    for name in merges:
        node = next((n for _, n in model.merges() if n.name == name), None)
        found = example(model, sweep, node) if node is not None else None
        if found is not None:
            out.examples[name] = found
    return out


def build(model, sizes, sweep) -> Optional[SizeMap]:
    """The map for `model` over `sizes` (a sweep.SizeRange), or None when there is none to draw:
    no axis to sweep, or a fixed-size model whose merges agree at every size."""
    from shapecheck.algebra.merge import outcome

    if sweep is None or sweep.skipped or sweep.candidates is None or sweep.accepted is None:
        return None
    keras = sweep.witnessed
    if keras is not None and (keras.disputes or keras.unavailable):  # the algebra's picture is not Keras': no picture
        said = list(keras.disputes.values()) or [keras.summary()]
        return SizeMap(
            names=list(sweep.names),
            rule="Keras disputes the shape algebra here: no map is drawn",
            tried=sweep.tried(),
            fixed=bool(sweep.fixed),
            declared=tuple(sweep.declared),
            notes=tuple(said),
        )
    sized = [m for m in sweep.merges if not m.from_keras and outcome(m.node.merge, m.node.input_shapes).ok]
    if sweep.fixed and not sized:
        return None
    names = list(sweep.names)
    n = len(sweep.candidates)
    failing = sweep.union(sized) if sized else np.zeros(n, dtype=bool)
    if sized and not any(sweep.fails_square(m) for m in sized):
        rule = (
            "works only when H = W: every size with H ≠ W fails" if names == ["H", "W"] else sweep.constraint(failing)
        )
    elif sized:
        rule = sweep.constraint(failing)
    else:
        rule = "works at every size tried"
        square = sweep.groups == "square"
        accepted_sizes = sweep.candidates[square & sweep.accepted, 0]
        if len(accepted_sizes) and accepted_sizes.min() > sizes.low:
            rule += f" that the model accepts ({' and '.join(names)} ≥ {int(accepted_sizes.min())})"
    square = sweep.groups == "square"
    codes = np.where(sweep.accepted, np.where(failing, FAILS, WORKS), REFUSED)
    result = SizeMap(
        names=names,
        rule=rule,
        tried=f"{' and '.join(names)} over {sizes}",
        fixed=bool(sweep.fixed),
        declared=tuple(getattr(sweep, "declared", ()) or ()),
        low=sizes.low,
        square_values=sweep.candidates[square, 0],
        square_codes=codes[square],
        examples=sweep.examples(failing) if sized else "",
        notes=tuple(sweep.notes) + ((keras.summary(),) if keras is not None and keras.summary() else ()),
    )
    if len(names) == 2:
        result.grid = _grid(model, sweep, sized, sizes)
    return result


def _grid(model, sweep, sized, sizes) -> Optional[np.ndarray]:
    """Codes for every pair of sizes of the two swept axes (H and W, or two inputs' lengths)
    from sizes.low up, in one evaluation."""
    from shapecheck.algebra.evaluate import Evaluator

    high = min(sizes.high, sizes.low + _extent(sweep, sized) - 1)
    values = np.arange(sizes.low, high + 1, dtype=np.int64)
    a, b = np.meshgrid(values, values, indexing="ij")
    mapping = _inputs_at(model, sweep, [a.ravel(), b.ravel()])
    if mapping is None:
        return None
    try:
        evaluator = Evaluator(a.size)
        evaluator.run(model, mapping)
    except Exception:  # noqa: BLE001 - a picture is not worth failing the report for
        if os.environ.get("SHAPECHECK_DEBUG"):
            raise
        return None
    result = evaluator.result
    keys = {(id(m.graph), m.node.id) for m in sized}
    failing = np.zeros(a.size, dtype=bool)
    for key, mask in result.merge_fail.items():
        if key in keys or (result.merge_nodes.get(key) and _sized(result.merge_nodes[key][1])):
            failing |= np.asarray(mask, dtype=bool)
    accepted = np.broadcast_to(np.asarray(result.accepted, dtype=bool), (a.size,))
    codes = np.where(accepted, np.where(failing, FAILS, WORKS), REFUSED)
    return codes.reshape(len(values), len(values))


def example(model, sweep, node) -> Optional[tuple[str, dict]]:
    """A size at which `node` fails in the sweep, and every node's output shape there:
    ("5×5", {node id: shape} in the merge's own graph); None when the sweep has no such size."""
    from shapecheck.algebra.evaluate import Evaluator

    merge = next((m for m in sweep.merges if m.node is node and not m.from_keras), None)
    if merge is None or sweep.candidates is None:
        return None
    rows = np.flatnonzero(merge.failing & (sweep.groups == "square"))
    if not len(rows):
        rows = np.flatnonzero(merge.failing)
    if not len(rows):
        return None
    near = np.abs(sweep.candidates[rows].astype(np.int64) - 224).sum(axis=1)
    row = int(rows[int(np.argmin(near))])  # the failing size nearest a usual image size
    values = [int(v) for v in sweep.candidates[row]]
    label = sweep.size_text(row) if hasattr(sweep, "size_text") else "×".join(map(str, values))
    mapping = _inputs_at(model, sweep, values)
    if mapping is None:
        return None
    evaluator = Evaluator(1)
    evaluator.run(model, mapping, keep_shapes=True)
    own = id(merge.graph)
    shapes = {
        node_id: tuple(_int(d) for d in shape)
        for (graph_id, node_id), shape in evaluator.result.shapes.items()
        if shape is not None and graph_id == own
    }
    return label, shapes


def _int(d):
    if d is None:
        return None
    arr = np.asarray(d).ravel()
    return int(arr[0]) if arr.size else None


def _inputs_at(model, sweep, values: list) -> Optional[dict]:
    """Input shapes with the swept axes at `values` (one per column of the sweep's candidates:
    sizes, or arrays of them)."""
    from shapecheck.sweep import image_inputs

    axes = getattr(sweep, "axes", None)
    mapping = {i: list(model.nodes[i].output_shapes[0]) for i in model.inputs}
    if axes and hasattr(axes[0], "input_id"):  # a sweep with one column per input axis
        for k, axis in enumerate(axes):
            mapping[axis.input_id][axis.index] = values[k]
        return {i: tuple(s) for i, s in mapping.items()}
    declared = tuple(sweep.declared)
    free = [k for k, d in enumerate(declared) if sweep.fixed or d is None]
    if len(free) != len(values):
        return None
    for node, spatial in image_inputs(model):
        for j, k in enumerate(free):
            mapping[node.id][spatial[k]] = values[j]
    return {i: tuple(s) for i, s in mapping.items()}


def _extent(sweep, sized) -> int:
    """How many sizes per side the H × W picture shows: four periods of the failing pattern
    along the square sizes (so "odd" shows 32, "multiples of 32" 128), at least 32."""
    if not sized:
        return 64
    square = sweep.groups == "square"
    fails = sweep.union(sized)[square]
    accepted = sweep.accepted[square]
    for period in (2, 4, 8, 16, 32):
        a, b = fails[:-period], fails[period:]
        both = accepted[:-period] & accepted[period:]
        if both.any() and (a[both] == b[both]).all():
            return max(32, min(GRID_UP_TO, 4 * period))
    return GRID_UP_TO


def _sized(node) -> bool:
    from shapecheck.algebra.merge import outcome

    return outcome(node.merge, node.input_shapes).ok
