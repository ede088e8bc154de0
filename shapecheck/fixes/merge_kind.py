"""Change the merge itself: `Multiply` instead of `Add` for a one-channel map added to a
feature map (SC201: an attention map meant as a gate); `axis=-1` for a Concatenate whose
inputs disagree on the channels because it joins along a spatial axis (SC101)."""

from __future__ import annotations

from typing import Iterator

from shapecheck.algebra.merge import outcome
from shapecheck.fixes import FindingSite, suggester, verify
from shapecheck.fixes.wording import calls_words, make_fix
from shapecheck.graph import Graph, MergeSpec
from shapecheck.layout import axis_name, channel_axis, spatial_axes
from shapecheck.rules.base import Fix

ADDITIVE = {"Add", "add", "Subtract", "subtract", "Average", "Maximum", "Minimum"}


def _on_members(site: FindingSite, change) -> verify.Edit:
    names = {layer for layer, _ in site.finding.members()}

    def edit(model: Graph) -> None:
        for _, node in model.walk():
            if node.name in names:
                change(node)

    return edit


@suggester("SC201")
def multiply_instead(site: FindingSite) -> Iterator[Fix]:
    node = site.node
    assert node.merge is not None  # SC201 is found on a merge
    rank = max(len(s) for s in node.input_shapes)
    gates = [
        b
        for b in outcome(node.merge, node.input_shapes).broadcasts
        if not b.missing and b.axis == channel_axis(rank, node.layout)
    ]
    if not gates or node.op not in ADDITIVE:
        return

    def to_multiply(member) -> None:
        member.op = "Multiply"

    if verify.no_new_conflicts(site, verify.apply(site, [_on_members(site, to_multiply)])):
        count = len(site.finding.members())
        words = f"Multiply instead of {node.op} (the size-1 map as a gate){calls_words([None] * count)}"
        yield make_fix(site, node, words, "merge", verify.verified_at(site), 1)


@suggester("SC101")
def concat_on_channels(site: FindingSite) -> Iterator[Fix]:
    node = site.node
    assert node.merge is not None  # SC101 is found on a merge
    if node.merge.kind != "concat":
        return
    rank = max(len(s) for s in node.input_shapes)
    if rank < 3 or node.merge.axis % rank not in spatial_axes(rank, node.layout):
        return
    axis = -1 if channel_axis(rank, node.layout) == rank - 1 else 1

    def on_channels(member) -> None:
        member.merge = MergeSpec("concat", axis)

    if verify.check(site, verify.apply(site, [_on_members(site, on_channels)])):
        words = f"axis={axis} on {node.op} '{node.name}': join along the channels, not the {_axis_word(node, rank)}"
        yield make_fix(site, node, words, "axis", verify.verified_at(site), 1)


def _axis_word(node, rank: int) -> str:

    return axis_name(node.merge.axis, rank, node.layout)
