"""Inline suppressions: `# shapecheck: ignore[SC201]` (or bare `# shapecheck: ignore`) on the
line a finding points at (in a notebook, on that line of that cell). Comments are read from
the source with the tokenizer, so a string that merely contains the text does not count."""

from __future__ import annotations

import io
import os
import re
import tokenize
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from shapecheck import bounded
from shapecheck.errors import CheckError
from shapecheck.rules import Finding
from shapecheck.rules.unused_ignore import UnusedIgnore

PATTERN = re.compile(r"#\s*shapecheck:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)


@dataclass
class Suppression:
    path: str
    line: int
    column: int
    codes: Optional[tuple[str, ...]]  # None: every code
    used: set = field(default_factory=set)
    cell: Optional[int] = None  # in a notebook

    def covers(self, code: str) -> bool:
        return self.codes is None or any(code.startswith(c) for c in self.codes)


@lru_cache(maxsize=256)
def _comments(path: str, mtime: float) -> tuple[tuple[int, int, Optional[tuple[str, ...]]], ...]:
    try:
        source = bounded.read_file(path, bounded.MAX_SOURCE_BYTES, "a source file").decode("utf-8", errors="replace")
    except (OSError, CheckError):
        return ()
    return _comments_in(source)


@lru_cache(maxsize=64)
def _cell_comments(path: str, mtime: float) -> tuple[tuple[int, tuple], ...]:
    """(cell, its comments) for each code cell of a notebook."""
    from shapecheck.load.notebook import read_cells

    try:
        return tuple((cell.number, _comments_in(cell.python)) for cell in read_cells(path))
    except CheckError:
        return ()


def _comments_in(source: str) -> tuple[tuple[int, int, Optional[tuple[str, ...]]], ...]:
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type != tokenize.COMMENT:
                continue
            match = PATTERN.search(token.string)
            if match:
                codes = match.group("codes")
                parsed = None if codes is None else tuple(c.strip().upper() for c in codes.split(",") if c.strip())
                found.append((token.start[0], token.start[1] + 1 + match.start(), parsed))
    except (tokenize.TokenError, SyntaxError):
        return ()
    return tuple(found)


def suppressions(path: str) -> list[Suppression]:
    if not path.endswith((".py", ".ipynb")) or not os.path.isfile(path):
        return []
    if path.endswith(".ipynb"):
        return [
            Suppression(path, line, col, codes, cell=cell)
            for cell, comments in _cell_comments(path, os.path.getmtime(path))
            for line, col, codes in comments
        ]
    return [Suppression(path, line, col, codes) for line, col, codes in _comments(path, os.path.getmtime(path))]


def apply(findings: list[Finding], paths: set[str], warn_unused: bool = False) -> list[Finding]:
    """The findings no comment suppresses; with warn_unused, plus one SC001 per comment
    (or per listed code) that suppressed nothing."""
    table: dict[tuple[str, Optional[int], int], Suppression] = {}
    s: Optional[Suppression]
    for path in paths | {f.path for f in findings}:
        for s in suppressions(path):
            table[(os.path.abspath(s.path), s.cell, s.line)] = s
    kept = []
    for f in findings:
        s = table.get((os.path.abspath(f.path), f.cell, f.line)) if f.line else None
        if s is not None and s.covers(f.code):
            s.used.add(f.code)
            continue
        kept.append(f)
    if warn_unused:
        kept.extend(_unused(s) for s in table.values() if _unused_codes(s) is not None)
    return kept


def _unused_codes(s: Suppression) -> Optional[list[str]]:
    if s.codes is None:
        return None if s.used else []
    unused = [c for c in s.codes if not any(code.startswith(c) for code in s.used)]
    return unused or None


def _unused(s: Suppression) -> Finding:
    codes = _unused_codes(s)
    what = f"ignore[{', '.join(codes)}]" if codes else "ignore"
    return Finding(
        code=UnusedIgnore.code,
        name=UnusedIgnore.name,
        severity=UnusedIgnore.severity,
        message=f"unused suppression: '# shapecheck: {what}' matches no finding on this line",
        path=s.path,
        line=s.line,
        column=s.column,
        model="",
        layer="",
        cell=s.cell,
    )
