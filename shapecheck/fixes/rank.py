"""SC103: merge tensors of one rank. A vector added to a feature map becomes a per-channel
vector (`Reshape((1, 1, C))`, after a `Dense(C)` when its width differs); a feature map
concatenated with a vector is pooled to one (`GlobalAveragePooling2D`)."""

from __future__ import annotations

from typing import Iterator, Optional

from shapecheck.fixes import FindingSite, suggester, verify
from shapecheck.fixes.layer_edits import merge_members
from shapecheck.fixes.wording import line_words, make_fix
from shapecheck.graph import Graph, Node
from shapecheck.layout import channel_axis
from shapecheck.rules.base import Fix

POOL_BY_RANK = {3: "GlobalAveragePooling1D", 4: "GlobalAveragePooling2D", 5: "GlobalAveragePooling3D"}


def _plan(node: Node) -> Optional[tuple[int, list]]:
    """(input index, [(op, config, output shape), ...]) to insert on that input."""
    shapes = node.input_shapes
    if len(shapes) != 2:
        return None
    low, high = sorted(range(2), key=lambda i: len(shapes[i]))
    vector, image = shapes[low], shapes[high]
    if len(vector) != 2 or len(image) not in POOL_BY_RANK:
        return None
    channels = image[channel_axis(len(image), node.layout)]
    fmt = "channels_first" if node.layout == "channels_first" else "channels_last"
    assert node.merge is not None  # the plan for a merge's inputs
    if node.merge.kind == "concat":
        return high, [(POOL_BY_RANK[len(image)], {"data_format": fmt}, (image[0], channels))]
    layers: list[tuple[str, dict, tuple]] = []
    if vector[-1] != channels:
        layers.append(("Dense", {"units": channels}, (vector[0], channels)))
    ones = (1,) * (len(image) - 2)
    target = ones + (channels,) if fmt == "channels_last" else (channels,) + ones
    layers.append(("Reshape", {"target_shape": target}, (vector[0],) + target))
    return low, layers


def _words(plan: tuple[int, list]) -> str:
    parts = []
    for op, config, _ in plan[1]:
        if op == "Dense":
            parts.append(f"Dense({config['units']})")
        elif op == "Reshape":
            parts.append(f"Reshape({config['target_shape']})")
        else:
            parts.append(f"{op}()")
    return " then ".join(parts)


@suggester("SC103")
def same_rank(site: FindingSite) -> Iterator[Fix]:
    plans = []
    for _, member in merge_members(site):
        plan = _plan(member)
        if plan is None:
            return
        plans.append((member.name, plan))
    if not plans:
        return

    def edit(model: Graph) -> None:
        for name, (j, layers) in plans:
            for k, (op, config, out) in enumerate(layers):
                found = model.find_node(name)
                assert found is not None  # a copy of the site's model: it has the node
                graph, member = found
                verify.insert_before(graph, member, j, op, dict(config), out, f"{name}_rank_{k}")

    if verify.check(site, verify.apply(site, [edit])):
        j = plans[0][1][0]
        words = f"{_words(plans[0][1])} on input {j + 1} before the {site.node.op} ({line_words(site.node, site.path)})"
        yield make_fix(site, site.node, words, "rank", verify.verified_at(site), 1 + len(plans[0][1][1]))
