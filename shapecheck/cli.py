"""The command line: options, output and exit codes; the work is in runner.py.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 something
could not be checked (or shapecheck itself failed), always with a one-line message.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from enum import Enum
from typing import List, Optional

import typer

from shapecheck import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_UNCHECKED = 0, 1, 2


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    concise = "concise"
    sarif = "sarif"
    github = "github"
    html = "html"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


def interruptible(command):
    """Ctrl-C inside a command is exit 2 with one line (click would make it 130 or 1)."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            typer.echo("shapecheck: interrupted", err=True)
            raise typer.Exit(EXIT_UNCHECKED) from None

    return run


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shapecheck {__version__}")
        raise typer.Exit(EXIT_OK)


def _codes(values: Optional[List[str]]) -> list[str]:
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


def _fail(message: str) -> None:
    typer.echo(f"shapecheck: error: {message}", err=True)
    raise typer.Exit(EXIT_UNCHECKED)


def _options(
    paths, select, ignore, entry, timeout, sizes, config_file, warn_unused_ignores, jobs, input_shape=None, cache=True,
    max_memory=None,
):
    """CLI options over [tool.shapecheck] over defaults."""
    from shapecheck import config as configuration
    from shapecheck.isolation.warden import DEFAULT_MAX_MEMORY, parse_bytes
    from shapecheck.runner import Options
    from shapecheck.load.errors import CheckError
    from shapecheck.size_range import SizeRange

    try:
        config = configuration.find(paths, config_file)
        size_range = SizeRange.parse(sizes or config.sizes or "1:1024")
        input_shapes = configuration.parse_input_shapes(input_shape or [])
        memory = parse_bytes(max_memory) if max_memory is not None else DEFAULT_MAX_MEMORY
    except (CheckError, ValueError) as exc:
        _fail(str(exc))
    if jobs < 1:
        _fail(f"-j {jobs}: need at least one worker")
    options = Options(
        select=_codes(select) or config.select,
        ignore=_codes(ignore) + config.ignore,
        entries=_codes(entry),
        timeout=timeout or config.timeout or 120.0,
        sizes=size_range,
        config=config,
        warn_unused_ignores=warn_unused_ignores,
        jobs=jobs,
        input_shapes=input_shapes,
        cache=cache,
        max_memory=memory,
    )
    return options, config


def _render(run, output_format: OutputFormat, sizes=None) -> str:
    """A machine format as text; the table is printed, not returned."""
    if output_format is OutputFormat.html:
        from shapecheck.report import html

        return html.render(run, sizes=sizes)
    if output_format is OutputFormat.json:
        from shapecheck.report import json_report

        return json_report.render(run)
    if output_format is OutputFormat.sarif:
        from shapecheck.report import sarif

        return sarif.render(run)
    if output_format is OutputFormat.github:
        from shapecheck.report import github

        return github.render(run)
    from shapecheck.report import concise

    return concise.render(run)


def _print_table(run, quiet: bool, explain: list[str], file=None) -> None:
    from shapecheck.report import table

    table.render(run, table.make_console(file=file), quiet=quiet, explain=explain)


def _notes_to_stderr(run, output_format: OutputFormat) -> None:
    """Notes for a machine format's reader; what could not be decided is in the document too
    (concise prints it on stdout, so it is not repeated here)."""
    for file in run.files:
        if file.skip and not (file.undecided and output_format is OutputFormat.concise):
            typer.echo(f"{file.path}: {'warning' if file.undecided else 'note'}: skipped: {file.skip}", err=True)
        for note in file.notes + [f"skipped: {s}" for s in file.skipped]:
            typer.echo(f"{file.path}: note: {note}", err=True)


