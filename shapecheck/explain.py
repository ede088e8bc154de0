"""A verdict and a one-line "why" for every merge node, and the full story of one merge."""

from __future__ import annotations

from typing import Optional, cast

from shapecheck.algebra.merge import outcome
from shapecheck.graph import Graph, Node
from shapecheck.layout import channel_axis
from shapecheck.provenance import axis_origin, changes_shape, describe_origin, format_shape, split_branches
from shapecheck.rules.mismatch import axis_word

BRANCH_LIMIT = 256  # nodes a report's shortcut story walks back per merge (--explain: no limit)


def merge_verdict(graph: Graph, node: Node, path: Optional[str] = None, memo: Optional[dict] = None) -> tuple[str, str]:
    """("ok" | "broadcast" | "mismatch", why). `memo`: one dict per model shared by all its
    merges (see provenance.axis_origin); with it the shortcut story's walk is bounded too."""
    shapes = node.input_shapes
    assert node.merge is not None  # the verdict of a merge node
    result = outcome(node.merge, shapes)
    rank = max(len(s) for s in shapes)
    if not result.ok:
        if result.rank_mismatch and node.merge.kind != "dot":
            return "mismatch", "ranks differ: " + " vs ".join(format_shape(s) for s in shapes)
        parts = [
            f"{axis_word(c.axis, rank, node.layout)} {' vs '.join('?' if d is None else str(d) for d in c.dims)}"
            for c in result.conflicts
        ]
        return "mismatch", ", ".join(parts)
    if node.merge.kind == "concat":
        axis = node.merge.axis % rank
        sizes = [s[axis] for s in shapes]
        total = "?" if None in sizes else str(sum(cast("list[int]", sizes)))
        return (
            "ok",
            f"{len(shapes)} inputs joined along {axis_word(axis, rank, node.layout)} -> {total}; other axes equal",
        )
    if node.merge.kind == "dot":
        return "ok", "contracted axes agree"
    if result.broadcasts:
        stretched = sorted({(b.input_index, b.axis, b.missing) for b in result.broadcasts})
        words = [
            f"input {i + 1} {'lacks' if missing else 'has size 1 on'} {axis_word(a, rank, node.layout)}"
            for i, a, missing in stretched
        ]
        return "broadcast", "agree only by broadcasting: " + "; ".join(words)
    return "ok", shortcut_why(graph, node, path, memo) or f"equal shapes {format_shape(shapes[0])}"


def shortcut_why(graph: Graph, node: Node, path: Optional[str] = None, memo: Optional[dict] = None) -> Optional[str]:
    """For a two-input elementwise merge: is the shorter branch an identity or a projection,
    and which layers set the channels on each side?"""
    if len(node.inputs) != 2 or len(node.input_shapes[0]) < 2:
        return None
    branches = split_branches(graph, node, BRANCH_LIMIT if memo is not None else None)
    if branches.common is None:
        return None
    short = 0 if len(branches.members[0]) < len(branches.members[1]) else 1
    main = 1 - short
    channel = channel_axis(len(node.input_shapes[short]), node.layout)
    size = node.input_shapes[short][channel]
    short_origin = axis_origin(graph, node.inputs[short], channel, memo)
    main_origin = axis_origin(graph, node.inputs[main], channel, memo)
    main_text = f"main branch (input {main + 1}): {describe_origin(main_origin, path)}"
    changing = [graph.nodes[i] for i in branches.members[short] if changes_shape(graph.nodes[i])]
    if changing:
        return (
            f"projection shortcut (input {short + 1}): {size} channels set by "
            f"{describe_origin(short_origin, path)}; {main_text}"
        )
    return (
        f"identity shortcut (input {short + 1}): {size} channels set by {describe_origin(short_origin, path)}"
        f"{_earlier_call(short_origin, node)}; {main_text}"
    )


def _earlier_call(origin: Node, merge: Node) -> str:
    """' in an earlier block() call (conv_shortcut=True)': the call that set the shortcut's
    shape, with the arguments that differ from this merge's call."""
    if not merge.chain or not origin.chain:
        return ""
    here = merge.chain[-1]
    there = next((f for f in reversed(origin.chain) if f.function == here.function), None)
    if there is None:
        return f" in {origin.chain[-1].function}()" if origin.chain[-1].function != "<module>" else ""
    if there.call == here.call:
        return ""  # set in this same call
    mine = dict(here.args)
    differing = [f"{k}={v}" for k, v in there.args if mine.get(k) != v]
    return f" in an earlier {here.function}() call" + (f" ({', '.join(differing)})" if differing else "")


def _where(node: Node) -> str:
    """'line 48   ', or 'cell 5:48' in a notebook."""
    if node.location is not None and node.location.cell is not None:
        return f"{node.location.label():<12}"
    return f"line {node.line or '?':<5}"


def explain_merge(graph: Graph, node: Node, path: Optional[str] = None) -> list[str]:
    """Both branches of a merge from their common ancestor, layer by layer with shapes."""
    verdict, why = merge_verdict(graph, node, path)
    lines = [f"{node.op} '{node.name}' ({node.location.label() if node.location else 'line ?'}): {verdict}: {why}"]
    branches = split_branches(graph, node)
    if branches.common is not None:
        common = graph.nodes[branches.common]
        lines.append(f"  the inputs share {describe_origin(common, path)} -> {format_shape(common.output_shapes[0])}")
    for i, members in enumerate(branches.members):
        lines.append(f"  input {i + 1}: {len(members)} layer{'s' if len(members) != 1 else ''} after that")
        for node_id in members:
            member = graph.nodes[node_id]
            before = format_shape(member.input_shapes[0]) if member.input_shapes else "-"
            mark = "*" if changes_shape(member) else " "
            lines.append(
                f"   {mark} {member.name:<28} {member.op:<22} {_where(member)} "
                f"{before} -> {format_shape(member.output_shapes[0])}"
            )
    lines.append("  (* changes the shape)")
    return lines
