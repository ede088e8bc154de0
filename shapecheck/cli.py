"""The command line: options, output and exit codes; the work is in check.py.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 something
could not be checked (or shapecheck itself failed), always with a one-line message.
"""

from __future__ import annotations

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


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shapecheck {__version__}")
        raise typer.Exit(EXIT_OK)


def _codes(values: Optional[List[str]]) -> list[str]:
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


@app.command()
def check(
    paths: List[str] = typer.Argument(..., help="Builder modules (.py) or folders to search."),
    output_format: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Report format."),
    fail_on: FailOn = typer.Option(FailOn.warning, "--fail-on", help="Lowest severity that makes the exit code 1."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Only these rule codes or prefixes (SC1, SC101)."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these rule codes or prefixes."),
    entry: Optional[List[str]] = typer.Option(None, "--entry", help="Builder function to call (repeatable)."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds a module may run before it is stopped."),
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
    from shapecheck.check import Options, check_paths
    from shapecheck.rules import Severity

    options = Options(select=_codes(select), ignore=_codes(ignore), entries=_codes(entry), timeout=timeout)
    run = check_paths(paths, options)
    for error in run.errors:
        typer.echo(f"shapecheck: error: {error}", err=True)
    if output_format is OutputFormat.json:
        from shapecheck.report import json_report

        sys.stdout.write(json_report.render(run) + "\n")
    elif run.models or not run.errors:
        from shapecheck.report import table

        table.render(run, table.make_console(), quiet=quiet, explain=_codes(explain))
    if run.errors:
        raise typer.Exit(EXIT_UNCHECKED)
    if not run.models:
        typer.echo("shapecheck: error: no Keras model was built by " + ", ".join(paths), err=True)
        raise typer.Exit(EXIT_UNCHECKED)
    threshold = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}.get(fail_on.value)
    failing = threshold is not None and any(f.severity >= threshold for f in run.findings)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


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


SUBCOMMANDS = {"rules", "rule"}


def _route() -> None:
    """`shapecheck rules` and `shapecheck rule CODE` are subcommands; anything else is a check.
    (A file literally named `rules` in the current folder is still checked.)"""
    args = sys.argv[1:]
    if args and args[0] in SUBCOMMANDS and not os.path.exists(args[0]):
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
