"""A verdict and a one-line "why" for every merge node (the table's last columns)."""

from __future__ import annotations

from shapecheck.algebra.merge import outcome
from shapecheck.graph import Graph, Node
from shapecheck.provenance import format_shape
from shapecheck.rules.mismatch import axis_word


def merge_verdict(graph: Graph, node: Node) -> tuple[str, str]:
    """("ok" | "broadcast" | "mismatch", why)."""
    shapes = node.input_shapes
    result = outcome(node.merge, shapes)
    rank = max(len(s) for s in shapes)
    if not result.ok:
        if result.rank_mismatch and node.merge.kind != "dot":
            return "mismatch", "ranks differ: " + " vs ".join(format_shape(s) for s in shapes)
        parts = [
            f"{axis_word(c.axis, rank)} {' vs '.join('?' if d is None else str(d) for d in c.dims)}"
            for c in result.conflicts
        ]
        return "mismatch", ", ".join(parts)
    if node.merge.kind == "concat":
        axis = node.merge.axis % rank
        sizes = [s[axis] for s in shapes]
        total = "?" if None in sizes else str(sum(sizes))
        return "ok", f"{len(shapes)} inputs joined along {axis_word(axis, rank)} -> {total}; other axes equal"
    if node.merge.kind == "dot":
        return "ok", "contracted axes agree"
    if result.broadcasts:
        stretched = sorted({(b.input_index, b.axis, b.missing) for b in result.broadcasts})
        words = [
            f"input {i + 1} {'lacks' if missing else 'has size 1 on'} {axis_word(a, rank)}"
            for i, a, missing in stretched
        ]
        return "broadcast", "agree only by broadcasting: " + "; ".join(words)
    return "ok", f"equal shapes {format_shape(shapes[0])}"
