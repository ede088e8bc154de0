"""The Python API: check a model from a test suite or a notebook.

import shapecheck

report = shapecheck.check("models/unet.py")        # a builder module, saved file or folder
report = shapecheck.check(model)                   # a keras.Model built in this process
assert report.ok, report.table()

shapecheck.assert_clean(model)                     # AssertionError with the table if not
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Sequence

from shapecheck.analysis import check_graphs, selected_rules
from shapecheck.options import Options
from shapecheck.results import FAIL_LEVELS, FileReport, RunReport
from shapecheck.rules import Finding
from shapecheck.runner import check_paths
from shapecheck.size_range import SizeRange


@dataclass
class Report:
    run: RunReport
    fail_on: str = "warning"

    @property
    def findings(self) -> list[Finding]:
        return self.run.findings

    @property
    def errors(self) -> list[str]:
        """What could not be checked (a missing file, a module that raised, ...)."""
        return self.run.errors

    @property
    def undecided(self) -> list[str]:
        """Files not checked because nobody can tell whether they reach Keras (an import that
        is not installed here), each with the reason."""
        return [f"{f.path}: {f.skip}" for f in self.run.undecided]

    @property
    def ok(self) -> bool:
        """Nothing at or above fail_on, and everything asked about was checked or rightly
        skipped: a file nobody could decide is not clean."""
        return not self.errors and not self.undecided and not self.run.fails_at(self.fail_on)

    def table(self, width: int = 160) -> str:
        from shapecheck.report import table

        buffer = io.StringIO()
        table.render(self.run, table.make_console(file=buffer, width=width))
        return buffer.getvalue() + "".join(f"error: {e}\n" for e in self.errors)

    def __str__(self) -> str:
        return self.table()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """In Jupyter: the table as rich HTML (text elsewhere); see report/rich_html.py."""
        from shapecheck.report.rich_html import mimebundle

        return mimebundle(self)

    def _repr_html_(self) -> str:
        from shapecheck.report.rich_html import report_html

        return report_html(self)


def check(
    target: Any,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    sizes: str = "1:1024",
    fail_on: str = "warning",
    entries: Sequence[str] = (),
    suggest_rebuild: bool = False,
) -> Report:
    """Check a path (str or os.PathLike), a list of paths, or a keras.Model object.
    `suggest_rebuild`: for paths, try flags in the call chain by building again (--suggest-rebuild)."""
    if fail_on not in FAIL_LEVELS and fail_on != "never":
        raise ValueError(f"fail_on must be one of error, warning, info, never; got {fail_on!r}")
    size_range = SizeRange.parse(sizes)
    if hasattr(target, "layers") and hasattr(target, "call"):  # a keras.Model, functional or subclassed
        return Report(RunReport([_check_model(target, select, ignore, size_range)]), fail_on)
    paths = [str(p) for p in target] if isinstance(target, (list, tuple)) else [str(target)]
    options = Options(
        select=list(select),
        ignore=list(ignore),
        sizes=size_range,
        entries=list(entries),
        suggest_rebuild=suggest_rebuild,
    )
    return Report(check_paths(paths, options), fail_on)


def _check_model(model, select, ignore, sizes: SizeRange) -> FileReport:
    from shapecheck.capture.session import graph_of_object

    name = f"<{type(model).__name__} {model.name}>"
    report = FileReport(name)
    graph, report.notes = graph_of_object(model)
    if graph is None:
        report.error = f"{name}: no graph to check ({'; '.join(report.notes) or 'not built'})"
        return report
    graph.entry, graph.source = "object", model
    from shapecheck.capture.witness import keras_judge

    graph.judge = keras_judge(graph, model)
    report.models = [graph]
    report.findings = check_graphs(
        [graph], name, selected_rules(select, ignore), sizes, report.notes, report.unchecked, report.witnessed
    )
    report.decide_verdicts()
    return report


def assert_clean(target: Any, **options) -> Report:
    """Raise AssertionError, with the whole report, unless the target is clean."""
    report = check(target, **options)
    if not report.ok:
        raise AssertionError("shapecheck found problems:\n" + report.table())
    return report
