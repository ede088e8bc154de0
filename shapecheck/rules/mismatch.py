"""SC101-SC103: merge inputs that cannot be combined at the declared size."""

from __future__ import annotations

from typing import Iterator

from shapecheck.algebra.merge import AxisConflict, MergeOutcome, batch_clash, outcome
from shapecheck.layout import CHANNELS_LAST, axis_name, channel_axis
from shapecheck.provenance import axis_origin, describe_origin, format_shape
from shapecheck.rules.base import Finding, NodeSite, Rule, Severity, register


def is_channel_axis(axis: int, rank: int, layout: str = CHANNELS_LAST) -> bool:
    """The channel axis of the layout in effect (the feature axis of rank-2 tensors)."""
    return axis % rank == channel_axis(rank, layout)


def axis_word(axis: int, rank: int, layout: str = CHANNELS_LAST) -> str:
    return axis_name(axis, rank, layout)


def branch_story(site: NodeSite, conflict: AxisConflict, rank: int) -> str:
    """'input 1: 256 channels set by Conv2D conv2d_5 (line 48); input 2: ...'"""
    parts = []
    word = axis_word(conflict.axis, rank, site.node.layout)
    for i, edge in enumerate(site.node.inputs):
        shape = site.graph.shape_of(edge)
        own_axis = conflict.axis - (rank - len(shape))
        if own_axis < 1:
            parts.append(f"input {i + 1} has no {word} axis")
            continue
        origin = axis_origin(site.graph, edge, own_axis)
        parts.append(f"input {i + 1}: {word} {shape[own_axis]} set by {describe_origin(origin, site.path)}")
    return "; ".join(parts)


def _conflicts(site: NodeSite) -> tuple[MergeOutcome, int]:
    shapes = site.node.input_shapes
    assert site.node.merge is not None  # the merge rules' sites are merge nodes (Rule.check_model)
    return outcome(site.node.merge, shapes), max(len(s) for s in shapes)


def _axis_message(site: NodeSite, conflicts: list[AxisConflict], rank: int) -> str:
    """Every conflicting axis in words, and the story of the first one on each branch."""
    node = site.node
    shapes = " and ".join(format_shape(s) for s in node.input_shapes)
    words = ", ".join(
        f"{axis_word(c.axis, rank, node.layout)} {' vs '.join('?' if d is None else str(d) for d in c.dims)}"
        for c in conflicts
    )
    return f"{node.op} '{node.name}' cannot merge {shapes}: {words}. {branch_story(site, conflicts[0], rank)}"


