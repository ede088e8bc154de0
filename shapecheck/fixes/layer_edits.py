"""One argument of the layer that set the differing axis: padding='same', strides=1, or
filters/units equal to the other input's channels.

The layer comes from provenance (`axis_origin`) at the declared size; for size-dependent
findings (at None sizes every axis "keeps" its size up to the Input) it is each layer on the
merge's branches that changes a spatial size. padding and strides are source-line
arguments: the edit is applied to every call of that line. filters is set per call, each
to the width its own merge needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator, Optional

from shapecheck.algebra.layers import CONV, CONV_TRANSPOSE, POOL, as_tuple
from shapecheck.algebra.merge import outcome
from shapecheck.fixes import FindingSite, suggester, verify
from shapecheck.fixes._call_text import keyword_edit
from shapecheck.fixes.wording import calls_words, layer_words, make_fix
from shapecheck.graph import Graph, Node
from shapecheck.layout import channel_axis
from shapecheck.provenance import axis_origin, split_branches
from shapecheck.rules.base import Fix

BRANCH_LIMIT = 400  # nodes walked back from a merge to find the layers on its branches
MAX_LAYERS = 8  # layers tried per finding


@dataclass
class Candidate:
    key: tuple
    argument: str
    value: object
    layer: Node  # on the finding's own merge
    changes: dict = field(default_factory=dict)  # node name -> {argument: value}


def merge_members(site: FindingSite) -> list[tuple[Graph, Node]]:
    """The finding's merges in the original model (itself first, then its repeats)."""
    found = [site.model.find_node(layer) for layer, _ in site.finding.members()]
    return [f for f in found if f is not None]


def conflict_axes(node: Node) -> list[tuple[int, int]]:
    """(input index, axis in that input) of each input on each conflicting axis, at the declared size."""
    assert node.merge is not None  # the finding's merge
    result = outcome(node.merge, node.input_shapes)
    rank = max(len(s) for s in node.input_shapes)
    out = []
    for conflict in result.conflicts:
        for i, shape in enumerate(node.input_shapes):
            own = conflict.axis - (rank - len(shape))
            if own >= 1:
                out.append((i, own))
    return out


def spatial_layers(graph: Graph, node: Node) -> list[Node]:
    """Layers on the merge's branches (back to the tensor they share) that change a spatial size."""
    branches = split_branches(graph, node, limit=BRANCH_LIMIT)
    found = []
    for ids in branches.members:
        for node_id in reversed(ids):
            layer = graph.nodes[node_id]
            if layer.op in CONV | CONV_TRANSPOSE | POOL and layer.subgraph is None:
                found.append(layer)
    return found


def _changes_size(layer: Node, argument: str) -> bool:
    config = layer.config
    if argument == "padding":
        if config.get("padding", "valid") != "valid":
            return False
        window = config.get("kernel_size", config.get("pool_size", 1))
        n = len(layer.output_shapes[0]) - 2
        strides = config.get("strides") or config.get("pool_size") or 1
        return any(k > 1 for k in as_tuple(window, n)) or any(s > 1 for s in as_tuple(strides, n))
    strides = config.get("strides")
    return strides is not None and any(s > 1 for s in as_tuple(strides, len(layer.output_shapes[0]) - 2))


def _same_line_candidate(model: Graph, layer: Node, argument: str, value) -> Candidate:
    calls = verify.same_call_site(model, layer)
    return Candidate(("line", layer.name, argument), argument, value, layer, {n.name: {argument: value} for n in calls})


def spatial_candidates(site: FindingSite) -> list[Candidate]:
    node, graph = site.node, site.graph
    if site.finding.rule.fix_check != "declared":  # across the sweep, or a broadcast at any axis
        layers = spatial_layers(graph, node)
    else:
        layers = [
            axis_origin(graph, node.inputs[i], axis)
            for i, axis in conflict_axes(node)
            if axis != channel_axis(len(node.input_shapes[i]), node.layout)
        ] + spatial_layers(graph, node)
    out, seen = [], set()
    for layer in layers:
        if layer.name in seen or layer.op not in CONV | CONV_TRANSPOSE | POOL:
            continue
        seen.add(layer.name)
        if _changes_size(layer, "padding"):
            out.append(_same_line_candidate(site.model, layer, "padding", "same"))
        if _changes_size(layer, "strides") and layer.op in CONV:
            out.append(_same_line_candidate(site.model, layer, "strides", 1))
    return out[:MAX_LAYERS]


def width_candidates(site: FindingSite) -> list[Candidate]:
    """filters/units of the layer that set one input's channels, per call, to the other input's."""
    first = site.node
    axes = [(i, a) for i, a in conflict_axes(first) if a == channel_axis(len(first.input_shapes[i]), first.layout)]
    out = []
    for i, axis in axes:
        candidate = _width_for_input(site, i, axis)
        if candidate is not None:
            out.append(candidate)
    return out


