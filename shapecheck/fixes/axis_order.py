"""Axis order: SC202 (a Permute on one branch that only a square input hides: remove it, or
undo it before the merge) and SC205 (an Input laid out channels-first for layers that run
channels_last: the same Input with the channels last)."""

from __future__ import annotations

from typing import Iterator

from shapecheck.fixes import FindingSite, suggester, verify
from shapecheck.fixes._call_text import input_shape_edit
from shapecheck.fixes.wording import layer_words, line_words, make_fix
from shapecheck.graph import Graph
from shapecheck.provenance import format_shape, split_branches
from shapecheck.rules.base import Fix

BRANCH_LIMIT = 400


def _inverse(dims) -> tuple:
    dims = list(dims)
    return tuple(dims.index(k) + 1 for k in range(1, len(dims) + 1))


@suggester("SC202")
def undo_permute(site: FindingSite) -> Iterator[Fix]:
    node, graph = site.node, site.graph
    branches = split_branches(graph, node, limit=BRANCH_LIMIT)
    for j, ids in enumerate(branches.members):
        for permute in (
            graph.nodes[i] for i in ids if graph.nodes[i].op == "Permute" and "dims" in graph.nodes[i].config
        ):
            dims = tuple(permute.config["dims"])

            def remove(model: Graph, name=permute.name) -> None:
                found = model.find_node(name)
                assert found is not None  # a copy of the site's model: it has the node
                _, copy = found
                copy.op, copy.config = "Identity", {}

            if verify.check(site, verify.apply(site, [remove])):
                yield make_fix(
                    site,
                    permute,
                    f"remove {layer_words(permute, site.path)}: keep the axis order",
                    "remove-layer",
                    verify.verified_at(site),
                    1,
                )

            def undo(model: Graph, j=j, dims=dims) -> None:
                found = model.find_node(node.name)
                assert found is not None  # a copy of the site's model: it has the node
                g, member = found
                verify.insert_before(
                    g, member, j, "Permute", {"dims": _inverse(dims)}, member.input_shapes[j], f"{node.name}_unpermute"
                )

            if verify.check(site, verify.apply(site, [undo])):
                words = (
                    f"Permute({_inverse(dims)}) on input {j + 1} before the {node.op} "
                    f"({line_words(node, site.path)}): undo the swap of {layer_words(permute, site.path)}"
                )
                yield make_fix(site, node, words, "layer", verify.verified_at(site), 2)


@suggester("SC205")
def channels_last_input(site: FindingSite) -> Iterator[Fix]:
    node = site.node
    shape = node.output_shapes[0]
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)

    def transpose(model: Graph) -> None:
        found = model.find_node(node.name)
        assert found is not None  # a copy of the site's model: it has the node
        _, copy = found
        copy.output_shapes = [moved]

    if verify.no_new_conflicts(site, verify.apply(site, [transpose])):
        edit = input_shape_edit(node, site.path, moved[1:])
        words = (
            f"Input({format_shape(moved[1:])}) instead of Input({format_shape(shape[1:])}) "
            f"(transpose the data once: channels last)"
        )
        yield make_fix(site, node, words, "input-shape", (format_shape(moved[1:]),), 1, (edit,) if edit else ())