class _AxisRule(Rule):
    def wants(self, conflict: AxisConflict, rank: int, layout: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def check(self, site: NodeSite) -> Iterator[Finding]:
        result, rank = _conflicts(site)
        assert site.node.merge is not None  # a merge rule: check_model gives it merge nodes only
        if result.ok or (result.rank_mismatch and site.node.merge.kind != "dot") or site.node.consequence_of:
            return
        mine = [c for c in result.conflicts if self.wants(c, rank, site.node.layout)]
        if mine:
            yield self.finding(site, _axis_message(site, mine, rank))


@register
class ChannelMismatch(_AxisRule):
    """What it does: finds merges whose inputs disagree on the channel axis (the last axis
    under channels_last, axis 1 under channels_first; the feature axis of rank-2 tensors)
    where neither side has size 1.

    Why is this bad? Keras raises "Inputs have incompatible shapes" when the model is
    built, naming no source line. `Add` never zero-pads or projects: only a size-1 axis
    broadcasts.

    Example:
        y = Conv2D(256, 1)(x)          # x has 64 channels
        out = Add()([y, x])            # 256 vs 64

    Use instead: project the shortcut so both sides have the same channels:
        shortcut = Conv2D(256, 1)(x)
        out = Add()([y, shortcut])
    """

    code, name, severity = "SC101", "channel-mismatch", Severity.ERROR
    rebuild, marks = True, "channel"

    def wants(self, conflict: AxisConflict, rank: int, layout: str) -> bool:
        return is_channel_axis(conflict.axis, rank, layout)


@register
class SpatialMismatch(_AxisRule):
    """What it does: finds merges whose inputs disagree on a spatial axis (height, width,
    depth or length) at the declared input size.

    Why is this bad? The model cannot be built (or, with `Concatenate`, fails at the first
    batch). Usually one branch strides or uses padding='valid' and the other does not.

    Example:
        y = Conv2D(64, 3)(x)           # padding='valid': 56 -> 54
        out = Add()([y, x])

    Use instead: keep both branches the same size:
        y = Conv2D(64, 3, padding="same")(x)
        out = Add()([y, x])
    """

    code, name, severity = "SC102", "spatial-mismatch", Severity.ERROR
    rebuild, marks = True, "spatial"

    def wants(self, conflict: AxisConflict, rank: int, layout: str) -> bool:
        return not is_channel_axis(conflict.axis, rank, layout)


@register
class RankMismatch(Rule):
    """What it does: finds merges whose inputs have different ranks and cannot broadcast
    (or a `Concatenate` of inputs of different rank, which never works).

    Why is this bad? Keras raises at build time; often a `Flatten` or a global pool sits
    on one branch only.

    Example:
        v = GlobalAveragePooling2D()(x)     # (None, 32)
        out = Add()([v, y])                 # y: (None, 8, 8, 64)

    Use instead: reshape the vector to (1, 1, C) with matching C, or merge tensors of the
    same rank:
        v = Reshape((1, 1, 64))(Dense(64)(v))
        out = Multiply()([y, v])
    """

    code, name, severity = "SC103", "rank-mismatch", Severity.ERROR
    rebuild = True

    def check(self, site: NodeSite) -> Iterator[Finding]:
        yield from self._batch_clash(site)
        result, _ = _conflicts(site)
        assert site.node.merge is not None  # a merge rule: check_model gives it merge nodes only
        if result.ok or not result.rank_mismatch or site.node.merge.kind == "dot" or site.node.consequence_of:
            return
        node = site.node
        shapes = " vs ".join(format_shape(s) for s in node.input_shapes)
        ranks = " vs ".join(str(len(s)) for s in node.input_shapes)
        origins = "; ".join(
            f"input {i + 1} from {describe_origin(site.graph.producer(e), site.path)}"
            for i, e in enumerate(node.inputs)
        )
        yield self.finding(site, f"{node.op} '{node.name}' cannot merge rank {ranks}: {shapes}. {origins}")

    def _batch_clash(self, site: NodeSite) -> Iterator[Finding]:
        """An op (not a merge layer) of inputs of different rank: NumPy's broadcasting puts
        the smaller one's batch axis on an axis of the larger one (Keras builds it, with the
        batch unknown; it fails when run on a batch of 2)."""
        node = site.node
        assert node.merge is not None  # a merge rule: check_model gives it merge nodes only
        if node.kind != "op" or node.merge.kind != "elementwise" or node.consequence_of:
            return
        clash = batch_clash(node.input_shapes)
        if clash is None:
            return
        big = node.input_shapes[clash.against]
        axis = axis_name(clash.axis, len(big), node.layout)
        small = node.input_shapes[clash.input_index]
        yield self.finding(
            site,
            f"{node.op} '{node.name}' broadcasts from the right, batch axis included (an op, not a merge layer): "
            f"input {clash.input_index + 1} {format_shape(small)} puts its batch axis on the {axis} "
            f"({clash.size}) of input {clash.against + 1} {format_shape(big)}, so it fails at run time for every "
            f"batch size but 1 and {clash.size}. Keep the batch axis first: add the missing axes after it "
            f"(keepdims=True, or keras.ops.expand_dims(x, axis=(1, 2)))",
        )
