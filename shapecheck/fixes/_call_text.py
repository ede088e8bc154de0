"""Exact text edits on the user's call (read with `ast`, never run): set a keyword argument,
replace an `Input(...)` shape literal. Only for plain .py files; None when the call cannot be
found unambiguously."""

from __future__ import annotations

import ast
import os
from typing import Optional

from shapecheck.fixes._source import Source, cached_source, end_of
from shapecheck.graph import Node
from shapecheck.provenance import display_path
from shapecheck.rules.base import TextEdit


def _source(node: Node) -> Optional[Source]:
    loc = node.location
    if loc is None or loc.cell is not None or not loc.path.endswith(".py") or not os.path.isfile(loc.path):
        return None
    return cached_source(loc.path, os.path.getmtime(loc.path))


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def find_call(node: Node, names: tuple[str, ...]) -> Optional[tuple[ast.Call, Source]]:
    """The call `Conv2D(...)` that made `node` (by the callee's name and the node's line)."""
    source = _source(node)
    if source is None:
        return None
    assert node.location is not None  # _source read the file it names
    line = node.location.line
    calls = [
        c
        for c in ast.walk(source.tree)
        if isinstance(c, ast.Call) and _callee(c) in names and c.lineno <= line <= (c.end_lineno or c.lineno)
    ]
    starting = [c for c in calls if c.lineno == line]
    chosen = starting if starting else calls
    return (chosen[0], source) if len(chosen) == 1 else None


def _edit(
    node: Node, checked_path: str, source: Source, start: tuple[int, int], end: tuple[int, int], text: str
) -> TextEdit:
    """From ast's (line, byte offset) positions."""
    assert node.location is not None  # the call was found in the file it names (find_call)
    return source.edit(start[0], start[1], end[0], end[1], text, display_path(node.location.path, checked_path), None)


# Where Keras takes an argument positionally: Conv2D(filters, kernel_size, strides, padding).
POSITIONS = {
    "conv": {"filters": 0, "kernel_size": 1, "strides": 2, "padding": 3},
    "depthwise": {"kernel_size": 0, "strides": 1, "padding": 2},
    "pool": {"pool_size": 0, "strides": 1, "padding": 2},
    "dense": {"units": 0},
}


def _family(op: str) -> str:
    if op.startswith("Depthwise"):
        return "depthwise"
    if "Pooling" in op:
        return "pool"
    return "dense" if op == "Dense" else "conv"


def keyword_edit(node: Node, checked_path: str, keyword: str, value: str) -> Optional[TextEdit]:
    """`keyword=value` in the call that made `node`: the old value replaced (given by keyword
    or by position), or the argument added."""
    found = find_call(node, (node.op,))
    if found is None:
        return None
    call, source = found
    lines = source.lines
    if any(isinstance(a, ast.Starred) for a in call.args):
        return None
    position = POSITIONS[_family(node.op)].get(keyword)
    if position is not None and position < len(call.args):
        v = call.args[position]
        return _edit(node, checked_path, source, (v.lineno, v.col_offset), end_of(v), value)
    for kw in call.keywords:
        if kw.arg == keyword:
            v = kw.value
            return _edit(node, checked_path, source, (v.lineno, v.col_offset), end_of(v), value)
        if kw.arg is None:
            return None  # **kwargs: the argument may be in there
    end_line, end_offset = end_of(call)
    end = (end_line, end_offset - 1)  # the closing parenthesis
    before = "".join(lines[call.lineno - 1 : end[0] - 1]) + lines[end[0] - 1].encode("utf-8")[: end[1]].decode(
        "utf-8", "replace"
    )
    before = before.rstrip()
    separator = "" if before.endswith(("(", ",")) else ", "
    if before.endswith(","):
        separator = " "
    return _edit(node, checked_path, source, end, end, f"{separator}{keyword}={value}")


def input_shape_edit(node: Node, checked_path: str, shape: tuple) -> Optional[TextEdit]:
    """`Input((3, 96, 96))` -> `Input((96, 96, 3))`: the literal shape of the call replaced."""
    found = find_call(node, ("Input", "InputLayer"))
    if found is None:
        return None
    call, source = found
    literal = (
        call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("shape", "batch_shape")), None)
    )
    if not isinstance(literal, (ast.Tuple, ast.List)):
        return None
    text = "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    if isinstance(literal, ast.List):
        text = "[" + text[1:-1].rstrip(",") + "]"
    return _edit(
        node,
        checked_path,
        source,
        (literal.lineno, literal.col_offset),
        end_of(literal),
        text,
    )
