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


EXCLUSIONS: list[Exclusion] = [
    Exclusion("operator-rank-broadcast", _operator_rank_broadcast),
    Exclusion("build-stops-after-continuation", _build_stopped),
]
