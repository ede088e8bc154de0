"""The run: discover files, load each into graphs, apply the rules, collect findings.

Detection never prints; the CLI (or a caller of `check_paths`) hands the result to a
reporter.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Optional, Sequence

from shapecheck import suppress, timing
from shapecheck.config import Config
from shapecheck.graph import Graph
from shapecheck.load.discover import Target, discover, is_saved
from shapecheck.load.imports import Closure
from shapecheck.load.imports_cache import NO_CACHE, FactsCache, cache_path
from shapecheck.load.errors import CheckError, message_line
from shapecheck.load.time_limit import TimeLimit, time_limit
from shapecheck.rules import Context, Finding, Rule, Severity, all_rules, group_repeats
from shapecheck.rules.sizes import DYNAMIC_SWEEP_CODES
from shapecheck.size_range import SizeRange


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
    cache: bool = True  # the import-closure cache in the user's cache directory (--no-cache)
    max_memory: int = 8 << 30  # bytes a builder module's process may hold (--max-memory; 0: no bound)
    isolate: bool = True  # builder modules in a supervised child process (isolation/); False: in this process
    # build modules the ordinary way, weights and all (capture/weights.py); SHAPECHECK_BUILD_WEIGHTS=1
    build_weights: bool = field(default_factory=lambda: os.environ.get("SHAPECHECK_BUILD_WEIGHTS", "") not in ("", "0"))
    suggest_rebuild: bool = False  # try the other value of a flag in the call chain by building again (fixes/rebuild.py)
    size_maps: bool = False  # make the HTML report's size maps beside the analysis (size_map.py)

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
    position: Optional[tuple[int, int]] = None  # line and column of the error, when it has one
    skip: Optional[str] = None  # why it was not checked (no Keras in its imports, or cannot tell)
    undecided: bool = False  # skipped because nobody can tell whether it reaches Keras
    reason: Optional[str] = None  # why it was checked ("imports models.unet, which imports keras")
    unchecked: dict = field(default_factory=dict)  # model -> {merge: why the size sweep did not reach it}
    timings: dict = field(default_factory=dict)  # phase -> seconds spent on this file (timing.py)
    added_memory: Optional[int] = None  # bytes: how far the supervised child's peak memory rose above the zygote's
    fatal: Optional[str] = None  # set while loading: becomes `error` once the rules ran (findings kept)
    witnessed: dict = field(default_factory=dict)  # model -> witnesses.Witnessed: what Keras said at witness sizes
    size_maps: dict = field(default_factory=dict)  # model -> size_map.ModelMaps, when asked for (--format html)

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        if self.skip:
            return "skipped"
        if not self.models:
            return "no-model"
        if self.unchecked or self.disputed or self.unconfirmed:
            return "partial"  # some merges were not swept, or Keras disputed a claim: never "ok"
        return "findings" if self.findings else "ok"

    @property
    def not_swept(self) -> int:
        return sum(len(merges) for merges in self.unchecked.values())

    @property
    def disputed(self) -> int:
        """Size claims of the shape algebra that Keras contradicted (or could not be asked about)."""
        return sum(len(w.disputes) for w in self.witnessed.values())

    @property
    def loud_notes(self) -> list[str]:
        """Each disagreement of Keras with the shape algebra, each model no Keras could confirm:
        every format says these (the machine formats as warnings of their own)."""
        from shapecheck.witnesses import loud_notes  # numpy: only once there is a sweep

        return loud_notes(self.witnessed)

    @property
    def unconfirmed(self) -> int:
        """Models with size claims (or None sizes) that no Keras could be asked about."""
        return sum(bool(w.unavailable) for w in self.witnessed.values())


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
    def undecided(self) -> list[FileReport]:
        """Files skipped because nobody can tell whether they reach Keras."""
        return [f for f in self.files if f.undecided]

    @property
    def no_model(self) -> list[FileReport]:
        """Files that were run and built no model (a utilities module that imports Keras)."""
        return [f for f in self.files if f.status == "no-model"]

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

    @property
    def disputed(self) -> int:
        """Size claims Keras contradicted at a witness size, or that no Keras could confirm."""
        return sum(file.disputed for file in self.files)

    @property
    def unconfirmed(self) -> int:
        return sum(file.unconfirmed for file in self.files)


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
    unchecked: Optional[dict] = None, witnessed: Optional[dict] = None, size_maps: Optional[dict] = None,
) -> list[Finding]:
    """Every rule on every model; notes from the size sweep go to `notes`, the merges it
    could not evaluate to `unchecked` (model -> {merge: why}), what Keras said at the
    witness sizes to `witnessed` (model -> witnesses.Witnessed), and when `size_maps` is
    given, each model's size map to it (model -> size_map.ModelMaps)."""
    from shapecheck.algebra.quiet import quiet_numpy  # numpy: only once there is a model

    with quiet_numpy():  # an overflow or 0/0 in the sweep is handled there, never printed
        return _rules_on(graphs, path, rules, sizes, notes, unchecked, witnessed, size_maps)