def _width_for_input(site: FindingSite, i: int, axis: int) -> Optional[Candidate]:
    changes: dict[str, dict] = {}
    layer: Optional[Node] = None
    for graph, node in merge_members(site):
        assert node.merge is not None  # merge_members are merges
        if i >= len(node.inputs) or node.merge.kind == "concat":
            return None
        origin = axis_origin(graph, node.inputs[i], axis)
        argument = "filters" if "filters" in origin.config else "units" if "units" in origin.config else None
        others = {s[axis - (len(node.input_shapes[i]) - len(s))] for j, s in enumerate(node.input_shapes) if j != i}
        others.discard(None)
        if argument is None or len(others) != 1 or origin.op.startswith("Depthwise"):
            return None
        (target,) = others
        changes.setdefault(origin.name, {})[argument] = target
        layer = layer or origin
    values = {v for change in changes.values() for v in change.values()}
    argument = next(iter(next(iter(changes.values()))))
    assert layer is not None  # the loop ran (changes is not empty) and set it
    value = values.pop() if len(values) == 1 else None
    return Candidate(("width", i), argument, value, layer, changes)


def apply_changes(changes: dict):
    def edit(model: Graph) -> None:
        for _graph, node in model.walk():
            if node.name in changes:
                node.config.update(changes[node.name])

    return edit


def describe(site: FindingSite, c: Candidate) -> str:
    where = layer_words(c.layer, site.path)
    if c.value is None:
        return (
            f"{c.argument} equal to the other input's channels on {where} (per call: "
            + ", ".join(str(v) for change in list(c.changes.values())[:4] for v in change.values())
            + ")"
        )
    value = f"'{c.value}'" if isinstance(c.value, str) else str(c.value)
    return f"{c.argument}={value} on {where}{calls_words(list(c.changes))}"


def _edits(site: FindingSite, c: Candidate) -> tuple:
    if c.value is None or (c.argument in ("filters", "units") and len(verify.same_call_site(site.model, c.layer)) > 1):
        return ()
    value = f'"{c.value}"' if isinstance(c.value, str) else str(c.value)
    edit = keyword_edit(c.layer, site.path, c.argument, value)
    return (edit,) if edit is not None else ()


def verified(site: FindingSite, candidates: list[Candidate]) -> Iterator[Fix]:
    """Candidates the shape algebra verifies, then Keras builds (where it can be asked)."""
    for c in candidates:
        if not verify.check(site, verify.apply(site, [apply_changes(c.changes)])):
            continue
        built = verify.keras_builds(site, c.changes)
        if built is None:
            continue  # Keras refuses the edited model: the algebra's word does not stand
        fix = make_fix(site, c.layer, describe(site, c), "layer-argument", verify.verified_at(site), 1, _edits(site, c))
        yield replace(fix, keras_built=built)


@suggester("SC101", "SC102", "SC104", "SC202")
def layer_argument(site: FindingSite) -> Iterator[Fix]:
    candidates = width_candidates(site) if site.finding.rule.marks == "channel" else spatial_candidates(site)
    yield from verified(site, candidates)


@suggester("SC201")
def broadcast_source(site: FindingSite) -> Iterator[Fix]:
    """The layer that made the size-1 axis: filters=C for a one-channel map, padding='same'
    for a kernel that collapses a spatial axis."""
    node = site.node
    assert node.merge is not None  # SC201 is found on a merge
    result = outcome(node.merge, node.input_shapes)
    rank = max(len(s) for s in node.input_shapes)
    candidates = []
    for b in result.broadcasts:
        if b.missing:
            continue
        shape = node.input_shapes[b.input_index]
        own = b.axis - (rank - len(shape))
        origin = axis_origin(site.graph, node.inputs[b.input_index], own)
        if own == channel_axis(len(shape), node.layout) and "filters" in origin.config:
            target = max(s[b.axis - (rank - len(s))] or 0 for s in node.input_shapes)
            changes = {n.name: {"filters": target} for n in verify.same_call_site(site.model, origin)}
            candidates.append(Candidate(("width", origin.name), "filters", target, origin, changes))
        elif _changes_size(origin, "padding"):
            candidates.append(_same_line_candidate(site.model, origin, "padding", "same"))
    yield from verified(site, candidates)


GLOBAL_POOLS = (
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
)


@suggester("SC103")
def keep_the_batch_axis_first(site: FindingSite) -> Iterator[Fix]:
    """An op whose lower-rank input is a global pool's vector: keepdims=True on the pool, so
    NumPy's broadcasting meets the batch axis with the batch axis. Checked by the algebra
    (the op's inputs then have one rank and agree) and built by Keras on a batch of 2."""
    from shapecheck.algebra.merge import batch_clash

    node = site.node
    clash = batch_clash(node.input_shapes) if node.kind == "op" else None
    if clash is None:
        return
    pool = site.graph.producer(node.inputs[clash.input_index])
    if pool.op not in GLOBAL_POOLS or pool.config.get("keepdims"):
        return
    c = _same_line_candidate(site.model, pool, "keepdims", True)
    after = verify.evaluate(site, verify.apply(site, [apply_changes(c.changes)]), record=True)
    shapes = after.merge_inputs.get(node.name)
    if shapes is None or node.name in after.conflicts:
        return
    concrete = [tuple(int(d) if d is not None else None for d in s) for s in shapes]
    if batch_clash(concrete) is not None or len({len(s) for s in concrete}) != 1:
        return
    built = verify.keras_builds(site, c.changes)
    if built is None:
        return
    fix = make_fix(site, pool, describe(site, c), "layer-argument", verify.verified_declared(site), 1, _edits(site, c))
    yield replace(fix, keras_built=built)