@app.command()
@interruptible
def check(
    paths: List[str] = typer.Argument(..., help="Builder modules (.py), saved models (.keras, .h5, .json) or folders."),
    output_format: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Report format."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the report to FILE; the table still goes to the terminal."),
    fail_on: Optional[FailOn] = typer.Option(None, "--fail-on", help="Lowest severity that makes the exit code 1 [default: warning]."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when there are findings (2 still means unchecked)."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Only these rule codes or prefixes (SC1, SC101)."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these rule codes or prefixes."),
    entry: Optional[List[str]] = typer.Option(None, "--entry", help="Builder function to call (repeatable)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds a module may run before it is stopped [default: 120]."),
    sizes: Optional[str] = typer.Option(None, "--sizes", help="Sizes the size sweep tries for every None axis (length, H, W, D), LOW:HIGH [default: 1:1024]."),
    input_shape: Optional[List[str]] = typer.Option(
        None, "--input-shape", help="NAME=SHAPE: the input shape of a subclassed model (variable or class name), e.g. Net=224,224,3."
    ),
    config_file: Optional[str] = typer.Option(None, "--config", help="A pyproject.toml to read [tool.shapecheck] from."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Report only findings not in this baseline (shapecheck snapshot)."),
    warn_unused_ignores: bool = typer.Option(False, "--warn-unused-ignores", help="Report '# shapecheck: ignore' comments that match nothing (SC001)."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Check files in N worker processes."),
    max_memory: Optional[str] = typer.Option(
        None, "--max-memory", help="Memory a builder module's process may use before it is stopped, e.g. 4G [default: 8G; 0: no bound]."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Read installed packages afresh; neither read nor write the import cache."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only findings and the summary."),
    explain: Optional[List[str]] = typer.Option(
        None, "--explain", help="Print both branches of the merge with this layer name, layer by layer."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and TensorFlow's logs."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Find merge-layer shape mismatches in Keras models before anyone trains them."""
    if debug:
        os.environ["SHAPECHECK_DEBUG"] = "1"
    from shapecheck.runner import check_paths

    options, config = _options(
        paths, select, ignore, entry, timeout, sizes, config_file, warn_unused_ignores, jobs, input_shape, not no_cache,
        max_memory,
    )
    run = check_paths(paths, options)
    if baseline:
        from shapecheck import baseline as baselines
        from shapecheck.load.errors import CheckError

        try:
            known = baselines.read(baseline)
        except CheckError as exc:
            _fail(str(exc))
        for file in run.files:
            file.findings = baselines.new_findings(file.findings, known)
    for error in run.errors:
        typer.echo(f"shapecheck: error: {error}", err=True)
    explained = _codes(explain)
    machine = output_format is not OutputFormat.table
    if output:
        text = _render(run, output_format, options.sizes) if machine else None
        try:
            with open(output, "w", encoding="utf-8") as handle:
                if text is None:
                    _print_table(run, quiet, explained, file=handle)
                else:
                    handle.write(text + "\n")
        except OSError as exc:
            _fail(f"--output {output}: {exc.strerror}")
        if run.models or run.undecided or not run.errors:
            _print_table(run, quiet, explained)
    elif machine:
        text = _render(run, output_format, options.sizes)
        if text:
            sys.stdout.write(text + "\n")
        if output_format is not OutputFormat.json:
            _notes_to_stderr(run, output_format)
    elif run.models or run.undecided or not run.errors:
        _print_table(run, quiet, explained)
    if run.errors:
        raise typer.Exit(EXIT_UNCHECKED)
    level = (fail_on.value if fail_on else None) or config.fail_on or "warning"
    raise typer.Exit(EXIT_FINDINGS if run.fails_at(level) and not exit_zero else EXIT_OK)


snapshot_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


@snapshot_app.command("snapshot")
@interruptible
def snapshot(
    paths: List[str] = typer.Argument(..., help="What to check, as for `shapecheck PATH...`."),
    baseline: str = typer.Option("shapecheck-baseline.json", "--baseline", help="The baseline file to write."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Only these rule codes or prefixes."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these rule codes or prefixes."),
    entry: Optional[List[str]] = typer.Option(None, "--entry", help="Builder function to call (repeatable)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds a module may run."),
    sizes: Optional[str] = typer.Option(None, "--sizes", help="Size sweep range, LOW:HIGH."),
    config_file: Optional[str] = typer.Option(None, "--config", help="A pyproject.toml to read."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Worker processes."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the import cache."),
) -> None:
    """Record today's findings, so that `--baseline FILE` fails only on new ones."""
    from shapecheck import baseline as baselines
    from shapecheck.runner import check_paths

    options, _ = _options(paths, select, ignore, entry, timeout, sizes, config_file, False, jobs, cache=not no_cache)
    run = check_paths(paths, options)
    for error in run.errors:
        typer.echo(f"shapecheck: error: {error}", err=True)
    if run.errors:
        _fail("nothing written: fix the files that could not be checked first")
    for file in run.undecided:
        typer.echo(f"{file.path}: warning: skipped: {file.skip} (not in the baseline)", err=True)
    try:
        baselines.write(run.findings, baseline)
    except OSError as exc:
        _fail(f"--baseline {baseline}: {exc.strerror}")
    typer.echo(f"wrote {len(run.findings)} finding{'s' if len(run.findings) != 1 else ''} to {baseline}")


rules_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


@rules_app.command("rules")
def list_rules() -> None:
    """List the rule catalogue."""
    from shapecheck.rules import all_rules
    from shapecheck.rules.docs import rule_doc

    for rule in all_rules():
        typer.echo(f"{rule.code}  {rule.name:<26} {rule.severity.label:<8} {rule_doc(rule).summary}")


@rules_app.command("rule")
def show_rule(code: str = typer.Argument(..., help="A rule code, e.g. SC203.")) -> None:
    """Explain one rule: what it finds, why it is bad, an example and the fix."""
    from shapecheck.rules import REGISTRY
    from shapecheck.rules.docs import render_rule

    rule = REGISTRY.get(code.strip().upper())
    if rule is None:
        typer.echo(f"shapecheck: error: no rule {code!r}; `shapecheck rules` lists them", err=True)
        raise typer.Exit(EXIT_UNCHECKED)
    typer.echo(render_rule(rule))


SUBCOMMANDS = {"rules", "rule", "snapshot"}


def _route() -> None:
    """`shapecheck rules`, `shapecheck rule CODE` and `shapecheck snapshot PATH...` are
    subcommands; anything else is a check. (A file literally named `rules` in the current
    folder is still checked.)"""
    args = sys.argv[1:]
    if args and args[0] in SUBCOMMANDS and not os.path.exists(args[0]):
        if args[0] == "snapshot":  # a one-command app: typer takes its arguments directly
            snapshot_app(args=args[1:], prog_name="shapecheck snapshot")
        else:
            rules_app(args=args, prog_name="shapecheck")
    else:
        app()


def main() -> None:
    """Console entry: whatever escapes is exit 2 with one line, never a findings exit."""
    try:
        _route()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("shapecheck: interrupted\n")
        sys.exit(EXIT_UNCHECKED)
    except BrokenPipeError:
        sys.stderr.close()
        os._exit(EXIT_UNCHECKED)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if "--debug" in sys.argv:
            traceback.print_exc()
        sys.stderr.write(f"shapecheck: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)\n")
        sys.exit(EXIT_UNCHECKED)
