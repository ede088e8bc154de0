"""SC201, SC204: merges that work, but by accident."""

from __future__ import annotations

from typing import Iterator

from shapecheck.algebra.merge import merged_shape, outcome
from shapecheck.layout import channel_axis, spatial_axes
from shapecheck.provenance import axis_origin, format_shape
from shapecheck.rules.base import Finding, NodeSite, Rule, Severity, register
from shapecheck.rules.mismatch import axis_word

BROADCAST_SUSPECT_OPS = {"Add", "Subtract", "Average", "Maximum", "Minimum"}


# Ops that make a size-1 axis on purpose: a reduction with keepdims, or an inserted axis.
DELIBERATE_SIZE_ONE = {
    "Mean",
    "Max",
    "Min",
    "Sum",
    "Prod",
    "Std",
    "Var",
    "Logsumexp",
    "ExpandDims",
    "GetItem",
    "Reshape",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
}


@register
class SilentBroadcast(Rule):
    """What it does: finds Add, Subtract, Average, Maximum and Minimum merges (and the `+`
    and `-` operators on symbolic tensors) that agree only because Keras stretches a size-1
    axis of one input over the other, where that is unlikely to be meant:

    - a size-1 *channel* axis stretched over C > 1 channels: a one-channel map (an
      attention map, a conv with the wrong number of filters) added to a feature map;
    - a size-1 *spatial* axis stretched while the same input keeps another spatial axis
      larger than 1 (a (1, W, C) row or (H, 1, C) column), unless a reduction along that
      axis (`keras.ops.mean(..., keepdims=True)`, a keepdims global pool) or an inserted
      axis (`x[:, None, :]`, `expand_dims`) made it so on purpose.

    Not flagged: a per-channel vector over the spatial axes, shaped (1, 1, C) or (C,): a
    bias, a FiLM or diffusion time embedding (`emb[:, None, None, :]`), mean-centring, an
    additive channel weighting. Multiply is never flagged: gating (squeeze-and-excitation
    (1, 1, C), spatial attention (H, W, 1)) broadcasts on purpose.

    Why is this bad? A residual sum of a (H, W, 1) map and a (H, W, 64) map builds and
    trains, but it adds the same value to every channel: usually a conv with the wrong
    number of filters, or an attention map that was meant to be multiplied.

    Example:
        attention = Conv2D(1, 7, padding="same", activation="sigmoid")(x)
        out = Add()([x, attention])              # (56, 56, 64) + (56, 56, 1)

    Use instead: multiply a map meant as attention, or give both branches the same shape:
        out = Multiply()([x, attention])
    """

    code, name, severity = "SC201", "silent-broadcast", Severity.WARNING
    fix_check = "broadcast gone"

    def check(self, site: NodeSite) -> Iterator[Finding]:
        node = site.node
        assert node.merge is not None  # a merge rule: check_model gives it merge nodes only
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
            if not _unintended(site, b, rank):
                continue
            target = out[b.axis] if out is not None else None
            parts.append(
                f"input {b.input_index + 1} has size 1 on the {axis_word(b.axis, rank, node.layout)} axis (stretched to {target})"
            )
        if parts:
            listed = " and ".join(format_shape(s) for s in shapes)
            yield self.finding(
                site, f"{node.op} '{node.name}' merges {listed} only by broadcasting: " + "; ".join(parts)
            )


def _unintended(site: NodeSite, b, rank: int) -> bool:
    """The rule above, for one stretched axis."""
    if b.missing:
        return False  # a vector over the leading (spatial) axes: a bias, an embedding
    node = site.node
    edge = node.inputs[b.input_index]
    shape = site.graph.shape_of(edge)
    own = b.axis - (rank - len(shape))
    if own == channel_axis(len(shape), node.layout):
        return True
    spatial = spatial_axes(len(shape), node.layout)
    if all(shape[a] == 1 for a in spatial):
        return False  # (1, 1, C): a per-channel vector
    return axis_origin(site.graph, edge, own).op not in DELIBERATE_SIZE_ONE


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

    Use instead: join the channels, axis=-1 (axis=1 under channels_first); `--fix` makes this edit:
        merged = Concatenate(axis=-1)([up, skip])   # or Concatenate(): -1 is the default
    """

    code, name, severity = "SC204", "concat-spatial-axis", Severity.WARNING
    marks = "concat"

    def check(self, site: NodeSite) -> Iterator[Finding]:
        node = site.node
        assert node.merge is not None  # a merge rule: check_model gives it merge nodes only
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
