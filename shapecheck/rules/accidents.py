"""SC201, SC204: merges that work, but by accident."""

from __future__ import annotations

from typing import Iterator

from shapecheck.algebra.merge import merged_shape, outcome
from shapecheck.layout import spatial_axes
from shapecheck.provenance import format_shape
from shapecheck.rules.base import Finding, NodeSite, Rule, Severity, register
from shapecheck.rules.mismatch import axis_word

BROADCAST_SUSPECT_OPS = {"Add", "Subtract", "Average", "Maximum", "Minimum"}


@register
class SilentBroadcast(Rule):
    """What it does: finds Add, Subtract, Average, Maximum and Minimum merges (and the `+`
    and `-` operators on symbolic tensors) whose inputs agree only because one of them has
    a size-1 axis, or lacks an axis, that Keras stretches over the other.

    Why is this bad? A residual sum of a (H, W, 1) map and a (H, W, 64) map builds and
    trains, but it adds the same value to every channel: usually a conv with the wrong
    number of filters. Multiply is not flagged: gating (squeeze-and-excitation (1, 1, C),
    spatial attention (H, W, 1)) broadcasts on purpose.

    Example:
        y = Conv2D(1, 3, padding="same")(x)      # meant Conv2D(64, ...)
        out = Add()([x, y])                      # (56, 56, 64) + (56, 56, 1)

    Use instead: give both branches the same shape:
        y = Conv2D(64, 3, padding="same")(x)
        out = Add()([x, y])
    """

    code, name, severity = "SC201", "silent-broadcast", Severity.WARNING

    def check(self, site: NodeSite) -> Iterator[Finding]:
        node = site.node
        if node.merge.kind != "elementwise" or node.op not in BROADCAST_SUSPECT_OPS:
            return
        shapes = node.input_shapes
        result = outcome(node.merge, shapes)
        if not result.ok or not result.broadcasts:
            return
        rank = max(len(s) for s in shapes)
        out = merged_shape(node.merge, shapes)
        parts = []
        for b in result.broadcasts:
            target = out[b.axis] if out is not None else None
            how = "lacks the" if b.missing else "has size 1 on the"
            parts.append(f"input {b.input_index + 1} {how} {axis_word(b.axis, rank, node.layout)} axis (stretched to {target})")
        listed = " and ".join(format_shape(s) for s in shapes)
        yield self.finding(site, f"{node.op} '{node.name}' merges {listed} only by broadcasting: " + "; ".join(parts))


@register
class ConcatSpatialAxis(Rule):
    """What it does: finds a Concatenate of image tensors (rank 4 or 5) along a spatial
    axis (height, width or depth) instead of the channels.

    Why is this bad? Two (28, 28, 64) feature maps joined on axis=1 give (56, 28, 64): the
    maps are stacked on top of each other, so later convs see a tall image and the skip
    connection's features never sit beside the decoder's. It builds, and trains badly.
    Code ported from channels_first (axis=1 meant channels there) does this. The axes are
    read in the layout in effect: under channels_first, axis=1 is the channels and fine.

    Example:
        merged = Concatenate(axis=1)([up, skip])

    Use instead: concatenate along the channels (the default):
        merged = Concatenate()([up, skip])       # axis=-1
    """

    code, name, severity = "SC204", "concat-spatial-axis", Severity.WARNING

    def check(self, site: NodeSite) -> Iterator[Finding]:
        node = site.node
        if node.merge.kind != "concat":
            return
        ranks = {len(s) for s in node.input_shapes}
        if len(ranks) != 1 or not ranks & {4, 5}:
            return
        (rank,) = ranks
        axis = node.merge.axis % rank
        if axis not in spatial_axes(rank, node.layout):
            return
        out = merged_shape(node.merge, node.input_shapes)
        listed = " + ".join(format_shape(s) for s in node.input_shapes)
        result = f" -> {format_shape(out)}" if out else ""
        yield self.finding(
            site,
            f"{node.op} '{node.name}' joins image tensors along the {axis_word(axis, rank, node.layout)} (axis {node.merge.axis}): "
            f"{listed}{result}; feature maps are stacked, not put side by side as channels",
        )
