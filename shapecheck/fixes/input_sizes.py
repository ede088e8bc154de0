"""Input sizes at which every merge agrees, read from the size sweep: "use 224×224 or
256×256, not 240×240" for a fixed-size model, "pad or resize to the next valid size" for one
declared with None sizes. The sizes named are evaluated again on the model before they are
shown."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator, Optional

import numpy as np

from shapecheck.fixes import FindingSite, suggester, verify
from shapecheck.fixes.wording import make_fix
from shapecheck.graph import Graph, Node
from shapecheck.rules.base import Fix

COST = 3  # the data changes, not one argument


def passing_rows(sweep) -> np.ndarray:
    """Rows at which the model accepts the sizes and no merge fails."""
    failing = sweep.union(sweep.merges) if sweep.merges else np.zeros(len(sweep.candidates), bool)
    return sweep.accepted & ~failing


def nearest(sweep, rows: np.ndarray, around: np.ndarray) -> list[int]:
    """The passing rows closest to `around` (fewest axes changed, then the smallest change):
    the nearest below (or equal) and the nearest above."""
    picks = []
    values = sweep.candidates[rows]
    index = np.flatnonzero(rows)
    distance = (values != around).sum(axis=1) * (1 << 20) + np.abs(values - around).max(axis=1)
    below = (values <= around).all(axis=1)
    for side in (below, ~below):
        if side.any():
            picks.append(int(index[side][np.argmin(distance[side])]))
    return picks


def sizes_agree(site: FindingSite, sweep, rows: list[int]) -> Optional[tuple]:
    """The model evaluated again at exactly these rows: the finding's merges agree and no
    merge conflicts that did not already at the declared size; then Keras builds it there
    (verify.keras_builds). The sizes Keras built at (() where it cannot be asked), or None."""
    before = set(verify.baseline(site).conflicts)
    if sweep.fixed and not {layer for layer, _ in site.finding.members()} <= before:
        return None  # the algebra does not see this mismatch: it cannot vouch for other sizes
    after = verify.evaluate(site, site.model, verify.sweep_inputs(sweep, site.model, sweep.candidates[rows]), len(rows))
    needed = verify.must_agree(site)
    if not after.accepted.all() or set(after.conflicts) & (needed | (set(after.conflicts) - before)):
        return None
    return verify.keras_builds(site, rows=rows)


def _group_rows(sweep) -> np.ndarray:
    return sweep.groups == "square" if not sweep.qualified else np.ones(len(sweep.candidates), bool)


@suggester("SC101", "SC102")
def declared_size(site: FindingSite) -> Iterator[Fix]:
    """A fixed-size model that would work at other sizes: the nearest ones."""
    sweep = verify.sweep_of(site)
    if sweep is None or not sweep.fixed or sweep.qualified:
        return
    group = _group_rows(sweep)
    declared = np.array(sweep.declared)
    rows = passing_rows(sweep) & group & (sweep.candidates != declared).any(axis=1)
    if not rows.any() or len(set(sweep.declared)) != 1:
        return
    picks = nearest(sweep, rows, declared)
    built = sizes_agree(site, sweep, picks) if picks else None
    if built is None:
        return
    rule = sweep.constraint(failing_rows(sweep, group))
    shown = " or ".join(sweep.size_text(r) for r in picks)
    words = f"an input size at which every merge agrees: {shown}, not {sweep.declared_text()} ({rule}; pad or resize the input)"
    fix = make_fix(site, _input_node(site.model), words, "input-size", tuple(sweep.size_text(r) for r in picks), COST)
    yield replace(fix, keras_built=built)


def failing_rows(sweep, group: np.ndarray) -> np.ndarray:
    """Every row where something fails (for the rule in words), square rows only."""
    return ~passing_rows(sweep) & sweep.accepted & group


@suggester("SC104")
def next_valid_size(site: FindingSite) -> Iterator[Fix]:
    """A model declared with None sizes: feed only sizes at which every merge agrees."""
    sweep = verify.sweep_of(site)
    if sweep is None or sweep.fixed:
        return
    merge = next((m for m in sweep.merges if m.node.name == site.finding.layer), None)
    if merge is None or merge.from_keras:
        yield from _keras_built_size(site, sweep, merge)
        return
    group = _group_rows(sweep)
    failing_here = np.flatnonzero(merge.failing & group)
    rows = passing_rows(sweep) & group
    if not len(failing_here) or not rows.any():
        return
    example = _example_row(sweep, failing_here)
    picks = nearest(sweep, rows, sweep.candidates[example])[::-1]  # the next larger size first
    built = sizes_agree(site, sweep, picks[:1]) if picks else None
    if built is None:
        return
    rule = sweep.constraint(sweep.union(sweep.merges))
    words = (
        f"feed only sizes at which every merge agrees ({rule}; pad or resize the input): "
        f"e.g. {sweep.size_text(picks[0])} instead of {sweep.size_text(example)}"
    )
    fix = make_fix(site, _input_node(site.model), words, "input-size", verify.verified_sweep(site), COST)
    yield replace(fix, keras_built=built)


def _keras_built_size(site: FindingSite, sweep, merge) -> Iterator[Fix]:
    """A failure only Keras saw (past a layer the algebra cannot follow, or inside a call()
    it cannot see): the size Keras built nearest one it refused. Keras built it, so that is
    the check; no rule in words is claimed."""
    keras = sweep.witnessed
    if keras is None or not keras.built_rows:
        return
    if merge is not None:
        refused = np.flatnonzero(merge.failing)
    else:
        at = next(
            (rows for layer, line, rows in keras.inside if layer == site.finding.layer and line == site.finding.line),
            None,
        )
        refused = np.array(sorted(at or []), dtype=np.int64)
    if not len(refused):
        return
    example = _example_row(sweep, refused)
    built = np.array(keras.built_rows, dtype=np.int64)
    distance = np.abs(sweep.candidates[built] - sweep.candidates[example]).sum(axis=1)
    pick = int(built[int(np.argmin(distance))])
    words = (
        f"feed only sizes at which Keras builds the model (it refuses {sweep.size_text(example)}): "
        f"e.g. {sweep.size_text(pick)} instead of {sweep.size_text(example)}"
    )
    fix = make_fix(site, _input_node(site.model), words, "input-size", (sweep.size_text(pick),), COST)
    yield replace(fix, keras_built=(sweep.size_text(pick),))


def _example_row(sweep, failing: np.ndarray) -> int:
    """A failing size a user would feed: the first one at or above 32 (or the largest tried)."""
    values = sweep.candidates[failing].min(axis=1)
    big = np.flatnonzero(values >= 32)
    return int(failing[big[0]] if len(big) else failing[-1])


def _input_node(model: Graph) -> Optional[Node]:
    return model.nodes[model.inputs[0]] if model.inputs else None
