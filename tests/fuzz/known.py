"""Known, listed exclusions: disagreements in code this branch does not own (capture/,
rules/, sweep.py), each recorded in tests/fuzz/KNOWN.md under its name. A generated graph
an exclusion applies to is not compared; how many graphs each one applied to is printed
with the coverage, so nothing is skipped silently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Exclusion:
    name: str  # the heading in KNOWN.md
    test: Callable  # (spec, subject) -> bool; subject has .graph, .findings, .sweep, .notes

    def applies(self, spec, subject) -> bool:
        return bool(self.test(spec, subject))


def _operator_rank_broadcast(spec, subject) -> bool:
    """`a + b` / keras.ops.add(a, b) with inputs of different rank (a (batch, C) vector over a
    (batch, H, W, C) map): numpy broadcasting lines the batch axis up with W, so the model
    builds and fails when run on a batch of more than one."""
    for _, node in subject.graph.walk():
        if node.kind == "op" and node.merge is not None and node.merge.kind == "elementwise":
            if len({len(s) for s in node.input_shapes}) > 1:
                return True
    return False


def _build_stopped(spec, subject) -> bool:
    """After a merge that fails at the declared size, capture goes on with the deepest
    input's shape; a later layer can then refuse that shape and the builder raises, so the
    merges after it are never seen (the outer model is not built)."""
    return any(" raised: " in note for note in subject.notes)


def _none_axis_not_swept(spec, subject) -> bool:
    """An input axis declared None that the sweep does not vary: the input's layout is read
    as channels_last (no layer with a data_format reads it, or only a nested model does), so
    its None axis is taken for the channels and left out, though the sweep is documented
    to sweep every None axis of every input."""
    sweep, graph = subject.sweep, subject.graph
    if sweep is None or sweep.skipped or len(graph.inputs) != spec.n_inputs:
        return any(d is None for i in spec.inputs for d in i.shape) and sweep is not None and bool(sweep.skipped)
    swept = {(a.input_id, a.index) for a in sweep.axes}
    return any(
        (graph.inputs[p], j + 1) not in swept
        for p, inp in enumerate(spec.inputs)
        for j, d in enumerate(inp.shape)
        if d is None
    )


EXCLUSIONS: list[Exclusion] = [
    Exclusion("none-axis-not-swept", _none_axis_not_swept),
    Exclusion("operator-rank-broadcast", _operator_rank_broadcast),
    Exclusion("build-stops-after-continuation", _build_stopped),
]
