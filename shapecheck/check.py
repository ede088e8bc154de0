"""The run: discover files, load each into graphs, apply the rules, collect findings.

Detection never prints; the CLI (or a caller of `check_paths`) hands the result to a
reporter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

from shapecheck.graph import Graph
from shapecheck.load.discover import SAVED_SUFFIXES, Target, discover
from shapecheck.load.errors import CheckError
from shapecheck.rules import Finding, Rule, Severity, all_rules


@dataclass
class Options:
    select: Sequence[str] = ()  # code prefixes; empty = all
    ignore: Sequence[str] = ()
    entries: Sequence[str] = ()  # builder functions to call (--entry)
    timeout: float = 120.0


@dataclass
class FileReport:
    path: str
    models: list[Graph] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        return "findings" if self.findings else "ok"


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

    @property
    def models(self) -> list[Graph]:
        return [g for file in self.files for g in file.models]

    @property
    def merge_count(self) -> int:
        return sum(1 for g in self.models for _ in g.merges())


def selected_rules(select: Sequence[str], ignore: Sequence[str]) -> list[Rule]:
    """Rules whose code starts with a selected prefix and with no ignored one (ruff-style)."""
    def matches(code: str, prefixes: Sequence[str]) -> bool:
        return any(code.startswith(p.strip().upper()) for p in prefixes if p.strip())

    return [
        rule
        for rule in all_rules()
        if (not select or matches(rule.code, select)) and not matches(rule.code, ignore)
    ]


def check_graphs(graphs: Sequence[Graph], path: str, rules: Sequence[Rule]) -> list[Finding]:
    findings = []
    for model in graphs:
        for rule in rules:
            findings.extend(rule.check_model(model, path))
    return sorted(findings, key=lambda f: f.sort_key)


def check_target(target: Target, options: Options) -> FileReport:
    report = FileReport(target.path)
    if target.problem:
        report.error = target.problem
        return report
    try:
        _load_into(report, target, options)
    except CheckError as exc:
        report.error = str(exc)
        return report
    report.findings = check_graphs(report.models, target.path, selected_rules(options.select, options.ignore))
    return report


def _load_into(report: FileReport, target: Target, options: Options) -> None:
    if target.path.endswith(SAVED_SUFFIXES) or target.path.endswith(".json"):
        raise CheckError(f"{target.path}: saved models (.keras, .h5, .json) are not supported yet; check the builder module")
    from shapecheck.load.builder import load_builder_module

    loaded = load_builder_module(target.path, options.entries, options.timeout)
    report.models, report.notes, report.skipped = loaded.graphs, loaded.notes, loaded.skipped
    if not loaded.graphs and target.explicit:
        hint = f" ({'; '.join(loaded.skipped)})" if loaded.skipped else ""
        raise CheckError(f"{target.path}: no Keras model was built{hint}")
    if not loaded.graphs:
        report.notes.append("no Keras model was built")


def check_paths(paths: Sequence[str], options: Optional[Options] = None) -> RunReport:
    options = options or Options()
    return RunReport([check_target(t, options) for t in discover(list(paths))])
