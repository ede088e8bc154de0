"""Which layer set an axis of a tensor: walk back while the axis keeps its size."""

from __future__ import annotations

import heapq
import os
from dataclasses import dataclass
from typing import Optional

from shapecheck.graph import Edge, Graph, Node, Shape
from shapecheck.layout import channel_axis


def axis_origin(graph: Graph, edge: Edge, axis: int, memo: Optional[dict] = None) -> Node:
    """The node that last changed `axis` (an index into the tensor's shape) on this branch.

    Walks up from the producer of `edge`; at each node it follows the first input of the
    same rank that carries the same size on the axis. A node with no such input (a conv
    that changes the channels, a pool that halves H, an Input) is the origin, and so is a
    layer whose configuration sets the channels (Conv `filters`, Dense `units`) even when
    it keeps their number: a 64 -> 64 convolution is where those 64 channels come from.
    The walk goes into nested models and traced custom layers (to the layer inside that
    set the axis) and out of them (from an inner Input to the tensor the block was given).

    `memo` (one dict per model, shared by all its merges) remembers the answer for every edge
    a walk passed: the same axis of one edge is walked once, however many merges ask.
    """
    if memo is None:
        return _walk_to_origin(graph, edge, axis, [])
    passed: list = []
    origin = _walk_to_origin(graph, edge, axis, passed, memo)
    for key in passed:
        memo[key] = origin
    return origin


def _walk_to_origin(graph: Graph, edge: Edge, axis: int, passed: list, memo: Optional[dict] = None) -> Node:
    shape = graph.shape_of(edge)
    size = shape[axis] if axis < len(shape) else None
    rank = len(shape)
    for _ in range(100_000):  # a bound, not a limit in practice: every step moves upstream
        if memo is not None:
            key = (id(graph), edge.source, edge.index, axis)
            if key in memo:
                return memo[key]
            passed.append(key)
        node = graph.producer(edge)
        if node.subgraph is not None and edge.index < len(node.subgraph.outputs):
            graph, edge = node.subgraph, node.subgraph.outputs[edge.index]
            continue
        outer = _outer_edge(graph, node, axis, size, rank)
        if outer is not None:
            graph, edge = outer
            continue
        nxt = _same_axis_input(graph, node, axis, size, rank)
        if nxt is None:
            return node
        edge = nxt
    return graph.producer(edge)


def _outer_edge(graph: Graph, node: Node, axis: int, size, rank: int):
    """For an Input of a nested graph: the edge that fed it from outside, if it carries the axis."""
    if node.kind != "input" or graph.parent is None or node.id not in graph.inputs:
        return None
    outer_graph, holder = graph.parent
    k = graph.inputs.index(node.id)
    if k >= len(holder.inputs):
        return None
    edge = holder.inputs[k]
    shape = outer_graph.shape_of(edge)
    if len(shape) != rank or shape[axis] != size:
        return None
    return outer_graph, edge


def _same_axis_input(graph: Graph, node: Node, axis: int, size, rank: int) -> Edge | None:
    if node.merge is not None and node.merge.kind == "concat" and node.merge.axis % rank == axis:
        return None  # a concat along this axis sets it
    if axis == channel_axis(rank, node.layout) and ("filters" in node.config or "units" in node.config):
        return None  # a projection sets the channels, whatever their number before
    for edge in node.inputs:
        shape = graph.shape_of(edge)
        if len(shape) == rank and shape[axis] == size:
            return edge
    return None


def describe_origin(node: Node, checked_path: str | None = None) -> str:
    """'Conv2D conv2d_5 (line 48)'; the file too when it is not the checked one."""
    if node.kind == "input":
        where = f"Input {node.name}"
    else:
        where = f"{node.op} {node.name}"
    if node.location is None:
        return where
    if checked_path is not None and not same_file(node.location.path, checked_path):
        return f"{where} ({node.location.path}:{node.location.line})"
    return f"{where} ({node.location.label()})"


def same_file(a: str, b: str) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def display_path(path: str, checked_path: str) -> str:
    """The checked path as the user typed it, or another file relative to the cwd."""
    if same_file(path, checked_path):
        return checked_path
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def format_shape(shape: Shape) -> str:
    """(None, 56, 56, 256) -> '(None, 56, 56, 256)'."""
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def shape_runs(shapes, times: str = "x") -> list[str]:
    """One entry per run of equal shapes: '(None, 56, 56, 4) x32' for 32 equal inputs."""
    out: list[str] = []
    previous, count = None, 0
    for shape in list(shapes) + [object()]:
        if shape == previous:
            count += 1
            continue
        if previous is not None:
            out.append(format_shape(previous) + (f" {times}{count}" if count > 1 else ""))
        previous, count = shape, 1
    return out


@dataclass
class Branches:
    """The two inputs of a merge traced back to the nearest tensor they share."""

    common: Optional[int]  # node id of the nearest common ancestor (None: separate inputs)
    members: list[list[int]]  # per input: node ids on that branch after the common ancestor, in order


def split_branches(graph: Graph, node: Node, limit: Optional[int] = None) -> Branches:
    """Walk back from every input at once, latest node first (ids are topological), so the
    first node reached from every input is the nearest common ancestor. With a `limit`, a
    walk that passes more nodes than that gives up (common None): a report of every merge
    stays linear in the size of the model, whatever its shortcuts span."""
    reach: dict[int, int] = {}  # node id -> bit set of the inputs that reach it
    heap: list[int] = []
    everyone = (1 << len(node.inputs)) - 1
    for i, edge in enumerate(node.inputs):
        if edge.source not in reach:
            heapq.heappush(heap, -edge.source)
        reach[edge.source] = reach.get(edge.source, 0) | (1 << i)
    members: list[list[int]] = [[] for _ in node.inputs]
    while heap:
        if limit is not None:
            limit -= 1
            if limit < 0:
                return Branches(None, [sorted(m) for m in members])
        current = -heapq.heappop(heap)
        mask = reach[current]
        if mask == everyone:
            return Branches(current, [sorted(m) for m in members])
        for i in range(len(node.inputs)):
            if mask & (1 << i):
                members[i].append(current)
        for edge in graph.nodes[current].inputs:
            if edge.source not in reach:
                heapq.heappush(heap, -edge.source)
                reach[edge.source] = 0
            reach[edge.source] |= mask
    return Branches(None, [sorted(m) for m in members])


def changes_shape(node: Node) -> bool:
    return not node.input_shapes or node.output_shapes[0] != node.input_shapes[0]
