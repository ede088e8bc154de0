"""Reading a Jupyter notebook (nbformat 4) as Python: its code cells, with IPython syntax
neutralised, never run.

The file is parsed as JSON here (no nbformat, no Jupyter: the base install does not need
them) and never written. Cells are numbered as a notebook shows them: the first cell of the
file, markdown or code, is cell 1. IPython syntax becomes Python of the same line count, so
every line of a cell keeps its number:

- `!shell`, `%line_magic`, `x = !cmd`, `x = %magic`, `obj?`, `??obj` lines become `pass`
  (`x = None` for an assignment), continuation lines (a trailing backslash) too;
- `%time STATEMENT`, `%timeit STATEMENT` and `%prun STATEMENT` run the statement once;
- a `%%capture`, `%%time`, `%%timeit` or `%%prun` cell runs its body (its first line becomes
  blank); any other cell magic (`%%bash`, `%%writefile`, `%%html`, ...) is not Python and
  its whole cell is blank (and reported);
- top-level `await` is compiled with PyCF_ALLOW_TOP_LEVEL_AWAIT (notebook_run.py runs it).

A line is only taken for IPython syntax when the result shows a statement starting there:
a `%` continuing an expression or a `?` inside a string is left alone.
"""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass, field
from typing import Optional

from shapecheck import bounded
from shapecheck.cells import cell_filename
from shapecheck.errors import CheckError

RUN_BODY_MAGICS = {"capture", "time", "timeit", "prun"}
_MAGIC_LINE = re.compile(r"^(?P<indent>[ \t]*)(?:!|%|\?|/(?=\w))")
_ASSIGNED_MAGIC = re.compile(r"^(?P<indent>[ \t]*)(?P<target>[A-Za-z_]\w*)\s*=\s*[!%](?!=)")
# `%time model = build()` builds the model in Jupyter: the statement runs (once), the magic
# and its options become `if 1:` padded to the same width, so columns stay
_TIMED_STATEMENT = re.compile(
    r"^(?P<indent>[ \t]*)(?P<prefix>%(?:time|timeit|prun)(?:[ \t]+-[A-Za-z](?:[ \t]*\d+)?)*[ \t]+)(?P<statement>\S.*)$"
)
_HELP_SUFFIX = re.compile(r"^(?P<indent>[ \t]*)[A-Za-z_][\w.]*(?:\(\))?\?{1,2}[ \t]*$")
_CELL_MAGIC = re.compile(r"^%%(?P<name>\w+)")


@dataclass
class Cell:
    """One code cell: its number in the notebook (1-based, every cell counted), its source
    as written and as Python, and what IPython syntax was neutralised in it."""

    number: int
    source: str
    python: str = ""
    neutralised: list[tuple[int, str]] = field(default_factory=list)  # (line, the IPython line)
    not_run: Optional[str] = None  # a cell magic whose body is not Python ("%%bash")


