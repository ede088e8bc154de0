"""--suggest-rebuild: the other value of a flag in the call chain, verified by building again.

A mismatch is often chosen by an argument, not by a layer: the seeds' `stack()` calls
`block(..., conv_shortcut=False)`, and that block's identity shortcut cannot match. For an
SC101/SC102/SC103 finding, each boolean (or small integer) argument of a user function in
its call chain is a candidate: the literal at the call site is replaced with the other
value (or the keyword is added, when the default was used), the module is run again from
that edited text under its own file name (nothing is written), and the rules run on what it
builds. The suggestion is kept when the finding, its repeats and its consequences are gone
and nothing new is an error. Each candidate costs one more build of the module, so this is
opt-in, bounded (MAX_REBUILDS) and within --timeout.
"""

from __future__ import annotations

import time
from typing import Optional

from shapecheck.errors import CheckError
from shapecheck.fixes._call_site import Candidate, candidates
from shapecheck.fixes._source import Source, read_source
from shapecheck.rules.base import Finding, Fix, Severity

MAX_REBUILDS = 4  # builds per file, on top of the first


def suggest_rebuilds(report, target, options, started: float) -> None:
    """Attach rebuild-verified fixes to the SC101-SC103 findings of `report`, a builder
    module's whose check began at `started` (time.monotonic()): the rebuilds share its --timeout."""
    wanted = [f for f in report.findings if f.rule.rebuild and f.cell is None]
    if not wanted:
        return
    source = read_source(target.path, None)
    if source is None:
        return
    by_candidate: dict[Candidate, list[Finding]] = {}
    for finding in wanted:
        for candidate in candidates(finding, source, target.path):
            by_candidate.setdefault(candidate, []).append(finding)
    first_build = time.monotonic() - started
    tried = 0
    for candidate, findings in sorted(by_candidate.items(), key=lambda item: _order(item[0])):
        open_findings = [f for f in findings if not any(x.kind == "rebuild" for x in f.fixes)]
        if not open_findings:
            continue
        if tried == MAX_REBUILDS:
            report.notes.append(f"--suggest-rebuild: stopped after {MAX_REBUILDS} rebuilds")
            return
        left = options.timeout - (time.monotonic() - started)
        if left < 2 * first_build:  # the rebuild and its rules, with the first build's time to spare
            report.notes.append(
                f"--suggest-rebuild: stopped after {tried} rebuild{'s' if tried != 1 else ''} (--timeout)"
            )
            return
        tried += 1
        rebuilt = _rebuild(source, candidate, target, options, left)
        if rebuilt is None:
            continue
        findings_after, shapes = rebuilt
        for finding in open_findings:
            if _resolved(finding, report.findings, findings_after):
                fix = Fix(
                    candidate.describe(),
                    "rebuild",
                    candidate.edit.path,
                    candidate.line,
                    shapes,
                    (candidate.edit,),
                    safe=False,
                    cost=1,
                )
                finding.fixes = [fix] + [f for f in finding.fixes if f != fix][:1]


def _order(candidate: Candidate) -> tuple:
    """Booleans before integers; otherwise in the order found (innermost call first)."""
    return (candidate.new not in ("True", "False"),)


def _rebuild(
    source: Source, candidate: Candidate, target, options, seconds: float
) -> Optional[tuple[list[Finding], tuple]]:
    """(findings, input shapes) of the module built from the edited text; None if it failed."""
    from shapecheck import suppress
    from shapecheck.analysis import check_graphs, selected_rules
    from shapecheck.apply_fixes import apply_edits
    from shapecheck.load.builder import load_builder_module
    from shapecheck.provenance import format_shape

    text = apply_edits(source.text, [candidate.edit])
    try:
        loaded = load_builder_module(
            target.path,
            options.entries_for(target.path),
            seconds,
            options.input_shapes_for(),
            defer_weights=not options.build_weights,
            text=text,
        )
    except CheckError:
        return None
    if not loaded.graphs or any("raised" in note for note in loaded.notes):
        return None
    rules = selected_rules(options.select, options.ignore_for(target.path))
    findings = check_graphs(loaded.graphs, target.path, rules, options.sizes)
    findings = suppress.apply(findings, {target.path}, False)
    shapes = tuple(format_shape(s) for g in loaded.graphs for s in g.input_shapes)
    return findings, shapes


def _resolved(finding: Finding, before: list[Finding], after: list[Finding]) -> bool:
    """The finding, its repeats and consequences are gone, and no error is new."""
    lines = {finding.line} | {r.line for r in finding.related}
    if any(f.rule.rebuild and f.path == finding.path and f.line in lines for f in after):
        return False
    known = {(f.code, f.path, f.line) for f in before}
    return not any(f.severity >= Severity.ERROR and (f.code, f.path, f.line) not in known for f in after)
