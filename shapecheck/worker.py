"""One file checked: load it (a builder module, a notebook or a saved file) into graphs,
analyse them, apply the inline ignores. Runs in the supervised child for builder modules
(isolation/zygote.py) and in the parent for everything else; one file's failure is that
file's error, never the run's.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from contextlib import nullcontext

from shapecheck import suppress, timing
from shapecheck.analysis import check_graphs, selected_rules
from shapecheck.errors import CheckError, message_line
from shapecheck.load.discover import Target, is_saved
from shapecheck.load.time_limit import TimeLimit, time_limit
from shapecheck.options import Options
from shapecheck.results import FileReport


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
        report.models, report.findings, report.verdicts, report.error = [], [], {}, str(exc)
    except Exception as exc:  # noqa: BLE001 - one file's failure is that file's error, never the run's
        if os.environ.get("SHAPECHECK_DEBUG"):
            traceback.print_exc(file=sys.stderr)
        report.models, report.findings, report.verdicts = [], [], {}
        report.error = (
            f"{target.path}: shapecheck failed on this file ({type(exc).__name__}: "
            f"{message_line(exc)[:200]}); a bug: please report it"
        )
    report.timings = timing.take()
    return report


def _check_into(report: FileReport, target: Target, options: Options) -> None:
    started = time.monotonic()
    _load_into(report, target, options)
    rules = selected_rules(options.select, options.ignore_for(target.path))
    findings = check_graphs(
        report.models,
        target.path,
        rules,
        options.sizes,
        report.notes,
        report.unchecked,
        report.witnessed,
        report.size_maps if options.size_maps else None,
    )
    report.findings = sorted(
        suppress.apply(findings, {target.path}, options.warn_unused_ignores), key=lambda f: f.sort_key
    )
    if report.fatal:  # a builder raised after mismatches were recorded: findings kept, the raise is the error
        report.error = report.fatal
    if options.suggest_rebuild and report.models and target.path.endswith(".py"):
        from shapecheck.rebuild import suggest_rebuilds

        suggest_rebuilds(report, target, options, started)
    with timing.phase("verdicts"):
        report.decide_verdicts()


def _load_into(report: FileReport, target: Target, options: Options) -> None:
    if is_saved(target.path):
        from shapecheck.saved.files import load_saved

        saved = load_saved(target.path)
        report.models, report.notes = saved.graphs, saved.notes
        return
    from shapecheck.load.builder import load_builder_module

    loaded = load_builder_module(
        target.path,
        options.entries_for(target.path),
        options.timeout,
        options.input_shapes_for(),
        defer_weights=not options.build_weights,
    )
    report.models, report.not_called, report.fatal = loaded.graphs, loaded.skipped, loaded.fatal
    report.notes.extend(loaded.notes)
    if not loaded.graphs and target.explicit and loaded.skipped:
        raise CheckError(f"{target.path}: no Keras model was built ({'; '.join(loaded.skipped)})")
    if not loaded.graphs:
        report.notes.append("no Keras model was built")
