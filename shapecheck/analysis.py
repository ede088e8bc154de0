"""One set of graphs -> findings: every selected rule on every model, the size sweep (run
once per model and confirmed by Keras at witness sizes), then the fixes, each checked.

Front ends (capture/, saved/) make the graphs; the per-file worker (worker.py), the API
and --suggest-rebuild (rebuild.py) call this.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

from shapecheck import timing
from shapecheck.graph import Graph
from shapecheck.rules import Context, Finding, Rule, all_rules, group_repeats
from shapecheck.size_range import SizeRange


def selected_rules(select: Sequence[str], ignore: Sequence[str]) -> list[Rule]:
    """Rules whose code starts with a selected prefix and with no ignored one (ruff-style)."""

    def matches(code: str, prefixes: Sequence[str]) -> bool:
        return any(code.startswith(p.strip().upper()) for p in prefixes if p.strip())

    return [
        rule for rule in all_rules() if (not select or matches(rule.code, select)) and not matches(rule.code, ignore)
    ]


def check_graphs(
    graphs: Sequence[Graph],
    path: str,
    rules: Sequence[Rule],
    sizes: SizeRange = SizeRange(),
    notes: Optional[list] = None,
    unchecked: Optional[dict] = None,
    witnessed: Optional[dict] = None,
    size_maps: Optional[dict] = None,
) -> list[Finding]:
    """Every rule on every model; notes from the size sweep go to `notes`, the merges it
    could not evaluate to `unchecked` (model -> {merge: why}), what Keras said at the
    witness sizes to `witnessed` (model -> witnesses.Witnessed), and when `size_maps` is
    given, each model's size map to it (model -> size_map.ModelMaps)."""
    from shapecheck.algebra.float_errors import quiet_numpy  # numpy: only once there is a model

    with quiet_numpy():  # an overflow or 0/0 in the sweep is handled there, never printed
        return _rules_on(graphs, path, rules, sizes, notes, unchecked, witnessed, size_maps)


def _rules_on(graphs, path, rules, sizes, notes, unchecked, witnessed, size_maps) -> list[Finding]:
    from shapecheck import fixes, recovery
    from shapecheck.witnesses import SweepCache

    findings = []
    context = Context(sweeps=SweepCache(sizes))
    with timing.phase("rules"):
        for model in graphs:
            recovery.settle(model)
            for rule in rules:
                findings.extend(rule.check_model(model, path, context))
    if unchecked is not None and any(rule.checks_none_sizes for rule in rules):
        for model in graphs:  # swept once each, whichever of those rules found something
            context.sweeps.get(model)
        unchecked.update(context.sweeps.unchecked())
    said = context.sweeps.witnessed()
    if witnessed is not None:
        witnessed.update(said)
    if notes is not None:
        from shapecheck.witnesses import loud_notes

        notes.extend(n for n in loud_notes(said) if n not in notes)
        notes.extend(n for n in dict.fromkeys(context.sweeps.notes()) if n not in notes)
    grouped = group_repeats(sorted(findings, key=lambda f: f.sort_key))
    if size_maps is not None:
        _size_maps_into(size_maps, graphs, grouped, context, sizes)
    with timing.phase("fixes"):
        stopped = fixes.attach(grouped, graphs, path, context)
    if stopped and notes is not None:
        notes.append(stopped)
    return grouped


def _size_maps_into(size_maps: dict, graphs, findings: list[Finding], context: Context, sizes: SizeRange) -> None:
    from shapecheck.size_map import model_maps

    for model in graphs:
        merges = {
            layer for f in findings if f.model == model.name and f.rule.fails_at_sizes for layer, _ in f.members()
        }
        try:
            size_maps[model.name] = model_maps(model, context.sweeps.get(model), sizes, merges)
        except Exception:  # noqa: BLE001 - a picture is never worth failing the check for
            if os.environ.get("SHAPECHECK_DEBUG"):
                raise
