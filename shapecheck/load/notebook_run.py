"""Running a notebook's code cells in order as one module, each cell on its own.

Every cell is compiled under its own pseudo-filename ('nb.ipynb:cell 5', see notebook.py),
so call sites and tracebacks name the cell and the line within it. The cells run one after
another in one namespace; a cell that raises (data loading from a folder that is not here,
a download) is noted and the next cells run without it, so the model cell after a data cell
is still checked. A later cell that fails for want of a name the failed cell would have set
is said to need that cell. Nothing here imports Keras; builder.py runs this inside the
capture session.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import linecache
import os
import traceback
from dataclasses import dataclass
from typing import Callable, Optional

from shapecheck.cells import cell_filename, split_cell_filename
from shapecheck.errors import CheckError, message_line
from shapecheck.load.notebook import Cell, compile_flags, read_notebook


@dataclass
class CellFailure:
    cell: int
    exc: BaseException
    what: str  # "FileNotFoundError: [Errno 2] No such file or directory: 'data' (line 3)"
    needs: Optional[CellFailure] = None  # the failed cell that would have set a missing name
    stopped: bool = False  # the run ended here (the timeout)

    @property
    def story(self) -> str:
        """'raised FileNotFoundError: ... (line 3)', or 'timed out after 2 s (--timeout) (line 4)'."""
        return self.what if self.stopped else f"raised {self.what}"


class _NoShell:
    """`get_ipython()` in a checked notebook: any method call does nothing, returns None."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None

    def __repr__(self) -> str:
        return "<shapecheck: no IPython shell>"


def _no_display(*objects, **kwargs) -> None:
    """`display(...)` in a checked notebook: prints nothing."""


