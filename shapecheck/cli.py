"""The command line: options, output and exit codes; the work is in runner.py.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 something
could not be checked (or shapecheck itself failed), always with a one-line message.
"""

from __future__ import annotations

import errno
import functools
import math
import os
import sys
import traceback
from enum import Enum
from typing import List, Optional

import typer

from shapecheck import __version__
from shapecheck.errors import CheckError
from shapecheck.options import Options
from shapecheck.size_range import SizeRange

EXIT_OK, EXIT_FINDINGS, EXIT_UNCHECKED = 0, 1, 2
MIN_TIMEOUT = 0.01  # seconds; below a timer's resolution a limit means nothing


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
    paths,
    select,
    ignore,
    entry,
    timeout,
    sizes,
    config_file,
    warn_unused_ignores,
    jobs,
    input_shape=None,
    cache=True,
    max_memory=None,
    suggest_rebuild=False,
):
    """CLI options over [tool.shapecheck] over defaults."""
    from shapecheck import config as configuration
    from shapecheck.isolation.warden import DEFAULT_MAX_MEMORY, parse_bytes

    try:
        config = configuration.find(paths, config_file)
        size_range = SizeRange.parse(sizes or config.sizes or "1:1024")
        input_shapes = configuration.parse_input_shapes(input_shape or [])
        memory = parse_bytes(max_memory) if max_memory is not None else DEFAULT_MAX_MEMORY
    except (CheckError, ValueError) as exc:
        _fail(str(exc))
    if jobs < 1:
        _fail(f"-j {jobs}: need at least one worker")
    if timeout is not None and not (math.isfinite(timeout) and timeout >= MIN_TIMEOUT):
        _fail(f"--timeout {timeout:g}: expected a finite number of seconds, at least {MIN_TIMEOUT:g}")
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
        suggest_rebuild=suggest_rebuild,
    )
    return options, config


def _refuse_overwriting_inputs(option: str, target: str, paths: List[str]) -> None:
    """-o or --baseline onto a file being checked (or a model file inside a checked folder)
    would destroy it: one line, exit 2, the file untouched."""
    from shapecheck.load.discover import MODEL_SUFFIXES, has_suffix

    real = os.path.realpath(target)
    for path in paths:
        checked = os.path.realpath(path)
        inside = (
            os.path.isdir(checked) and real.startswith(os.path.join(checked, "")) and has_suffix(real, MODEL_SUFFIXES)
        )
        if real == checked or inside and os.path.exists(real):
            _fail(
                f"{option} {target}: that is {'a file in ' + path if inside else 'a file being checked'}; "
                "not overwritten (write the report somewhere else)"
            )


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
        on_stdout = set(file.loud_notes) if output_format is OutputFormat.concise else set()  # concise prints them
        for note in file.notes + [f"not called: {s}" for s in file.not_called]:
            if note not in on_stdout:
                typer.echo(f"{file.path}: note: {note}", err=True)


