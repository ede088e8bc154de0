"""Notebook cells as the rest of shapecheck names them: the pseudo-filename a cell is compiled
under ('nb.ipynb:cell N'), and where a cell's line is in the .ipynb file's own text (for
viewers of the raw file: SARIF, GitHub annotations). Reading and neutralising a notebook
is load/notebook.py's job; this leaf is shared by capture, fixes and reports."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from typing import Callable, Optional

from shapecheck import bounded
from shapecheck.errors import CheckError

SUFFIX = ".ipynb"
# json's string reader (text, index after the quote) -> (value, index after it): public, not in typeshed
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_CELL_FILENAME = re.compile(r"^(?P<path>.+\.ipynb):cell (?P<cell>\d+)$", re.IGNORECASE)


def is_notebook(path: str) -> bool:
    return path.lower().endswith(SUFFIX)


def cell_filename(path: str, number: int) -> str:
    """The pseudo-filename a cell is compiled under: 'ABSPATH:cell N'. Not under any library
    root, so call sites treat it as the user's; relpath() of it reads 'nb.ipynb:cell N'."""
    return f"{os.path.abspath(path)}:cell {number}"


def split_cell_filename(filename: str) -> Optional[tuple[str, int]]:
    """(notebook path, cell number) of a cell's pseudo-filename, else None."""
    match = _CELL_FILENAME.match(filename)
    return (match.group("path"), int(match.group("cell"))) if match else None


# -- where a cell's line is in the file (for SARIF and GitHub annotations) -----------
def file_position(path: str, cell: int, line: int, column: int = 1) -> tuple[int, int]:
    """(line, column) in the .ipynb file's JSON text of a cell's source line: nbformat
    writes each source line as its own JSON string on its own line, so a code-scanning
    view of the raw file shows that line. (1, 1) when the file cannot be read."""
    try:
        stamp = os.path.getmtime(path)
    except OSError:
        return 1, 1
    strings = _source_positions(os.path.abspath(path), stamp).get(cell)
    if not strings:
        return 1, 1
    first = 1  # the cell line each JSON string starts
    for raw_line, raw_column, text in strings:
        lines = max(1, len(text.splitlines()))
        if line < first + lines or (raw_line, raw_column, text) == strings[-1]:
            if lines == 1 and line == first:
                return raw_line, raw_column + max(column, 1)  # past the opening quote
            return raw_line, raw_column  # several lines in one JSON string: its start
        first += lines
    return 1, 1


@lru_cache(maxsize=64)
def _source_positions(path: str, stamp: float) -> dict[int, list[tuple[int, int, str]]]:
    """cell number -> [(file line, file column of the opening quote, the string)] for each
    JSON string of the cell's source."""
    try:
        raw = bounded.read_file(path, bounded.MAX_NOTEBOOK_BYTES, "a notebook")
        if bounded.shape_of_json(raw)[0] > bounded.MAX_JSON_DEPTH:
            return {}  # the scanner recurses per level: a notebook too deep to read was never checked
        return _PositionScanner(raw.decode("utf-8-sig")).cells()
    except (OSError, CheckError, ValueError, UnicodeDecodeError, IndexError, RecursionError):
        return {}


class _PositionScanner:
    """A minimal JSON reader that records where the strings of cells[i].source start."""

    _WS = re.compile(r"[ \t\n\r]*")
    _SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")

    def __init__(self, text: str):
        self.text = text
        self.found: dict[int, list[tuple[int, int, str]]] = {}

    def cells(self) -> dict[int, list[tuple[int, int, str]]]:
        self._value(self._skip(0), ())
        return self.found

    def _skip(self, i: int) -> int:
        match = self._WS.match(self.text, i)
        assert match is not None  # a run of whitespace, maybe empty, matches anywhere
        return match.end()

    def _where(self, i: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, i) + 1
        return line, i - (self.text.rfind("\n", 0, i) + 1) + 1

    def _value(self, i: int, key: tuple) -> int:
        char = self.text[i]
        if char == "{":
            return self._object(i + 1, key)
        if char == "[":
            return self._array(i + 1, key)
        if char == '"':
            value, end = _scanstring(self.text, i + 1)
            self._record(i, key, value)
            return end
        match = self._SCALAR.match(self.text, i)
        if not match:
            raise ValueError(f"unexpected {char!r}")
        return match.end()

    def _record(self, i: int, key: tuple, value: str) -> None:
        if len(key) in (3, 4) and key[0] == "cells" and key[2] == "source":
            self.found.setdefault(key[1] + 1, []).append((*self._where(i), value))

    def _object(self, i: int, key: tuple) -> int:
        i = self._skip(i)
        while self.text[i] != "}":
            name, i = _scanstring(self.text, self._skip(i) + 1)
            i = self._skip(self._skip(i) + 1)  # past ':'
            i = self._skip(self._value(i, key + (name,)))
            if self.text[i] == ",":
                i = self._skip(i + 1)
        return i + 1

    def _array(self, i: int, key: tuple) -> int:
        i = self._skip(i)
        index = 0
        while self.text[i] != "]":
            i = self._skip(self._value(i, key + (index,)))
            index += 1
            if self.text[i] == ",":
                i = self._skip(i + 1)
        return i + 1