def _rules_on(graphs, path, rules, sizes, notes, unchecked, witnessed, size_maps) -> list[Finding]:
    from shapecheck import fixes, recovery
    from shapecheck.sweep import SweepCache

    findings = []
    context = Context(sweeps=SweepCache(sizes))
    with timing.phase("rules"):
        for model in graphs:
            recovery.settle(model)
            for rule in rules:
                findings.extend(rule.check_model(model, path, context))
    if unchecked is not None and any(rule.code in DYNAMIC_SWEEP_CODES for rule in rules):
        for model in graphs:  # swept once each, whichever of those rules found something
            context.sweeps.get(model)
        unchecked.update(context.sweeps.unchecked())
    said = context.sweeps.witnessed()
    if witnessed is not None:
        witnessed.update(said)
    if notes is not None:
        from shapecheck.witnesses import loud_notes

        notes.extend(n for n in loud_notes(said) if n not in notes)
    if notes is not None:
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
        merges = {layer for f in findings if f.model == model.name and f.code in ("SC104", "SC202")
                  for layer, _ in f.members()}
        try:
            size_maps[model.name] = model_maps(model, context.sweeps.get(model), sizes, merges)
        except Exception:  # noqa: BLE001 - a picture is never worth failing the check for
            if os.environ.get("SHAPECHECK_DEBUG"):
                raise


def check_target(target: Target, options: Options) -> FileReport:
    report = FileReport(target.path, reason=target.reason)
    if target.problem:
        report.error, report.position = target.problem, target.position
        return report
    if target.skip:
        report.skip, report.undecided = target.skip, target.undecided
        return report
    if target.reason and os.environ.get("SHAPECHECK_DEBUG"):
        report.notes.append(f"checked: {target.reason}")
    # a saved file's whole check is under --timeout (a builder module's run has its own)
    limit = time_limit(options.timeout, target.path) if is_saved(target.path) else nullcontext()
    timing.take()
    try:
        with limit:
            _check_into(report, target, options)
    except (CheckError, TimeLimit) as exc:
        report.models, report.findings, report.error = [], [], str(exc)
    except Exception as exc:  # noqa: BLE001 - one file's failure is that file's error, never the run's
        if os.environ.get("SHAPECHECK_DEBUG"):
            traceback.print_exc(file=sys.stderr)
        report.models, report.findings = [], []
        report.error = (f"{target.path}: shapecheck failed on this file ({type(exc).__name__}: "
                        f"{message_line(exc)[:200]}); a bug: please report it")
    report.timings = timing.take()
    return report


def _check_into(report: FileReport, target: Target, options: Options) -> None:
    started = time.monotonic()
    _load_into(report, target, options)
    rules = selected_rules(options.select, options.ignore_for(target.path))
    findings = check_graphs(report.models, target.path, rules, options.sizes, report.notes, report.unchecked,
                            report.witnessed, report.size_maps if options.size_maps else None)
    report.findings = sorted(
        suppress.apply(findings, {target.path}, options.warn_unused_ignores), key=lambda f: f.sort_key
    )
    if report.fatal:  # a builder raised after mismatches were recorded: findings kept, the raise is the error
        report.error = report.fatal
    if options.suggest_rebuild and report.models and target.path.endswith(".py"):
        from shapecheck.fixes.rebuild import suggest_rebuilds

        suggest_rebuilds(report, target, options, started)


def _load_into(report: FileReport, target: Target, options: Options) -> None:
    if is_saved(target.path):
        from shapecheck.load.saved import load_saved

        saved = load_saved(target.path)
        report.models, report.notes = saved.graphs, saved.notes
        return
    from shapecheck.load.builder import load_builder_module

    loaded = load_builder_module(target.path, options.entries_for(target.path), options.timeout, options.input_shapes_for(),
                                 defer_weights=not options.build_weights)
    report.models, report.skipped, report.fatal = loaded.graphs, loaded.skipped, loaded.fatal
    report.notes.extend(loaded.notes)
    if not loaded.graphs and target.explicit and loaded.skipped:
        raise CheckError(f"{target.path}: no Keras model was built ({'; '.join(loaded.skipped)})")
    if not loaded.graphs:
        report.notes.append("no Keras model was built")


def check_paths(paths: Sequence[str], options: Optional[Options] = None) -> RunReport:
    options = options or Options()
    cache = FactsCache(cache_path()) if options.cache else NO_CACHE
    targets = discover(list(paths), Closure(cache))
    if options.isolate:
        from shapecheck.isolation.warden import check_isolated

        files = check_isolated(targets, options, check_target)
    else:
        files = [check_target(t, options) for t in targets]
    if os.environ.get("SHAPECHECK_DEBUG"):
        for file in files:
            if file.timings:
                memory = f"; memory +{file.added_memory / 2**20:.0f} MiB over the zygote's" if file.added_memory is not None else ""
                file.notes.append("time: " + timing.describe(file.timings) + memory)
    return RunReport(files + _folders_without_models(paths, files))


def _folders_without_models(paths: Sequence[str], files: list[FileReport]) -> list[FileReport]:
    """A folder whose files were all run and none built a model could not be checked (exit 2)."""
    out = []
    for folder in (p for p in paths if os.path.isdir(p)):
        prefix = os.path.join(os.path.abspath(folder), "")
        inside = [f for f in files if os.path.abspath(f.path).startswith(prefix)]
        if inside and not any(f.models or f.error for f in inside) and any(f.status == "no-model" for f in inside):
            out.append(FileReport(folder, error=f"{folder}: no Keras model was built by any file here"))
    return out
