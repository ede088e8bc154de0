"""Shape arithmetic of merge nodes, mirroring Keras' own checks.

Keras (layers/merging/base_merge.py) aligns shapes from the right: `None` is
compatible with anything, a size-1 axis broadcasts, anything else must be equal.
`Concatenate` needs every axis but the concat axis equal (a size-1 axis passes
Keras' build check but fails when the model runs, so it counts as a conflict).
The same rules hold for `keras.ops.add/subtract/multiply/concatenate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, cast

from shapecheck.graph import Dim, MergeSpec, Shape


@dataclass(frozen=True)
class AxisConflict:
    """Axis `axis` (index in the longest input, 0 = batch) has dims that cannot merge."""

    axis: int
    dims: tuple[Dim, ...]  # one per input, None where the input lacks the axis or it is unknown


@dataclass(frozen=True)
class Broadcast:
    """Input `input_index` is stretched along `axis` (size 1, or the axis is missing)."""

    input_index: int
    axis: int
    missing: bool  # True when the input has fewer axes (rank broadcast)


@dataclass(frozen=True)
class MergeOutcome:
    conflicts: tuple[AxisConflict, ...]
    broadcasts: tuple[Broadcast, ...]
    rank_mismatch: bool  # inputs differ in rank

    @property
    def ok(self) -> bool:
        return not self.conflicts


def _aligned(shapes: Sequence[Shape]) -> tuple[int, list[list]]:
    """Right-align shapes (batch axis aside, as Keras does); a missing axis is "missing"."""
    rank = max(len(s) for s in shapes)
    return rank, [[s[0] if s else None] + ["missing"] * (rank - len(s)) + list(s[1:]) for s in shapes]


def elementwise(shapes: Sequence[Shape]) -> MergeOutcome:
    rank, rows = _aligned(shapes)
    conflicts, broadcasts = [], []
    for axis in range(1, rank):  # axis 0 is the batch
        column = [row[axis] for row in rows]
        known = {d for d in column if isinstance(d, int) and d != 1}
        if len(known) > 1:
            conflicts.append(AxisConflict(axis, tuple(d if isinstance(d, int) else None for d in column)))
            continue
        target = next(iter(known), None)
        for i, d in enumerate(column):
            if d == "missing":
                broadcasts.append(Broadcast(i, axis, missing=True))
            elif d == 1 and target is not None:
                broadcasts.append(Broadcast(i, axis, missing=False))
    ranks = {len(s) for s in shapes}
    return MergeOutcome(tuple(conflicts), tuple(broadcasts), len(ranks) > 1)


@dataclass(frozen=True)
class BatchClash:
    """An op (`x - y`, `keras.ops.add`) broadcasts NumPy's way, from the right with the batch
    axis included: a lower-rank input's batch axis lands on axis `axis` of input `against`,
    of size `size`, so the op fails for every batch size but 1 and `size`."""

    input_index: int
    against: int
    axis: int
    size: int


def batch_clash(shapes: Sequence[Shape]) -> Optional[BatchClash]:
    """For an elementwise op whose inputs differ in rank: where NumPy's alignment puts a
    lower-rank input's batch axis on a fixed-size axis of a higher-rank one."""
    rank = max(len(s) for s in shapes)
    for i, s in enumerate(shapes):
        if not s or len(s) == rank or s[0] is not None:
            continue  # a lower-rank input without a batch axis ((L, D) positions) broadcasts as meant
        at = rank - len(s)  # where its batch axis lands
        for j, other in enumerate(shapes):
            if len(other) == rank and isinstance(size := other[at], int) and size != 1:
                return BatchClash(i, j, at, size)
    return None


def concat(shapes: Sequence[Shape], axis: int) -> MergeOutcome:
    ranks = {len(s) for s in shapes}
    if len(ranks) > 1:
        rank = max(ranks)
        dims = tuple(None for _ in shapes)
        return MergeOutcome((AxisConflict(rank - 1, dims),), (), True)
    (rank,) = ranks
    cat_axis = axis % rank
    conflicts = []
    for ax in range(1, rank):
        if ax == cat_axis:
            continue
        column = tuple(s[ax] for s in shapes)
        if len({d for d in column if d is not None}) > 1:
            conflicts.append(AxisConflict(ax, column))
    return MergeOutcome(tuple(conflicts), (), False)


def dot(shapes: Sequence[Shape], axes) -> MergeOutcome:
    """Keras' Dot.build compares the two axes as they are: an unknown size (None) agrees
    only with another unknown one (None against 5 raises when the model is built)."""
    a, b = shapes[0], shapes[1]
    ax_a, ax_b = _dot_axes(a, b, axes)
    da, db = a[ax_a], b[ax_b]
    conflicts: tuple[AxisConflict, ...] = ()
    if da != db:
        conflicts = (AxisConflict(ax_a, (da, db)),)
    return MergeOutcome(conflicts, (), len(a) != len(b))


def _dot_axes(a: Shape, b: Shape, axes) -> tuple[int, int]:
    if isinstance(axes, (list, tuple)):
        ax_a, ax_b = axes
    else:
        ax_a = ax_b = axes
    return ax_a % len(a), ax_b % len(b)


def outcome(spec: MergeSpec, shapes: Sequence[Shape]) -> MergeOutcome:
    if spec.kind == "concat":
        return concat(shapes, spec.axis)
    if spec.kind == "dot":
        return dot(shapes, spec.axis)
    return elementwise(shapes)


def best_guess(spec: MergeSpec, shapes: Sequence[Shape], preferred: int) -> Shape:
    """The output shape to continue building with after a conflict.

    Follows input `preferred` (capture passes the deepest branch, i.e. the main
    branch of a residual block, so the blocks after it see what the author meant).
    """
    base = list(shapes[preferred])
    if spec.kind == "concat":
        cat_axis = spec.axis % len(base)
        sizes = [s[cat_axis] if len(s) == len(base) else None for s in shapes]
        base[cat_axis] = None if None in sizes else sum(cast("list[int]", sizes))
    elif spec.kind == "dot":
        a, b = shapes[0], shapes[1]
        ax_a, ax_b = _dot_axes(a, b, spec.axis)
        rest = [d for i, d in enumerate(a) if i != ax_a] + [d for i, d in enumerate(b) if i not in (0, ax_b)]
        base = rest if len(rest) > 1 else rest + [1]
    return tuple(base)


def merged_shape(spec: MergeSpec, shapes: Sequence[Shape]) -> Optional[Shape]:
    """The output shape Keras computes for compatible inputs (None if they conflict)."""
    result = outcome(spec, shapes)
    if not result.ok:
        return None
    if spec.kind != "elementwise":
        return best_guess(spec, shapes, 0)
    rank, rows = _aligned(shapes)
    out: list[Dim] = [None]
    for axis in range(1, rank):
        column = [row[axis] for row in rows if row[axis] != "missing"]
        if any(d is None for d in column):
            out.append(None)
        else:
            out.append(max(column))
    return tuple(out)
