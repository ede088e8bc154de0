"""Known, listed exclusions: disagreements in code this branch does not own, recorded in
tests/fuzz/KNOWN.md. A generated graph an exclusion applies to is not compared, and the
count of graphs each exclusion applied to is printed with the coverage: never silent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Exclusion:
    name: str  # the heading in KNOWN.md
    test: Callable  # (spec, graph, sweep, findings) -> bool

    def applies(self, spec, graph, sweep, findings) -> bool:
        return bool(self.test(spec, graph, sweep, findings))


EXCLUSIONS: list[Exclusion] = []
