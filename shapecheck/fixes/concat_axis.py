"""SC204: concatenate along the channels: a literal `axis=1` -> `axis=-1` (or the layout's
channel axis), kept only when the shape algebra finds this merge and every merge after it
agreeing with the new axis."""

from __future__ import annotations

import ast
from typing import Iterator, Optional, cast

from shapecheck.fixes import FindingSite, suggester
from shapecheck.fixes._source import Source, calls_at, end_of, line_label, read_source
from shapecheck.graph import MergeSpec
from shapecheck.layout import channel_axis
from shapecheck.provenance import format_shape
from shapecheck.rules.base import Fix, TextEdit

# where a concatenation takes its axis positionally: layer classes first, functions second
AXIS_POSITION = {"Concatenate": 0, "concatenate": 1, "concat": 1}


@suggester("SC204")
def channel_concat(site: FindingSite) -> Iterator[Fix]:
    node, finding = site.node, site.finding
    assert node.merge is not None  # SC204 is found on a concat
    rank = len(node.input_shapes[0])
    channels = channel_axis(rank, node.layout)
    axis_text = "-1" if channels == rank - 1 else str(channels)
    verified = _verified_at(site, MergeSpec("concat", int(axis_text)))
    if verified is None:
        return
    location = node.location
    source = read_source(location.path, location.cell) if location and finding.line else None
    edit = (
        axis_edit(source, finding.line, finding.column, node.merge.axis, rank, axis_text, finding.path, finding.cell)
        if source and finding.line  # source is read only for a finding with a line
        else None
    )
    where = line_label(finding)
    yield Fix(
        description=f"axis={axis_text} on {node.op} '{node.name}'{where}: join the channels",
        kind="axis",
        path=finding.path,
        line=finding.line,
        verified_at=verified,
        edits=(edit,) if edit else (),
        safe=edit is not None,
        cell=finding.cell,
    )


def axis_edit(
    source: Source,
    line: int,
    column: Optional[int],
    axis: int,
    rank: int,
    replacement: str,
    path: str,
    cell: Optional[int] = None,
) -> Optional[TextEdit]:
    """The edit of the one literal axis argument (keyword or positional) of the concatenation
    called at (line, column) — the layer's constructor in `Concatenate(axis=1)([a, b])` — and
    equal to `axis`; None when there is not exactly one such literal."""
    literals = [
        value
        for call in _concat_calls(source.tree, line, column)
        for value in [_axis_argument(call)]
        if value is not None and _literal(value) is not None
    ]
    literals = list({id(v): v for v in literals}.values())
    if len(literals) != 1 or cast(int, _literal(literals[0])) % rank != axis % rank:  # a literal, as kept above
        return None
    value = literals[0]
    end_line, end_offset = end_of(value)
    if value.lineno != end_line:
        return None
    return source.edit(value.lineno, value.col_offset, end_line, end_offset, replacement, path, cell)


def _concat_calls(tree: ast.AST, line: int, column: Optional[int]) -> list[ast.Call]:
    """The concatenation calls in the layer call at (line, column): the call itself and the
    calls it is made of (`Concatenate(axis=1)` in `Concatenate(axis=1)([a, b])`)."""
    out = []
    call: ast.expr
    for call in calls_at(tree, line, column)[:1] if column else calls_at(tree, line, None):
        while isinstance(call, ast.Call):
            if _name(call.func) in AXIS_POSITION:
                out.append(call)
            call = call.func
    return out


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _axis_argument(call: ast.Call) -> Optional[ast.expr]:
    for keyword in call.keywords:
        if keyword.arg == "axis":
            return keyword.value
    position = AXIS_POSITION[_name(call.func)]
    if any(isinstance(a, ast.Starred) for a in call.args[: position + 1]) or any(k.arg is None for k in call.keywords):
        return None
    return call.args[position] if len(call.args) > position else None


def _literal(value: ast.expr) -> Optional[int]:
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        inner = _literal(value.operand)
        return -inner if inner is not None else None
    if isinstance(value, ast.Constant) and type(value.value) is int:
        return value.value
    return None


def _verified_at(site: FindingSite, spec: MergeSpec) -> Optional[tuple]:
    """The model's input shapes, if with `spec` on this merge (and on its repeats: the same
    line called again) they all agree and no merge fails that did not fail before; else None."""
    from shapecheck.recovery import failing_merges

    model = site.model
    found = [model.find_node(layer) for layer, _ in site.finding.members()]
    nodes = [(graph, node) for graph, node in (f for f in found if f is not None)]
    before = failing_merges(model)
    originals = [node.merge for _, node in nodes]
    for _, node in nodes:
        node.merge = spec  # evaluated on this graph with the merges swapped, restored below
    try:
        after = failing_merges(model)
    finally:
        for (_, node), original in zip(nodes, originals):
            node.merge = original
    if any((id(graph), node.id) in after for graph, node in nodes) or after - before:
        return None
    return tuple(format_shape(s) for s in model.input_shapes)
