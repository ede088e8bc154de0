"""shapecheck inside Jupyter: a Report shown as rich HTML, and the `%shapecheck` magic.

    %load_ext shapecheck
    %shapecheck model                # a keras.Model of this session
    %shapecheck                      # the cells run so far in this session, as a notebook
    %shapecheck other.ipynb --select SC1

Nothing here imports IPython or Jupyter at module level: the base install needs neither.
`load_ipython_extension` is called by IPython itself (with its shell) on `%load_ext`.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import tempfile
from typing import Optional

SESSION = "this session"  # the path shown for `%shapecheck` with no target: cell N is In[N]


# -- the magic ----------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="%shapecheck", add_help=False, exit_on_error=False)
    parser.add_argument(
        "target", nargs="?", help="a model variable or expression, or a path; none: this session's cells"
    )
    parser.add_argument("--select", action="append", default=[])
    parser.add_argument("--ignore", action="append", default=[])
    parser.add_argument("--sizes", default="1:1024")
    parser.add_argument("--fail-on", default="warning")
    return parser


def _codes(values: list[str]) -> list[str]:
    return [c.strip() for v in values for c in v.split(",") if c.strip()]


USAGE = "%shapecheck [TARGET] [--select CODES] [--ignore CODES] [--sizes LOW:HIGH] [--fail-on LEVEL]"


def shapecheck_magic(shell, line: str):
    """`%shapecheck [TARGET] [--select CODES] [--ignore CODES] [--sizes LOW:HIGH] [--fail-on LEVEL]`.
    TARGET: a model of the session (or an expression, or a path); none: the cells run so far.
    Returns the Report: the cell's output, shown as HTML in a notebook, as text elsewhere.
    A bad argument or an unknown name is one line, not a traceback."""
    from shapecheck.api import check

    try:
        args = _parser().parse_args(shlex.split(line))
    except (argparse.ArgumentError, ValueError, SystemExit):
        print(f"%shapecheck: cannot read the arguments {line!r}; usage: {USAGE}")
        return None
    options = dict(select=_codes(args.select), ignore=_codes(args.ignore), sizes=args.sizes, fail_on=args.fail_on)
    try:
        if not args.target:
            return check_session(shell, **options)
        return check(_resolve(shell, args.target), **options)
    except ValueError as exc:  # --sizes, --fail-on
        print(f"%shapecheck: {exc}")
    except (NameError, SyntaxError, AttributeError) as exc:
        print(
            f"%shapecheck: {args.target!r} is neither a model of this session nor a path ({type(exc).__name__}: {exc})"
        )
    return None


def _resolve(shell, text: str):
    """A name of the session, an expression over it, or else a path."""
    if text in shell.user_ns:
        return shell.user_ns[text]
    if os.path.exists(os.path.expanduser(text)):
        return os.path.expanduser(text)
    return shell.ev(text)


def session_cells(shell) -> list[str]:
    """The raw source of every cell run so far, In[1] first, without the running one."""
    raw = list(shell.history_manager.input_hist_raw)
    return raw[1:-1] if len(raw) > 1 else []


def check_session(shell, **options):
    """This session's cells, written to a temporary notebook (cell N is In[N]) and checked
    like any notebook: in a supervised child, IPython syntax neutralised."""
    from shapecheck.api import check

    cells = session_cells(shell)
    with tempfile.TemporaryDirectory(prefix="shapecheck-session-") as folder:
        path = os.path.join(folder, "session.ipynb")
        write_notebook(path, cells)
        report = check(path, **options)
        _relabel(report, path, SESSION)
    return report


def write_notebook(path: str, sources: list[str]) -> None:
    """The session's cells as a notebook that runs in the kernel's working folder."""
    cells: list[dict] = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source.splitlines(True)}
        for source in sources
    ]
    metadata = {"shapecheck": {"working_folder": os.getcwd()}}
    document = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)


def _relabel(report, path: str, label: str) -> None:
    """The temporary notebook's path becomes `label` everywhere the report shows it."""

    def fix(text: Optional[str]) -> Optional[str]:
        return text.replace(path, label) if isinstance(text, str) else text

    for file in report.run.files:
        file.path, file.error = fix(file.path), fix(file.error)
        file.notes = [fix(n) for n in file.notes]
        for finding in file.findings:
            finding.path = fix(finding.path)
            finding.message = fix(finding.message)
            for related in finding.related:
                object.__setattr__(related, "path", fix(related.path))


def load_ipython_extension(shell) -> None:
    """`%load_ext shapecheck`: registers the `%shapecheck` line magic."""

    def magic(line: str):
        return shapecheck_magic(shell, line)

    magic.__doc__ = shapecheck_magic.__doc__
    shell.register_magic_function(magic, magic_kind="line", magic_name="shapecheck")
