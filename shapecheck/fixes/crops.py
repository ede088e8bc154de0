"""Crop the larger input, or pad the smaller one, by the exact amounts before the merge:
`Cropping2D(((0, 1), (0, 1)))` on the upsampled side of a U-Net skip. Each call of the line
gets its own amounts (those its shapes need)."""

from __future__ import annotations

from typing import Iterator, Optional, cast

from shapecheck.fixes import FindingSite, suggester, verify
from shapecheck.fixes.layer_edits import merge_members
from shapecheck.fixes.wording import line_words, make_fix, per_call_words
from shapecheck.graph import Node
from shapecheck.layout import spatial_axes
from shapecheck.rules.base import Fix

OPS = {"crop": ("Cropping", "cropping"), "pad": ("ZeroPadding", "padding")}


def amounts(node: Node, j: int, how: str) -> Optional[tuple]:
    """((before, after) per spatial axis) bringing input j to the smallest (crop) or largest
    (pad) size among the inputs; None when nothing is to change or a size is unknown."""
    shapes = node.input_shapes
    rank = len(shapes[j])
    if any(len(s) != rank for s in shapes) or rank < 3:
        return None
    out = []
    for axis in spatial_axes(rank, node.layout):
        sizes = [s[axis] for s in shapes]
        if None in sizes:
            return None
        known = cast("list[int]", sizes)  # no None among them
        goal = min(known) if how == "crop" else max(known)
        d = abs(known[j] - goal)
        out.append((d // 2, d - d // 2))
    return tuple(out) if any(a or b for a, b in out) else None


def _layer(node: Node, j: int, how: str, pairs: tuple) -> tuple[str, dict, tuple]:
    prefix, key = OPS[how]
    sign = -1 if how == "crop" else 1
    shape = list(node.input_shapes[j])
    for axis, (a, b) in zip(spatial_axes(len(shape), node.layout), pairs):
        shape[axis] += sign * (a + b)
    fmt = "channels_first" if node.layout == "channels_first" else "channels_last"
    return f"{prefix}{len(pairs)}D", {key: pairs, "data_format": fmt}, tuple(shape)


def words(op: str, pairs: tuple) -> str:
    inner = pairs[0] if len(pairs) == 1 else "(" + ", ".join(str(p) for p in pairs) + ")"
    return f"{op}({inner})"


@suggester("SC102")
def crop_or_pad(site: FindingSite) -> Iterator[Fix]:
    node = site.node
    assert node.merge is not None  # SC102 is found on a merge
    if node.merge.kind == "dot":
        return
    for how in ("crop", "pad"):
        for j in range(len(node.inputs)):
            plans = []
            for _, member in merge_members(site):
                pairs = amounts(member, j, how) if j < len(member.inputs) else None
                if pairs is not None:
                    plans.append((member.name, _layer(member, j, how, pairs)))
            if plans and verify.check(site, verify.apply(site, [verify.insert_at_each(plans, j, "crop_or_pad")])):
                yield make_fix(site, node, _describe(site, plans, j), how, verify.verified_at(site), _cost(plans))


def _cost(plans) -> int:
    """A pixel or two is a rounding fix; more throws content away (or invents it)."""
    config = plans[0][1][1]
    pairs = config.get("cropping", config.get("padding"))
    return 2 if all(max(p) <= 1 for p in pairs) else 3


def _describe(site: FindingSite, plans, j: int) -> str:
    key = OPS["crop"][1] if plans[0][1][0].startswith("Cropping") else OPS["pad"][1]
    specs = list(dict.fromkeys(words(op, config[key]) for _, (op, config, _) in plans))
    return f"{per_call_words(specs)} on input {j + 1} before the {site.node.op} ({line_words(site.node, site.path)})"
