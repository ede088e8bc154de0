"""Tensor layouts: which axis holds the channels, which ones are spatial.

Keras decides this per layer (`data_format`, defaulting to the global
`image_data_format()` when the layer is made). A merge or an activation has no
`data_format` of its own: its tensors keep the layout of what produced them. So each IR
node carries `layout`, the layout of its outputs, assigned once per graph by
`assign_layouts` from the nodes that declare one. Framework-neutral: both front ends
(capture and the saved-config reader) call it.
"""

from __future__ import annotations

from typing import Optional

CHANNELS_LAST = "channels_last"
CHANNELS_FIRST = "channels_first"

# Ops after which the old axis order says nothing about the new one: their layout is
# the one their consumers expect.
REORDERING_OPS = {"Permute", "Transpose", "Reshape", "Flatten", "transpose", "reshape"}

SPATIAL_NAMES = {1: ["length"], 2: ["height", "width"], 3: ["depth", "height", "width"]}


def channel_axis(rank: int, layout: Optional[str]) -> int:
    """Index of the channel axis (the feature axis of rank-2 tensors)."""
    if layout == CHANNELS_FIRST and rank > 2:
        return 1
    return rank - 1


def spatial_axes(rank: int, layout: Optional[str]) -> list[int]:
    if layout == CHANNELS_FIRST:
        return list(range(2, rank))
    return list(range(1, rank - 1))


def axis_name(axis: int, rank: int, layout: Optional[str] = CHANNELS_LAST) -> str:
    """'channels', 'height', 'width', 'length', 'depth', or 'features' for rank-2 tensors."""
    axis %= rank
    if axis == channel_axis(rank, layout):
        return "channels" if rank > 2 else "features"
    if axis == 0:
        return "batch"
    spatial = spatial_axes(rank, layout)
    names = SPATIAL_NAMES.get(len(spatial))
    if names and axis in spatial:
        return names[spatial.index(axis)]
    return f"axis {axis}"


def finish_graph(graph, default: str = CHANNELS_LAST) -> None:
    """What every front end does to a graph it made: nested graphs linked, layouts set."""
    graph.link_subgraphs()
    assign_layouts(graph, default)


def assign_layouts(graph, default: str = CHANNELS_LAST) -> None:
    """Set `node.layout` on every node of `graph` (and its nested graphs).

    A node with a `data_format` has that layout. An Input, or an op that reorders axes,
    takes the layout of the first layer downstream that declares one (reached through
    nodes that keep the axis order), else `default`. Every other node keeps the layout
    of its first input.
    """
    downstream = _declared_downstream(graph)
    for node in graph.nodes:
        declared = node.config.get("data_format")
        if declared in (CHANNELS_LAST, CHANNELS_FIRST):
            node.layout = declared
        elif node.kind == "input" or node.op in REORDERING_OPS or not node.inputs:
            node.layout = downstream.get(node.id) or default
        else:
            node.layout = graph.nodes[node.inputs[0].source].layout
        if node.subgraph is not None:
            assign_layouts(node.subgraph, default)


def _declared_downstream(graph) -> dict[int, Optional[str]]:
    """node id -> the data_format of the first consumer chain that declares one."""
    users: dict[int, list[int]] = {}
    for node in graph.nodes:
        for edge in node.inputs:
            users.setdefault(edge.source, []).append(node.id)
    found: dict[int, Optional[str]] = {}
    for node in reversed(graph.nodes):  # consumers come later in topological order
        layout = None
        for user_id in users.get(node.id, []):
            user = graph.nodes[user_id]
            declared = user.config.get("data_format")
            if declared in (CHANNELS_LAST, CHANNELS_FIRST):
                layout = declared
            elif user.op not in REORDERING_OPS:
                layout = found.get(user_id)
            if layout:
                break
        found[node.id] = layout
    return found
