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

import ast
import time
from dataclasses import dataclass
from typing import Iterator, Optional

from shapecheck.fixes._source import Source, read_source
from shapecheck.graph import ChainFrame
from shapecheck.rules.base import Finding, Fix, Severity, TextEdit

REBUILD_CODES = {"SC101", "SC102", "SC103"}
MAX_REBUILDS = 4  # builds per file, on top of the first
LARGEST_SMALL_INT = 8  # an int argument up to this may pick a branch (strides, a block count)


@dataclass(frozen=True)
class Candidate:
    """One argument of one call, with the other value to try."""

    caller: str
    callee: str
    line: int
    name: str
    new: str
    edit: TextEdit

    def describe(self) -> str:
        by = "the module's" if self.caller == "<module>" else f"{self.caller}()'s"
        return f"{self.name}={self.new} in {by} call of {self.callee} (line {self.line}): verified by rebuilding"


def suggest_rebuilds(report, target, options, started: float) -> None:
    """Attach rebuild-verified fixes to the SC101-SC103 findings of `report` (a builder
    module's, already checked `started` seconds into the clock)."""
    wanted = [f for f in report.findings if f.code in REBUILD_CODES and f.cell is None]
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
            report.notes.append(f"--suggest-rebuild: stopped after {tried} rebuild{'s' if tried != 1 else ''} (--timeout)")
            return
        tried += 1
        rebuilt = _rebuild(source, candidate, target, options, left)
        if rebuilt is None:
            continue
        findings_after, shapes = rebuilt
        for finding in open_findings:
            if _resolved(finding, report.findings, findings_after):
                fix = Fix(candidate.describe(), "rebuild", candidate.edit.path, candidate.line, shapes,
                          (candidate.edit,), safe=False, cost=1)
                finding.fixes = [fix] + [f for f in finding.fixes if f != fix][:1]


def _order(candidate: Candidate) -> tuple:
    """Booleans before integers; otherwise in the order found (innermost call first)."""
    return (candidate.new not in ("True", "False"),)


def candidates(finding: Finding, source: Source, path: str) -> Iterator[Candidate]:
    """Every exact candidate edit of the finding's call chains (its own and its repeats'),
    innermost call first."""
    seen = set()
    for chain in finding.chains():
        for caller, callee in reversed(list(zip(chain, chain[1:]))):
            if caller.cell is not None or callee.cell is not None:
                continue
            for name, value in callee.args:
                for new in other_values(value):
                    edit = call_site_edit(source, caller, callee, name, value, new, path)
                    candidate = Candidate(caller.function, callee.function, caller.line, name, new, edit) if edit else None
                    if candidate is not None and candidate not in seen:
                        seen.add(candidate)
                        yield candidate


def other_values(value: str) -> list[str]:
    if value in ("True", "False"):
        return ["False" if value == "True" else "True"]
    if value.isdigit() and int(value) <= LARGEST_SMALL_INT:
        number = int(value)
        return [str(n) for n in (number + 1, number - 1) if n >= 0]
    return []


def call_site_edit(source: Source, caller: ChainFrame, callee: ChainFrame, name: str, old: str, new: str,
                   path: str) -> Optional[TextEdit]:
    """The edit giving `name` the value `new` in the one call of `callee` on the caller's line,
    if that call is in this file and passes a literal `old` (or nothing: the default)."""
    if not _in_caller(source.tree, caller):
        return None
    calls = [n for n in ast.walk(source.tree) if isinstance(n, ast.Call) and n.lineno == caller.line
             and _name(n.func) == callee.function]
    definition = _function(source.tree, callee.function)
    if len(calls) != 1 or definition is None:
        return None
    call = calls[0]
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None
    value = next((k.value for k in call.keywords if k.arg == name), None)
    params = [a.arg for a in definition.args.posonlyargs + definition.args.args]
    if params[:1] in (["self"], ["cls"]) and isinstance(call.func, ast.Attribute):
        params = params[1:]  # self.block(x, ...): the first argument written is the second parameter
    if value is None and name in params and params.index(name) < len(call.args):
        value = call.args[params.index(name)]
    if value is not None:
        if not (isinstance(value, ast.Constant) and repr(value.value) == old) or value.lineno != value.end_lineno:
            return None
        return source.edit(value.lineno, value.col_offset, value.end_lineno, value.end_col_offset, new, path, None)
    if name not in params + [a.arg for a in definition.args.kwonlyargs]:
        return None
    arguments = call.args + [k for k in call.keywords]
    if arguments:
        last = max(arguments, key=lambda a: (a.end_lineno, a.end_col_offset))
        return source.edit(last.end_lineno, last.end_col_offset, last.end_lineno, last.end_col_offset,
                           f", {name}={new}", path, None)
    end = call.end_col_offset - 1  # the closing parenthesis
    return source.edit(call.end_lineno, end, call.end_lineno, end, f"{name}={new}", path, None)


def _in_caller(tree: ast.Module, caller: ChainFrame) -> bool:
    """The caller's line lies in a function of that name in this file (or at module level)."""
    if caller.function == "<module>":
        return True
    return any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == caller.function
        and n.lineno <= caller.line <= n.end_lineno
        for n in ast.walk(tree)
    )


def _function(tree: ast.Module, name: str) -> Optional[ast.FunctionDef]:
    found = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name]
    return found[0] if len(found) == 1 else None


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _rebuild(source: Source, candidate: Candidate, target, options, seconds: float) -> Optional[tuple[list[Finding], tuple]]:
    """(findings, input shapes) of the module built from the edited text; None if it failed."""
    from shapecheck import suppress
    from shapecheck.load.builder import load_builder_module
    from shapecheck.load.errors import CheckError
    from shapecheck.provenance import format_shape
    from shapecheck.rewrite import apply_edits
    from shapecheck.runner import check_graphs, selected_rules

    text = apply_edits(source.text, [candidate.edit])
    try:
        loaded = load_builder_module(target.path, options.entries_for(target.path), seconds,
                                     options.input_shapes_for(), text=text)
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
    if any(f.code in REBUILD_CODES and f.path == finding.path and f.line in lines for f in after):
        return False
    known = {(f.code, f.path, f.line) for f in before}
    return not any(f.severity >= Severity.ERROR and (f.code, f.path, f.line) not in known for f in after)
