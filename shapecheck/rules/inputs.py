"""SC205: an image input laid out channels-first, fed to layers that run channels_last."""

from __future__ import annotations

from collections import deque
from typing import Iterator, Optional

from shapecheck.graph import Graph, Node
from shapecheck.provenance import describe_origin, format_shape
from shapecheck.rules.base import Context, Finding, NodeSite, Rule, Severity, register

CHANNEL_COUNTS = {1, 3, 4}
MIN_SPATIAL = 8  # a last axis this large is an image side, not a channel count


def consumers(graph: Graph) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for node in graph.nodes:
        for edge in node.inputs:
            out.setdefault(edge.source, []).append(node.id)
    return out


def first_layout_layer(graph: Graph, start: int, users: dict[int, list[int]]) -> Optional[Node]:
    """The first layer downstream of `start` that declares a data_format."""
    queue, seen = deque(users.get(start, [])), set()
    while queue:
        node_id = queue.popleft()
        if node_id in seen:
            continue
        seen.add(node_id)
        node = graph.nodes[node_id]
        if "data_format" in node.config:
            return node
        queue.extend(users.get(node_id, []))
    return None


@register
class ChannelsFirstInput(Rule):
    """What it does: finds an image Input whose first axis looks like channels (1, 3 or 4)
    while its last axis is image-sized, feeding layers that run channels_last. It is
    reported at the `Input(...)` line; an input whose layers run channels_first is fine.

    Why is this bad? Code written for `(3, H, W)` (Theano-era tutorials, PyTorch ports,
    FaceNet's Inception blocks) convolves over a height of 3 and treats W as the channels
    under Keras' default channels_last. Its merges then fail, or match by luck.

    Example:
        inputs = Input((3, 96, 96))
        x = Conv2D(64, 7, strides=2, padding="same")(inputs)

    Use instead: put the channels last (transpose the data once), or say channels_first:
        inputs = Input((96, 96, 3))
        x = Conv2D(64, 7, strides=2, padding="same")(inputs)
    """

    code, name, severity = "SC205", "channels-first-input", Severity.WARNING

    def check_model(self, model: Graph, path: str, context: Context) -> Iterator[Finding]:
        users = consumers(model)
        for node_id in model.inputs:
            node = model.nodes[node_id]
            shape = node.output_shapes[0]
            if len(shape) not in (4, 5) or shape[1] not in CHANNEL_COUNTS:
                continue
            if shape[-1] is None or shape[-1] < MIN_SPATIAL:
                continue
            layer = first_layout_layer(model, node_id, users)
            if layer is None or layer.config.get("data_format") != "channels_last":
                continue
            yield self.finding(
                NodeSite(model, model, node, path),
                f"Input '{node.name}' {format_shape(shape)} looks channels-first ({shape[1]} first, "
                f"{shape[-1]} last), but {describe_origin(layer, path)} runs channels_last: it treats "
                f"{shape[1]} as the height and {shape[-1]} as the channels",
            )
