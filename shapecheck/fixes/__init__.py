"""Suggested fixes: candidate edits for a finding, kept only when checked to work.

Each rule code has suggesters (registered with `suggester`); a suggester gets the finding
and where it is in the graph, and returns `Fix`es it has verified (by the shape algebra on
a copy of the graph, or by running the edited source again). `attach` runs them after the
rules, in the process that ran the rules (the supervised child for a builder module), and
keeps the best one or two per finding.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence

from shapecheck.graph import Graph, Node
from shapecheck.rules.base import Context, Finding, Fix

MAX_SHOWN = 2


@dataclass(frozen=True)
class FindingSite:
    """A finding with the model, graph and node it was reported on."""

    finding: Finding
    model: Graph
    graph: Graph
    node: Node
    path: str  # the checked file, as given on the command line
    context: Context


Suggester = Callable[[FindingSite], Iterator[Fix]]
SUGGESTERS: dict[str, list[Suggester]] = {}


def suggester(*codes: str) -> Callable[[Suggester], Suggester]:
    def register(function: Suggester) -> Suggester:
        for code in codes:
            SUGGESTERS.setdefault(code, []).append(function)
        return function

    return register


def enabled() -> bool:
    """SHAPECHECK_NO_FIXES=1 turns suggestions off (the benchmark measures what they cost)."""
    return os.environ.get("SHAPECHECK_NO_FIXES", "") in ("", "0")


def attach(findings: Sequence[Finding], models: Sequence[Graph], path: str, context: Context) -> Optional[str]:
    """Fill `finding.fixes` for every finding a suggester is registered for; a note when the
    work budget ran out before every finding was tried (never a silent gap)."""
    if not enabled():
        return None
    _load_suggesters()
    from shapecheck.fixes.verify import over_budget

    wanted = [f for f in findings if f.code in SUGGESTERS]
    for done, finding in enumerate(wanted):
        if over_budget(context):
            return _stopped(done, wanted)
        # by name and layer: two models of a file may share a name
        model, found = next(
            (
                (m, hit)
                for m in models
                if m.name == finding.model
                for hit in [m.find_node(finding.layer)]
                if hit is not None
            ),
            (None, None),
        )
        if found is None:
            continue
        assert model is not None  # found with it
        site = FindingSite(finding, model, found[0], found[1], path, context)
        fixes: list[Fix] = []
        for function in SUGGESTERS[finding.code]:
            fixes.extend(_suggestions(function, site))
        finding.fixes = sorted(dict.fromkeys(fixes), key=lambda fix: fix.cost)[:MAX_SHOWN]
        if over_budget(context):  # it ran out while this finding's candidates were tried
            return _stopped(done, wanted)
    return None


def _stopped(done: int, wanted: list[Finding]) -> str:
    return (
        f"suggested fixes stopped at finding {done + 1} of {len(wanted)} (the work budget for this file was "
        f"spent): {len(wanted) - done} may lack a suggestion"
    )


def _suggestions(function: Suggester, site: FindingSite) -> list[Fix]:
    """A suggester that fails on some graph costs that finding its suggestion, never the check."""
    try:
        return list(function(site))
    except Exception:  # noqa: BLE001 - a suggestion is optional; the finding stands without it
        if os.environ.get("SHAPECHECK_DEBUG"):
            import traceback

            traceback.print_exc()
        return []


def _load_suggesters() -> None:
    """Import the modules that register suggesters (kept lazy: reports need none of them)."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
