"""A 1×1 projection on the shortcut: `Conv2D(C, 1, strides=s)` on the input that differs from
the merge's main branch (the deepest input, the one capture continued with), as a ResNet's
`conv_shortcut=True` does. Each call of the line gets its own C and s."""

from __future__ import annotations

from typing import Iterator, Optional

from shapecheck.algebra.evaluate import depths
from shapecheck.fixes import FindingSite, suggester, verify
from shapecheck.fixes.layer_edits import merge_members
from shapecheck.fixes.wording import line_words, make_fix, per_call_words
from shapecheck.graph import Graph, Node
from shapecheck.layout import channel_axis, spatial_axes
from shapecheck.rules.base import Fix

CONV_BY_RANK = {3: "Conv1D", 4: "Conv2D", 5: "Conv3D"}


def main_input(graph: Graph, node: Node) -> int:
    deep = depths(graph)
    return max(range(len(node.inputs)), key=lambda i: deep[node.inputs[i].source])


def projection_for(node: Node, main: int, j: int) -> Optional[tuple[str, dict, tuple]]:
    """(op, config, output shape) projecting input j onto the main input's shape, if a 1×1
    conv (or Dense, for vectors) with an integer stride can."""
    target, shape = node.input_shapes[main], node.input_shapes[j]
    rank = len(shape)
    if len(target) != rank or shape == target:
        return None
    channels = channel_axis(rank, node.layout)
    assert node.merge is not None  # a member of a merge finding
    width = target[channels] if node.merge.kind != "concat" else shape[channels]
    if width is None:
        return None
    if rank == 2 or (rank == 3 and shape[1] == target[1] and channels == 2):
        return "Dense", {"units": width}, tuple(shape[:-1]) + (width,)  # a sequence: project the features
    if rank not in CONV_BY_RANK:
        return None
    strides = []
    for axis in spatial_axes(rank, node.layout):
        s = _stride(shape[axis], target[axis])
        if s is None:
            return None
        strides.append(s)
    fmt = "channels_first" if channels == 1 else "channels_last"
    config = {
        "filters": width,
        "kernel_size": (1,) * len(strides),
        "strides": tuple(strides),
        "padding": "valid",
        "dilation_rate": (1,) * len(strides),
        "data_format": fmt,
    }
    out = list(target)
    out[channels] = width
    return CONV_BY_RANK[rank], config, tuple(out)


def _stride(size, target) -> Optional[int]:
    if size == target:
        return 1
    if size is None or target is None or target > size:
        return None
    s = max(1, size // target)
    return s if -(-size // s) == target else None


def spec_words(op: str, config: dict) -> str:
    if op == "Dense":
        return f"Dense({config['units']})"
    strides = set(config["strides"])
    stride = (
        ""
        if strides == {1}
        else f", strides={strides.pop()}"
        if len(strides) == 1
        else f", strides={config['strides']}"
    )
    return f"{op}({config['filters']}, 1{stride})"


@suggester("SC101", "SC102")
def projection(site: FindingSite) -> Iterator[Fix]:
    node = site.node
    assert node.merge is not None  # SC101 and SC102 are found on merges
    if node.merge.kind == "dot":
        return
    main = main_input(site.graph, node)
    for j in range(len(node.inputs)):
        if j == main:
            continue
        plans = []
        for graph, member in merge_members(site):
            planned = projection_for(member, main_input(graph, member), j) if j < len(member.inputs) else None
            if planned is None:
                break
            plans.append((member.name, planned))
        else:
            if plans and verify.check(
                site, verify.apply(site, [verify.insert_at_each(plans, j, "shortcut_projection")])
            ):
                yield make_fix(site, node, _describe(site, plans, j), "projection", verify.verified_at(site), 2)


def _describe(site: FindingSite, plans, j: int) -> str:
    shown = per_call_words(list(dict.fromkeys(spec_words(op, config) for _, (op, config, _) in plans)))
    assert site.node.merge is not None  # SC101 and SC102 are found on merges
    what = "a 1×1 projection on the shortcut" if site.node.merge.kind == "elementwise" else "a 1×1 convolution"
    words = f"{what}: {shown} on input {j + 1} ({line_words(site.node, site.path)})"
    if any(("conv_shortcut", "False") in frame.args for frame in site.node.chain):
        words += " — as conv_shortcut=True does"
    return words
