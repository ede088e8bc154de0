"""How a suggestion names the user's code: the layer, its line, the calls it covers."""

from __future__ import annotations

from typing import Optional, Sequence

from shapecheck.graph import Node
from shapecheck.provenance import display_path, same_file
from shapecheck.rules.base import Fix, TextEdit


def layer_words(node: Node, checked_path: str) -> str:
    """ "Conv2D 'conv2d_5' (line 48)", with the file when it is another one."""
    words = f"{node.op} '{node.name}'"
    loc = node.location
    if loc is None:
        return words
    if not same_file(loc.path, checked_path):
        return f"{words} ({display_path(loc.path, checked_path)}:{loc.line})"
    return f"{words} ({loc.label()})"


def line_words(node: Node, checked_path: str) -> str:
    """'line 48' (or 'cell 5:48', or 'blocks.py:48')."""
    loc = node.location
    if loc is None:
        return f"'{node.name}'"
    if not same_file(loc.path, checked_path):
        return f"{display_path(loc.path, checked_path)}:{loc.line}"
    return loc.label()


def per_call_words(specs: Sequence[str]) -> str:
    """The first spec, and '(then B, C, ... at the other calls)' when calls of the line differ."""
    if len(specs) < 2:
        return specs[0]
    return f"{specs[0]} (then {', '.join(specs[1:3])}{', ...' if len(specs) > 3 else ''} at the other calls)"


def calls_words(nodes: Sequence) -> str:
    """'' for one node; '; all 16 calls of that line' for a line called many times."""
    return f"; all {len(nodes)} calls of that line" if len(nodes) > 1 else ""


def make_fix(
    site,
    node: Optional[Node],
    description: str,
    kind: str,
    verified_at: tuple,
    cost: int,
    edits: tuple[TextEdit, ...] = (),
) -> Fix:
    """A Fix placed at `node`'s source line (the finding's own line when it has none)."""
    loc = node.location if node is not None else None
    if loc is None:
        f = site.finding
        return Fix(description, kind, f.path, f.line, verified_at, edits, False, f.cell, cost)
    return Fix(
        description, kind, display_path(loc.path, site.path), loc.line, verified_at, edits, False, loc.cell, cost
    )
