"""The human report: per model a rich table of every merge, then findings, then a summary."""

from __future__ import annotations

import os
import sys
from typing import Optional, Sequence, TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from shapecheck.explain import explain_merge
from shapecheck.graph import Graph
from shapecheck.provenance import format_shape, shape_runs
from shapecheck.report.suggestions import fix_line
from shapecheck.results import FileReport, RunReport
from shapecheck.rules import Finding, Severity

VERDICT_STYLE = {
    "ok": "green",
    "broadcast": "yellow",
    "mismatch": "bold red",
    "follows": "red",
    "sizes": "bold red",
    "square-only": "yellow",
    "unchecked sizes": "yellow",
    "disputed": "bold red",
    "behind a failure": "yellow",
}
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
DEFAULT_PIPE_WIDTH = 160


def make_console(file: Optional[TextIO] = None, width: Optional[int] = None) -> Console:
    """Colour only on a terminal and never with NO_COLOR; FORCE_COLOR forces it (rich reads both)."""
    stream = file or sys.stdout
    if width is None and not os.environ.get("COLUMNS") and not stream.isatty():
        width = DEFAULT_PIPE_WIDTH
    plain = bool(os.environ.get("NO_COLOR"))
    console = Console(
        file=stream,
        width=width,
        highlight=False,
        soft_wrap=False,
        force_terminal=False if plain else None,
        no_color=plain or None,
    )
    # rich would exit 1 in silence; the CLI says so and exits 2 (an instance's handler in place of rich's method)
    console.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]
    return console


def _broken_pipe() -> None:
    raise BrokenPipeError("standard output was closed")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(run: RunReport) -> str:
    counts = [
        plural(run.count(Severity.ERROR), "error"),
        plural(run.count(Severity.WARNING), "warning"),
        plural(run.count(Severity.INFO), "info"),
    ]
    nonzero = [c for c in counts if not c.startswith("0 ")]
    not_swept = f", {plural(run.not_swept, 'merge')} not swept" if run.not_swept else ""
    if run.disputed:
        not_swept += f", {plural(run.disputed, 'size claim')} Keras disputes"
    if run.unconfirmed:
        not_swept += f", {plural(run.unconfirmed, 'model')}' sizes not confirmed by Keras"
    scope = (
        f"{plural(len(run.files), 'file')} ({plural(len(run.models), 'model')}, "
        f"{plural(run.merge_count, 'merge')} checked{not_swept})"
    )
    if nonzero:
        head = "Found " + (" and ".join(nonzero) if len(nonzero) < 3 else ", ".join(nonzero)) + f" in {scope}"
    else:
        head = f"No problems found in {scope}"
    if run.no_model:
        head += f"; {plural(len(run.no_model), 'file')} built no model"
    if run.undecided:
        head += f"; {plural(len(run.undecided), 'file')} undecided (cannot tell whether it builds a model)"
    if run.errors:
        head += f"; {plural(len(run.errors), 'file')} could not be checked"
    return head


def compact_shapes(shapes) -> list[str]:
    """One line per run of equal shapes: 32 grouped-conv slices read '(None, 56, 56, 4) x32'."""
    return shape_runs(shapes, "x")


def merge_table(graph: Graph, file: FileReport) -> Table:
    title = f"model {graph.name}"
    if graph.entry:
        title += f"  (from {graph.entry}, {graph.layer_count()} layers, inputs {', '.join(format_shape(s) for s in graph.input_shapes)})"
    keras = file.witnessed.get(graph.name)
    caption = escape(keras.summary()) if keras is not None and keras.summary() else None
    table = Table(
        title=escape(title),
        title_justify="left",
        show_lines=False,
        expand=False,
        caption=caption,
        caption_justify="left",
    )
    for column in ("layer", "op", "line", "input shapes", "verdict", "why"):
        table.add_column(column, overflow="fold")
    for _owner, node, verdict, why in file.merge_rows(graph):
        if node.recovered:
            why += f" ({node.recovered})"
        shapes = "\n".join(compact_shapes(node.input_shapes))
        table.add_row(
            escape(node.name),
            node.op,
            _line(node),
            shapes,
            Text(verdict, style=VERDICT_STYLE.get(verdict, "")),
            escape(why),
        )
    return table


def _line(node) -> str:
    """The merge's line; 'cell 5:48' in a notebook."""
    if node.location is not None and node.location.cell is not None:
        return node.location.label()
    return str(node.line or "-")


def finding_text(f: Finding) -> Text:
    text = Text()
    where = f.where if f.line else f"{f.path} [{f.model}/{f.layer}]"
    text.append(f"{where}: ", style="bold")
    text.append(f.code, style=SEVERITY_STYLE[f.severity])
    text.append(f" [{f.name}] {f.message}")
    if f.call_chain:
        text.append("\n    via " + " -> ".join(frame.describe() for frame in f.call_chain), style="dim")
    for fix in f.fixes:
        text.append(f"\n    {fix_line(fix)}", style="green")
    return text


def print_file(console: Console, file: FileReport, quiet: bool) -> None:
    if file.error and not file.findings:
        return  # the CLI prints errors on stderr (findings recorded before a builder raised are still shown)
    if file.undecided or (file.skip and not quiet):
        console.print(Text(f"{file.path}: skipped: {file.skip}", style="yellow" if file.undecided else "dim"))
    if not quiet:
        for graph in file.models:
            if graph.partial:
                console.print(Text(f"{file.path}: {graph.partial}", style="yellow"))
            console.print(merge_table(graph, file))
    for finding in file.findings:
        console.print(finding_text(finding))
    loud = file.loud_notes if file.witnessed else []
    for note in file.notes if not quiet else loud:  # a disagreement with Keras is said even with --quiet
        console.print(Text(f"{file.path}: note: {note}", style="yellow" if note in loud else "dim"))
    if not quiet:
        for builder in file.not_called:
            console.print(Text(f"{file.path}: not called: {builder}", style="dim"))


def print_explanations(console: Console, run: RunReport, names: list[str]) -> None:
    """--explain NAME: the full story of each merge called NAME (or ending in /NAME)."""
    for file in run.files:
        for model in file.models:
            for graph, node in model.merges():
                if node.name in names or node.name.rsplit("/", 1)[-1] in names:
                    console.print(Text("\n".join(explain_merge(graph, node, file.path))))
                    console.print()


def render(run: RunReport, console: Console, quiet: bool = False, explain: Sequence[str] = ()) -> None:
    for file in run.files:
        if not quiet and file.models:
            console.rule(Text(file.path, style="bold"), align="left")
        print_file(console, file, quiet)
    if explain:
        print_explanations(console, run, list(explain))
    console.print(Text(summary_line(run), style="bold"))
