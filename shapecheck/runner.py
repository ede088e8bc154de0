"""The run: discover files, load each into graphs, apply the rules, collect findings.

Detection never prints; the CLI (or a caller of `check_paths`) hands the result to a
reporter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

from shapecheck import recovery, suppress
from shapecheck.config import Config
from shapecheck.graph import Graph
from shapecheck.load.discover import SAVED_SUFFIXES, Target, discover
from shapecheck.load.errors import CheckError
from shapecheck.rules import Context, Finding, Rule, Severity, all_rules, group_repeats
from shapecheck.rules.sizes import DYNAMIC_SWEEP_CODES
from shapecheck.sweep import SizeRange, SweepCache


FAIL_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


@dataclass
class Options:
    select: Sequence[str] = ()  # code prefixes; empty = all
    ignore: Sequence[str] = ()
    entries: Sequence = ()  # builder functions to call (--entry): names or config.Entry
    timeout: float = 120.0
    sizes: SizeRange = SizeRange()  # the size sweep's range for H and W (--sizes)
    config: Optional[Config] = None  # per-file ignores and entries from [tool.shapecheck]
    warn_unused_ignores: bool = False
    jobs: int = 1  # worker processes (-j)
    input_shapes: dict = field(default_factory=dict)  # subclassed models: name -> batch shape (--input-shape)

    def entries_for(self, path: str) -> list:
        if self.entries:
            return list(self.entries)
        return self.config.entries_for(path) if self.config else []

    def input_shapes_for(self) -> dict:
        return {**(self.config.input_shapes if self.config else {}), **self.input_shapes}

    def ignore_for(self, path: str) -> list[str]:
        return list(self.ignore) + (self.config.ignores_for(path) if self.config else [])


@dataclass
class FileReport:
    path: str
    models: list[Graph] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: Optional[str] = None
    skip: Optional[str] = None  # not checked, and rightly so (a .py that imports no Keras)
    unchecked: dict = field(default_factory=dict)  # model -> {merge: why the size sweep did not reach it}

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        if self.skip:
            return "skipped"
        if self.unchecked:
            return "partial"  # some merges were not swept: never "ok", whatever else was found
        return "findings" if self.findings else "ok"

    @property
    def not_swept(self) -> int:
        return sum(len(merges) for merges in self.unchecked.values())


@dataclass
class RunReport:
    files: list[FileReport]

    @property
    def findings(self) -> list[Finding]:
        return [f for file in self.files for f in file.findings]

    @property
    def errors(self) -> list[str]:
        return [file.error for file in self.files if file.error]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def fails_at(self, level: str) -> bool:
        """Is there a finding at or above `level` (error, warning, info; never: no)?"""
        threshold = FAIL_LEVELS.get(level)
        return threshold is not None and any(f.severity >= threshold for f in self.findings)

    @property
    def all_skipped(self) -> bool:
        return bool(self.files) and all(f.skip for f in self.files)

    @property
    def models(self) -> list[Graph]:
        return [g for file in self.files for g in file.models]

    @property
    def merge_count(self) -> int:
        return sum(1 for g in self.models for _ in g.merges())

    @property
    def not_swept(self) -> int:
        """Merges of models declared with None sizes that the size sweep could not evaluate."""
        return sum(file.not_swept for file in self.files)


def selected_rules(select: Sequence[str], ignore: Sequence[str]) -> list[Rule]:
    """Rules whose code starts with a selected prefix and with no ignored one (ruff-style)."""
    def matches(code: str, prefixes: Sequence[str]) -> bool:
        return any(code.startswith(p.strip().upper()) for p in prefixes if p.strip())

    return [
        rule
        for rule in all_rules()
        if (not select or matches(rule.code, select)) and not matches(rule.code, ignore)
    ]


def check_graphs(
    graphs: Sequence[Graph], path: str, rules: Sequence[Rule], sizes: SizeRange = SizeRange(), notes: Optional[list] = None,
    unchecked: Optional[dict] = None,
) -> list[Finding]:
    """Every rule on every model; notes from the size sweep go to `notes`, the merges it
    could not evaluate to `unchecked` (model -> {merge: why})."""
    findings = []
    context = Context(sweeps=SweepCache(sizes))
    for model in graphs:
        recovery.settle(model)
        for rule in rules:
            findings.extend(rule.check_model(model, path, context))
    if unchecked is not None and any(rule.code in DYNAMIC_SWEEP_CODES for rule in rules):
        for model in graphs:  # swept once each, whichever of those rules found something
            context.sweeps.get(model)
        unchecked.update(context.sweeps.unchecked())
    if notes is not None:
        notes.extend(n for n in dict.fromkeys(context.sweeps.notes()) if n not in notes)
    return group_repeats(sorted(findings, key=lambda f: f.sort_key))


def check_target(target: Target, options: Options) -> FileReport:
    report = FileReport(target.path)
    if target.problem:
        report.error = target.problem
        return report
    if target.skip:
        report.skip = target.skip
        report.notes.append(f"skipped: {target.skip}")
        return report
    try:
        _load_into(report, target, options)
    except CheckError as exc:
        report.error = str(exc)
        return report
    rules = selected_rules(options.select, options.ignore_for(target.path))
    findings = check_graphs(report.models, target.path, rules, options.sizes, report.notes, report.unchecked)
    report.findings = sorted(
        suppress.apply(findings, {target.path}, options.warn_unused_ignores), key=lambda f: f.sort_key
    )
    return report


def _load_into(report: FileReport, target: Target, options: Options) -> None:
    if target.path.endswith(SAVED_SUFFIXES) or target.path.endswith(".json"):
        from shapecheck.load.saved import load_saved

        saved = load_saved(target.path)
        report.models, report.notes = saved.graphs, saved.notes
        return
    from shapecheck.load.builder import load_builder_module

    loaded = load_builder_module(target.path, options.entries_for(target.path), options.timeout, options.input_shapes_for())
    report.models, report.notes, report.skipped = loaded.graphs, loaded.notes, loaded.skipped
    if not loaded.graphs and target.explicit:
        hint = f" ({'; '.join(loaded.skipped)})" if loaded.skipped else ""
        raise CheckError(f"{target.path}: no Keras model was built{hint}")
    if not loaded.graphs:
        report.notes.append("no Keras model was built")


def check_paths(paths: Sequence[str], options: Optional[Options] = None) -> RunReport:
    options = options or Options()
    targets = discover(list(paths))
    if options.jobs > 1 and len(targets) > 1:
        from shapecheck.parallel import check_in_workers

        return RunReport(check_in_workers(targets, options))
    return RunReport([check_target(t, options) for t in targets])
