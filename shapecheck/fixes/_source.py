"""The text a suggestion edits: a module's source, or one notebook cell's, and positions in it.

Python's positions (ast, code objects) count columns in UTF-8 bytes from 0; a TextEdit counts
characters from 1, as an editor does. `Source` converts between them.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Optional, TypeVar, Union

from shapecheck.errors import CheckError
from shapecheck.rules.base import TextEdit


@dataclass(frozen=True)
class Source:
    text: str
    lines: tuple[str, ...]  # with their line endings
    tree: ast.Module
    digest: str = ""  # sha256 of the file's bytes

    def char_column(self, line: int, byte_offset: int) -> int:
        """1-based character column of a 0-based UTF-8 byte offset on `line` (1-based)."""
        return len(self.lines[line - 1].encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1

    def edit(
        self,
        node_line: int,
        byte_start: int,
        end_line: int,
        byte_end: int,
        replacement: str,
        path: str,
        cell: Optional[int],
    ) -> TextEdit:
        return TextEdit(
            path,
            node_line,
            self.char_column(node_line, byte_start),
            end_line,
            self.char_column(end_line, byte_end),
            replacement,
            cell,
            self.digest,
        )


def parse_source(text: str, digest: str = "") -> Optional[Source]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return Source(text, tuple(text.splitlines(keepends=True)), tree, digest)


def file_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def read_source(path: str, cell: Optional[int]) -> Optional[Source]:
    """The module's text, or the notebook cell's (as Python, IPython lines neutralised, so
    the lines are the cell's own); None when it cannot be read or parsed."""
    from shapecheck import bounded
    from shapecheck.load.source import decode

    try:
        raw = bounded.read_file(
            path, bounded.MAX_SOURCE_BYTES if cell is None else bounded.MAX_CONFIG_BYTES, "a source file"
        )
        if cell is None:
            return parse_source(decode(raw, path), file_digest(raw))
        from shapecheck.load.notebook import read_cells

        for found in read_cells(path):
            if found.number == cell:
                return parse_source(found.python or found.source, file_digest(raw))
    except (CheckError, OSError):
        return None
    return None


@lru_cache(maxsize=32)
def cached_source(path: str, mtime: float) -> Optional[Source]:
    """read_source of a module, once per version of the file (suggesters ask about many layers)."""
    return read_source(path, None)


def line_label(finding) -> str:
    """' (line 32)', ' (cell 3:4)' in a notebook; nothing for a saved model's finding."""
    if not finding.line:
        return ""
    return f" (cell {finding.cell}:{finding.line})" if finding.cell is not None else f" (line {finding.line})"


def calls_at(tree: ast.AST, line: int, column: Optional[int]) -> list[ast.Call]:
    """Calls that start at (line, 1-based byte column) — the column a finding carries; with no
    column, every call starting on the line. Outermost first."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and node.lineno == line and (column is None or node.col_offset + 1 == column)
    ]


_Node = TypeVar("_Node", bound=ast.AST)


def inside(outer: ast.AST, kind: type[_Node]) -> Iterator[_Node]:
    return (node for node in ast.walk(outer) if isinstance(node, kind))


def end_of(node: Union[ast.expr, ast.stmt, ast.arg, ast.keyword]) -> tuple[int, int]:
    """(end line, end byte offset) of a node that ast.parse made: it sets them on every one
    (typeshed has them Optional, for nodes made by hand)."""
    assert node.end_lineno is not None and node.end_col_offset is not None
    return node.end_lineno, node.end_col_offset