class NotebookRun:
    """The code cells of one notebook, compiled; `execute` runs them and collects failures."""

    def __init__(self, path: str):
        self.path = path
        cells, self.folder = read_notebook(path)
        self.cells: list[tuple[Cell, object]] = [(cell, self._compile(cell)) for cell in cells]
        self.failures: list[CellFailure] = []
        self.notes: list[str] = []
        self.ran = 0  # cells that were run (cell magics that are not Python excluded)

    def _compile(self, cell: Cell):
        filename = cell_filename(self.path, cell.number)
        linecache.cache[filename] = (len(cell.python), None, cell.python.splitlines(True), filename)
        try:
            return compile(cell.python, filename, "exec", flags=compile_flags(), dont_inherit=True)
        except SyntaxError as exc:
            col = f":{exc.offset}" if exc.offset else ""
            raise CheckError(f"{self.path}:cell {cell.number}:{exc.lineno}{col}: SyntaxError: {exc.msg}") from None
        except ValueError as exc:  # a null byte
            raise CheckError(f"{self.path}:cell {cell.number}: cannot compile: {exc}") from None

    def execute(
        self, namespace: dict, run: Callable, is_user_file, belongs_to_model: Callable, stop: tuple = ()
    ) -> None:
        """Run every cell in `namespace` with `run(function) -> (value, exception)`, in the
        notebook's folder (where Jupyter runs it, so relative data paths mean the same; see
        read_notebook).
        `belongs_to_model(exc)`: the exception is a model's own failure (reported with it).
        An exception of a type in `stop` (the timeout) ends the run."""
        namespace.setdefault("get_ipython", _NoShell)
        namespace.setdefault("display", _no_display)
        here = os.getcwd()
        os.chdir(self.folder)
        try:
            self._execute(namespace, run, is_user_file, belongs_to_model, stop)
        finally:
            os.chdir(here)

    def _execute(self, namespace: dict, run: Callable, is_user_file, belongs_to_model: Callable, stop: tuple) -> None:
        for index, (cell, code) in enumerate(self.cells):
            if cell.neutralised and os.environ.get("SHAPECHECK_DEBUG"):
                lines = ", ".join(_quoted(n, text) for n, text in cell.neutralised)
                self.notes.append(f"cell {cell.number}: IPython syntax neutralised: {lines}")
            if cell.not_run:
                self.notes.append(f"cell {cell.number}: {cell.not_run} cell not run (not Python)")
                continue
            self.ran += 1
            _, exc = run(lambda: _exec(code, namespace))  # noqa: B023 - called here, at once
            if exc is None or belongs_to_model(exc):
                continue
            failure = CellFailure(
                cell.number, exc, self._describe(exc, cell.number, is_user_file, stop), stopped=isinstance(exc, stop)
            )
            failure.needs = self._needed(exc)
            self.failures.append(failure)
            later = index + 1 < len(self.cells)
            if failure.stopped:
                self.notes.append(
                    f"cell {cell.number} {failure.story}" + ("; later cells were not run" if later else "")
                )
                return
            self.notes.append(self._note(failure, later))

    def _note(self, failure: CellFailure, later: bool) -> str:
        text = f"cell {failure.cell} {failure.story}"
        if failure.needs is not None:
            text += f": it needs cell {failure.needs.cell}, which raised {type(failure.needs.exc).__name__}"
        return text + ("; later cells ran without it" if later else "")

    def _needed(self, exc: BaseException) -> Optional[CellFailure]:
        """For a NameError: the latest failed cell that would have set the name."""
        name = getattr(exc, "name", None) if isinstance(exc, NameError) else None
        if not name:
            return None
        defining = {cell.number: names_set(cell.python) for cell, _ in self.cells}
        for failure in reversed(self.failures):
            if name in defining.get(failure.cell, ()):
                return failure
        return None

    def _describe(self, exc: BaseException, number: int, is_user_file, stop: tuple = ()) -> str:
        """'FileNotFoundError: ... (line 3)', at the innermost line of the user's code:
        in this cell, another cell ('cell 2, line 5') or another file ('helpers.py:12')."""
        where = ""
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            cell = split_cell_filename(frame.filename)
            if cell is not None:
                where = f"line {frame.lineno}" if cell[1] == number else f"cell {cell[1]}, line {frame.lineno}"
                break
            if is_user_file(frame.filename):
                where = f"{os.path.relpath(frame.filename)}:{frame.lineno}"
                break
        if isinstance(exc, stop):
            text = str(exc)
        else:
            message = message_line(exc)
            text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
        return f"{text} ({where})" if where else text

    def no_model_reason(self) -> str:
        """Why nothing was built, when cells raised: never a silent 'no model'."""
        if self.failures and len(self.failures) == self.ran:
            first = self.failures[0]
            return f"{self.path}: no Keras model was built: every code cell raised or stopped (the first, cell {first.cell}: {first.what})"
        needing = [f for f in self.failures if f.needs is not None]
        if needing:
            f = needing[-1]
            assert f.needs is not None  # needing keeps only those
            return (
                f"{self.path}: no Keras model was built: cell {f.cell} could only run after cell {f.needs.cell}, "
                f"which {f.needs.story} (cell {f.cell}: {f.what})"
            )
        first = self.failures[0]
        more = (
            f", and {len(self.failures) - 1} more cell{'s' if len(self.failures) > 2 else ''} raised"
            if len(self.failures) > 1
            else ""
        )
        return f"{self.path}: no Keras model was built; cell {first.cell} {first.story}{more}"


def _quoted(line: int, text: str) -> str:
    """'line 1 `!pip install keras`', 'line 3 `%time m = f()` (its statement runs)'."""
    marker = " (its statement runs)"
    if text.endswith(marker):
        return f"line {line} `{text[: -len(marker)]}`{marker}"
    return f"line {line} `{text}`"


def _exec(code, namespace: dict) -> None:
    """Run one cell; a cell with top-level `await` runs in its own event loop."""
    if code.co_flags & inspect.CO_COROUTINE:
        coroutine = eval(code, namespace)  # noqa: S307 - the compiled cell, as exec would run it
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(coroutine)
        finally:
            loop.close()
        return
    exec(code, namespace)  # noqa: S102 - running the checked code is the point


def names_set(python: str) -> set[str]:
    """Names a cell's code may set: assignments, loop and with targets, imports, defs."""
    try:
        tree = compile(python, "<cell>", "exec", flags=ast.PyCF_ONLY_AST | compile_flags(), dont_inherit=True)
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names