# -- reading ------------------------------------------------------------------------
def _load_json(path: str) -> dict:
    raw = bounded.read_file(path, bounded.MAX_NOTEBOOK_BYTES, "a notebook")
    depth, containers = bounded.shape_of_json(raw)  # before parsing: the depth bounds the parser's recursion
    if depth > bounded.MAX_JSON_DEPTH or containers > bounded.MAX_JSON_CONTAINERS:
        raise CheckError(
            f"{path}: not a Jupyter notebook: its JSON nests {depth} levels deep in {containers:,} objects and arrays "
            f"(at most {bounded.MAX_JSON_DEPTH} and {bounded.MAX_JSON_CONTAINERS:,} are read)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CheckError(f"{path}: not a Jupyter notebook: not UTF-8 (byte {exc.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckError(
            f"{path}: not a Jupyter notebook: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        major = document.get("nbformat") if isinstance(document, dict) else None
        if isinstance(major, int) and major < 4:
            raise CheckError(
                f"{path}: nbformat {major} notebook; shapecheck reads nbformat 4 "
                "(convert it: jupyter nbconvert --to notebook --nbformat 4)"
            )
        raise CheckError(f"{path}: not a Jupyter notebook: no list of cells (nbformat 4 expected)")
    if document.get("nbformat") != 4:
        raise CheckError(f"{path}: nbformat {document.get('nbformat')!r} notebook; shapecheck reads nbformat 4")
    return document


def _source_text(source, path: str, number: int) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    raise CheckError(f"{path}: cell {number}: its source is neither a string nor a list of strings")


def read_cells(path: str) -> list[Cell]:
    """The code cells of a notebook, IPython syntax neutralised. CheckError (one line) for a
    file that is not an nbformat 4 notebook."""
    return read_notebook(path)[0]


def read_notebook(path: str) -> tuple[list[Cell], str]:
    """The code cells, and the folder the cells run in: the notebook's own, as in Jupyter,
    unless its metadata names another (`shapecheck.working_folder`, which `%shapecheck`
    writes for a session's cells: they ran in the kernel's working folder)."""
    document = _load_json(path)
    metadata = document.get("metadata")
    folder = metadata.get("shapecheck", {}).get("working_folder") if isinstance(metadata, dict) else None
    if not (isinstance(folder, str) and os.path.isdir(folder)):
        folder = os.path.dirname(os.path.abspath(path))
    cells = []
    for number, cell in enumerate(document["cells"], start=1):
        if not isinstance(cell, dict):
            raise CheckError(f"{path}: cell {number} is not a JSON object")
        if cell.get("cell_type") != "code":
            continue
        found = Cell(number, _source_text(cell.get("source", ""), path, number))
        neutralise(found)
        cells.append(found)
    return cells, folder


# -- neutralising IPython syntax ----------------------------------------------------
def neutralise(cell: Cell) -> Cell:
    lines = cell.source.splitlines()
    magic = _CELL_MAGIC.match(lines[0]) if lines else None
    if magic:
        cell.neutralised.append((1, lines[0]))
        if magic.group("name") not in RUN_BODY_MAGICS:
            cell.not_run = lines[0].split()[0]
            cell.python = "\n" * len(lines)
            return cell
        lines[0] = ""
    candidates = _candidates(lines)
    confirmed = _confirm(lines, candidates)
    final = list(lines)
    for number in confirmed:
        final[number - 1] = candidates[number]
        runs = " (its statement runs)" if candidates[number].lstrip().startswith("if 1:") else ""
        cell.neutralised.append((number, lines[number - 1].strip() + runs))
    cell.neutralised.sort()
    cell.python = "\n".join(final) + "\n"
    return cell


def _candidates(lines: list[str]) -> dict[int, str]:
    """Line number -> its replacement, for every line that looks like IPython syntax;
    a trailing backslash carries the replacement to the next line."""
    out: dict[int, str] = {}
    carry: Optional[str] = None  # the indentation of a magic continued on this line
    for number, line in enumerate(lines, start=1):
        if carry is not None:
            out[number] = f"{carry}pass"
        elif (m := _TIMED_STATEMENT.match(line)) is not None and not line.rstrip().endswith("\\"):
            out[number] = f"{m.group('indent')}{'if 1:'.ljust(len(m.group('prefix')))}{m.group('statement')}"
        elif (m := _ASSIGNED_MAGIC.match(line)) is not None:
            out[number] = f"{m.group('indent')}{m.group('target')} = None"
        elif (m := _MAGIC_LINE.match(line) or _HELP_SUFFIX.match(line)) is not None:
            out[number] = f"{m.group('indent')}pass"
        else:
            continue
        carry = (_indent(line) if carry is None else carry) if line.rstrip().endswith("\\") else None
    return out


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _confirm(lines: list[str], candidates: dict[int, str]) -> dict[int, str]:
    """The candidates that are IPython syntax: replaced, a statement starts there. When the
    replaced text does not parse, a candidate whose own text lets the parse go further (a
    `% 2` continuing an expression) is given back; if nothing parses, all stay replaced (the
    cell's own syntax error is reported when it is compiled)."""
    kept = dict(candidates)
    tree, error = _try(lines, kept)
    for number in sorted(candidates):
        if tree is not None:
            break
        trial = {n: t for n, t in kept.items() if n != number}
        trial_tree, trial_error = _try(lines, trial)
        if trial_tree is not None or trial_error > error:
            kept, tree, error = trial, trial_tree, trial_error
    if tree is None:
        return candidates
    starts = {node.lineno for node in ast.walk(tree) if isinstance(node, ast.stmt)}
    confirmed: dict[int, str] = {}
    for number in sorted(kept):  # a continuation line goes with the line it continues
        if number in starts or (number - 1) in confirmed:
            confirmed[number] = kept[number]
    return confirmed


def _try(lines: list[str], replacements: dict[int, str]) -> tuple[Optional[ast.Module], int]:
    """(the tree, 0) of the lines with the replacements made, or (None, the error's line)."""
    replaced = list(lines)
    for number, text in replacements.items():
        replaced[number - 1] = text
    try:
        return _parse("\n".join(replaced)), 0
    except SyntaxError as exc:
        return None, exc.lineno or 0


def _parse(text: str, filename: str = "<cell>") -> ast.Module:
    return compile(text, filename, "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


# -- whole-notebook views -----------------------------------------------------------
def compile_flags() -> int:
    return ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def parse(path: str, unreadable) -> ast.Module:
    """Every code cell's syntax tree in one module (for the import closure). `unreadable`
    builds the exception for a syntax error: (path, cell, line, column, message)."""
    body: list[ast.stmt] = []
    for cell in read_cells(path):
        try:
            tree = _parse(cell.python, cell_filename(path, cell.number))
        except SyntaxError as exc:
            raise unreadable(path, cell.number, exc.lineno or 1, exc.offset or 1, exc.msg) from None
        except ValueError as exc:  # a null byte
            raise unreadable(path, cell.number, 1, 1, str(exc)) from None
        body.extend(tree.body)
    return ast.Module(body=body, type_ignores=[])