@app.command()
@interruptible
def check(
    paths: List[str] = typer.Argument(..., help="Builder modules (.py), saved models (.keras, .h5, .json) or folders."),
    output_format: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Report format."),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", help="Write the report to FILE; the table still goes to the terminal."
    ),
    fail_on: Optional[FailOn] = typer.Option(
        None, "--fail-on", help="Lowest severity that makes the exit code 1 [default: warning]."
    ),
    exit_zero: bool = typer.Option(
        False, "--exit-zero", help="Exit 0 even when there are findings (2 still means unchecked)."
    ),
    select: Optional[List[str]] = typer.Option(
        None, "--select", help="Only these rule codes or prefixes (SC1, SC101)."
    ),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these rule codes or prefixes."),
    entry: Optional[List[str]] = typer.Option(None, "--entry", help="Builder function to call (repeatable)."),
    timeout: Optional[float] = typer.Option(
        None, "--timeout", help="Seconds a module may run before it is stopped [default: 120]."
    ),
    sizes: Optional[str] = typer.Option(
        None,
        "--sizes",
        help="Sizes the size sweep tries for every None axis (length, H, W, D), LOW:HIGH [default: 1:1024].",
    ),
    input_shape: Optional[List[str]] = typer.Option(
        None,
        "--input-shape",
        help="NAME=SHAPE: the input shape of a subclassed model (variable or class name), e.g. Net=224,224,3.",
    ),
    config_file: Optional[str] = typer.Option(
        None, "--config", help="A pyproject.toml to read [tool.shapecheck] from."
    ),
    baseline: Optional[str] = typer.Option(
        None, "--baseline", help="Report only findings not in this baseline (shapecheck snapshot)."
    ),
    warn_unused_ignores: bool = typer.Option(
        False, "--warn-unused-ignores", help="Report '# shapecheck: ignore' comments that match nothing (SC001)."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Check files in N worker processes."),
    max_memory: Optional[str] = typer.Option(
        None,
        "--max-memory",
        help="Memory a builder module's process may use before it is stopped, e.g. 4G [default: 8G; 0: no bound].",
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Read installed packages afresh; neither read nor write the import cache."
    ),
    fix: bool = typer.Option(
        False,
        "--fix",
        help="Apply the safe suggested edits (SC203, SC204) to the files; the findings left decide the exit code.",
    ),
    diff: bool = typer.Option(
        False, "--diff", help="Print the safe suggested edits as a unified diff instead of the report; write nothing."
    ),
    suggest_rebuild: bool = typer.Option(
        False,
        "--suggest-rebuild",
        help="For SC101-SC103, try the other value of a flag in the call chain by building the module again (runs its code once more per candidate).",
    ),
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

    if output:
        _refuse_overwriting_inputs("--output", output, paths)

    options, config = _options(
        paths,
        select,
        ignore,
        entry,
        timeout,
        sizes,
        config_file,
        warn_unused_ignores,
        jobs,
        input_shape,
        not no_cache,
        max_memory,
        suggest_rebuild,
    )
    options.size_maps = output_format is OutputFormat.html  # the pictures are made beside the analysis
    run = check_paths(paths, options)
    if baseline:
        from shapecheck import baseline as baselines

        try:
            known = baselines.read(baseline)
        except CheckError as exc:
            _fail(str(exc))
        for file in run.files:
            file.findings = baselines.new_findings(file.findings, known)
    for error in run.errors:
        typer.echo(f"shapecheck: error: {error}", err=True)
    if diff:
        _print_diff(run)
    not_fixed = _apply_fixes(run) if fix else False
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
    if run.errors or not_fixed:
        raise typer.Exit(EXIT_UNCHECKED)
    level = (fail_on.value if fail_on else None) or config.fail_on or "warning"
    raise typer.Exit(EXIT_FINDINGS if run.fails_at(level) and not exit_zero else EXIT_OK)


def _print_diff(run) -> None:
    """--diff: the edits --fix would make, on stdout instead of the report; nothing written.
    Exit 1 when there is something to fix, 0 when not, 2 when a file cannot be."""
    from shapecheck.apply_fixes import fix_run

    outcome = fix_run(run, write_files=False)
    sys.stdout.write(outcome.diff)
    for line in outcome.notes:
        typer.echo(f"shapecheck: note: {line}", err=True)
    for line in outcome.problems:
        typer.echo(f"shapecheck: error: {line}", err=True)
    typer.echo(outcome.summary(written=False), err=True)
    if run.errors or outcome.problems:
        raise typer.Exit(EXIT_UNCHECKED)
    raise typer.Exit(EXIT_FINDINGS if outcome.fixed else EXIT_OK)


def _apply_fixes(run) -> bool:
    """--fix: write the edits; the fixed findings leave the run. True if a file was not written."""
    from shapecheck.apply_fixes import fix_run

    outcome = fix_run(run, write_files=True)
    for line in outcome.notes:
        typer.echo(f"shapecheck: note: {line}", err=True)
    for line in outcome.problems:
        typer.echo(f"shapecheck: error: {line}", err=True)
    typer.echo(outcome.summary(written=True), err=True)
    return bool(outcome.problems)


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

    _refuse_overwriting_inputs("--baseline", baseline, paths)
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


def _stdout_gone(why: str) -> None:
    """Standard output closed (`| head` exited, `>&-`): exit 2 with a word on stderr, and no
    second complaint from Python's own flush at exit."""
    try:
        sys.stderr.write(f"shapecheck: error: {why}; the report was not written in full\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    os._exit(EXIT_UNCHECKED)


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_gone("standard output was closed (broken pipe)")
    except OSError as exc:
        if exc.errno in (errno.EPIPE, errno.EBADF):
            _stdout_gone(f"standard output cannot be written ({exc.strerror})")
        raise


def main() -> None:
    """Console entry: whatever escapes is exit 2 with one line, never a findings exit."""
    if sys.stdout is None or sys.stdout.closed:
        _stdout_gone("standard output is closed")
    try:
        _route()
    except SystemExit:
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":  # click's mark of an EPIPE it turned into exit 1
            _stdout_gone("standard output was closed (broken pipe)")
        _flush_stdout()
        raise
    except KeyboardInterrupt:
        sys.stderr.write("shapecheck: interrupted\n")
        sys.exit(EXIT_UNCHECKED)
    except BrokenPipeError:
        _stdout_gone("standard output was closed (broken pipe)")
    except OSError as exc:
        if exc.errno in (errno.EPIPE, errno.EBADF) and _stdout_broken():
            _stdout_gone(f"standard output cannot be written ({exc.strerror})")
        _internal_error(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        _internal_error(exc)


def _stdout_broken() -> bool:
    try:
        os.fstat(sys.stdout.fileno())
        sys.stdout.flush()
        return False
    except (OSError, ValueError):
        return True


def _internal_error(exc: BaseException) -> None:
    if "--debug" in sys.argv:
        traceback.print_exc()
    sys.stderr.write(f"shapecheck: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)\n")
    sys.exit(EXIT_UNCHECKED)
