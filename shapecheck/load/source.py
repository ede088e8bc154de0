"""Reading a Python file as Python (never running it): its text and its syntax tree.

A file that cannot be read as Python (a syntax error, a null byte, bytes that are not in its
encoding) is never "clean": it is one `path:line:col: SyntaxError: ...` line.
"""

from __future__ import annotations

import ast
import io
import tokenize

from shapecheck.cells import file_position, is_notebook
from shapecheck.errors import CheckError


class Unreadable(CheckError):
    """A .py file that Python itself could not read; carries where."""

    def __init__(self, path: str, line: int, column: int, message: str):
        super().__init__(f"{path}:{line}:{column}: SyntaxError: {message}")
        self.path, self.line, self.column, self.message = path, line, column, message


def _position(raw: bytes, index: int) -> tuple[int, int]:
    """1-based line and column of byte `index`."""
    line_start = raw.rfind(b"\n", 0, index) + 1
    return raw.count(b"\n", 0, index) + 1, index - line_start + 1


def decode(raw: bytes, path: str) -> str:
    """The text of a source file, in its declared encoding (PEP 263; UTF-8 by default)."""
    if b"\0" in raw:
        raise Unreadable(path, *_position(raw, raw.index(b"\0")), "source code cannot contain null bytes")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:  # an unknown coding cookie, or a BOM that contradicts it
        raise Unreadable(path, exc.lineno or 1, 1, str(exc.msg if hasattr(exc, "msg") else exc)) from None
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        byte = raw[exc.start : exc.start + 1].hex()
        raise Unreadable(
            path, *_position(raw, exc.start), f"not valid {encoding} (byte 0x{byte}: {exc.reason})"
        ) from None


def read_text(path: str) -> str:
    """A regular file's text, at most bounded.MAX_SOURCE_BYTES (never a pipe or a device)."""
    from shapecheck import bounded

    return decode(bounded.read_file(path, bounded.MAX_SOURCE_BYTES, "a Python module"), path)


def _cell_unreadable(path: str, cell: int, line: int, column: int, message: str) -> Unreadable:
    """'nb.ipynb:cell 3:2:5: SyntaxError: ...'; its position is the line in the file's JSON."""

    exc = Unreadable(f"{path}:cell {cell}", line, column, message)
    exc.path = path
    exc.line, exc.column = file_position(path, cell, line, column)
    return exc


def parse(path: str) -> ast.Module:
    """The syntax tree of a .py file (of every code cell of a notebook), or Unreadable
    saying where it went wrong."""
    from shapecheck.load import notebook

    if is_notebook(path):
        return notebook.parse(path, _cell_unreadable)
    text = read_text(path)
    try:
        return ast.parse(text, path)
    except SyntaxError as exc:
        raise Unreadable(path, exc.lineno or 1, exc.offset or 1, exc.msg) from None
    except (RecursionError, MemoryError):  # Python itself could not compile it either
        raise Unreadable(path, 1, 1, "nested too deeply for Python's parser") from None
