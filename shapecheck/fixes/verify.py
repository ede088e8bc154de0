"""Checking a candidate edit: apply it to a copy of the model's IR, evaluate the copy with the
shape algebra (layers rebuilt for whatever reaches them), and compare with the model as it is.

A candidate fixes a finding when, on the edited copy,
- none of the merges the finding stands for (its repeats, its consequences) conflicts;
- no merge conflicts that did not conflict before (the edit alone removes this finding and
  breaks nothing else: another finding's own mismatch may stay);
- the model still accepts its inputs (no layer output shrinks to nothing) and the algebra
  can still follow every path it followed before.
At the declared size (`fixes_declared`) or, for size-dependent findings, at every size the
size sweep tried (`fixes_across_sweep`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable, Optional

import numpy as np

from shapecheck.algebra.evaluate import Evaluator
from shapecheck.graph import Edge, Graph, Node, Shape
from shapecheck.provenance import format_shape

Edit = Callable[[Graph], None]  # mutates a copy of the model


def copy_model(model: Graph) -> Graph:
    """A copy whose nodes (config, inputs, nested graphs) can be edited without touching the
    original; shapes and locations are shared (never edited in place)."""
    copied = _copy_graph(model)
    copied.link_subgraphs()
    return copied


def _copy_graph(graph: Graph) -> Graph:
    nodes = [
        replace(
            n,
            config=dict(n.config),
            inputs=list(n.inputs),
            subgraph=_copy_graph(n.subgraph) if n.subgraph is not None else None,
        )
        for n in graph.nodes
    ]
    return replace(graph, nodes=nodes, inputs=list(graph.inputs), outputs=list(graph.outputs), source=None, parent=None)


def same_call_site(model: Graph, node: Node) -> list[Node]:
    """Every node of `model` made by the same source call as `node` (a block called 22
    times makes 22): an edit of that line changes all of them."""
    if node.location is None:
        return [node]
    key = _site_key(node)
    return [n for _, n in model.walk() if n.location is not None and _site_key(n) == key]


def _site_key(node: Node) -> tuple:
    loc = node.location
    assert loc is not None  # same_call_site asks only for nodes with a location
    return loc.path, loc.cell, loc.line, loc.column, node.op


def insert_before(
    graph: Graph, consumer: Node, input_index: int, op: str, config: dict, output: Shape, name: str
) -> Node:
    """Put a new layer on input `input_index` of `consumer` (ids stay topological: the new
    node takes the consumer's place and every later node moves up by one)."""
    at = consumer.id
    edge = consumer.inputs[input_index]
    source = graph.nodes[edge.source]
    new = Node(
        id=at,
        name=name,
        op=op,
        kind="layer",
        inputs=[edge],
        input_shapes=[graph.shape_of(edge)],
        output_shapes=[tuple(output)],
        config=config,
        location=consumer.location,
        chain=consumer.chain,
        layout=source.layout,
    )

    def moved(e: Edge) -> Edge:
        return Edge(e.source + 1, e.index) if e.source >= at else e

    for node in graph.nodes[at:]:
        node.id += 1
        node.inputs = [moved(e) for e in node.inputs]
    graph.nodes.insert(at, new)
    graph.inputs = [i + 1 if i >= at else i for i in graph.inputs]
    graph.outputs = [moved(e) for e in graph.outputs]
    consumer.inputs[input_index] = Edge(at)
    return new


def insert_at_each(plans, input_index: int, suffix: str) -> Edit:
    """An edit of a model copy: for each (merge name, (op, config, output shape)) of `plans`,
    that layer put on input `input_index` of that merge (named '<merge>_<suffix>')."""

    def edit(model: Graph) -> None:
        for name, (op, config, out) in plans:
            found = model.find_node(name)
            assert found is not None  # a copy of the site's model: it has the node
            graph, member = found
            insert_before(graph, member, input_index, op, dict(config), out, f"{name}_{suffix}")

    return edit


@dataclass
class Outcome:
    """What one evaluation says: per conflicting merge (by name) the rows where it conflicts."""

    conflicts: dict
    accepted: np.ndarray
    unchecked: set
    merge_inputs: dict  # merge name -> input shapes (when recorded)


# Node evaluations the suggesters may spend per file (every 64 rows of sizes count one more):
# a model of 10,000 layers with hundreds of findings gets suggestions for its first ones,
# not a run that takes minutes. Counted, not timed, so the output does not depend on load.
BUDGET = 3_000_000


class OverBudget(Exception):
    pass


def over_budget(context) -> bool:
    return context.fixes.get("spent", 0) > BUDGET


def _charge(site, model: Graph, rows: int) -> None:
    spent = site.context.fixes.get("spent", 0) + sum(1 for _ in model.walk()) * (1 + rows // 64)
    site.context.fixes["spent"] = spent
    if spent > BUDGET:
        raise OverBudget


def evaluate(site, model: Graph, inputs: Optional[dict] = None, size: int = 1, record: bool = False) -> Outcome:
    """The model (or an edited copy) evaluated at the given input shapes, layers rebuilt."""
    _charge(site, model, size)
    evaluator = Evaluator(size, record_merge_inputs=record, rebuild=True)
    evaluator.run(model, inputs or {})
    result = evaluator.result
    conflicts = {result.merge_nodes[k][1].name: mask for k, mask in result.conflicts.items() if mask.any()}
    unchecked = {node.name for _, node, _ in result.unchecked.values()}
    recorded = {}
    if record:
        names = {(id(g), n.id): n.name for g, n in model.merges()}
        recorded = {names[k]: v for k, v in result.merge_inputs.items() if k in names}
    return Outcome(conflicts, result.accepted, unchecked, recorded)


def baseline(site) -> Outcome:
    """The unedited model at its declared size, once per model per run (kept in the rules' Context)."""
    cache = site.context.fixes
    entry = cache.get(id(site.model))
    if entry is None or entry[0] is not site.model:
        entry = (site.model, evaluate(site, site.model))
        cache[id(site.model)] = entry
    return entry[1]


def must_agree(site) -> set[str]:
    """The merges a fix must make agree: the finding's own (every repeat) and its consequences."""
    finding = site.finding
    return {layer for layer, _ in finding.members()} | {r.layer for r in finding.related if r.kind == "consequence"}


def apply(site, edits: Iterable[Edit]) -> Graph:
    patched = copy_model(site.model)
    for edit in edits:
        edit(patched)
    return patched


def fixes_declared(site, patched: Graph) -> bool:
    """At the declared input size: see the module doc."""
    before = baseline(site)
    members = {layer for layer, _ in site.finding.members()}
    if not members <= set(before.conflicts):
        return False  # the algebra does not see this mismatch: it cannot vouch for a fix
    after = evaluate(site, patched)
    return _no_worse(before, after, must_agree(site))


def no_new_conflicts(site, patched: Graph) -> bool:
    """For an edit that removes a finding by what it is (Multiply is never a silent
    broadcast): only that nothing gets worse at the declared size."""
    return _no_worse(baseline(site), evaluate(site, patched), set())


def _no_worse(before: Outcome, after: Outcome, needed: set[str]) -> bool:
    failing = set(after.conflicts)
    return (
        not failing & needed
        and failing <= set(before.conflicts)
        and bool(after.accepted.all())
        and after.unchecked <= before.unchecked
    )


# -- across the size sweep (SC104, SC202) ---------------------------------------------
def sweep_of(site):
    sweep = site.context.sweeps.get(site.model) if site.context.sweeps is not None else None
    return None if sweep is None or sweep.skipped else sweep


def sweep_inputs(sweep, model: Graph, candidates: Optional[np.ndarray] = None) -> dict:
    """Input shapes (by node id of `model`, which may be an edited copy) at the sweep's rows."""
    candidates = sweep.candidates if candidates is None else candidates
    ids = {model.nodes[i].name: i for i in model.inputs}
    mapping = {i: list(model.nodes[i].output_shapes[0]) for i in model.inputs}
    for k, axis in enumerate(sweep.axes):
        node_id = ids.get(axis.input_name)
        if node_id is not None:
            mapping[node_id][axis.index] = candidates[:, k]
    return {i: tuple(shape) for i, shape in mapping.items()}


def fixes_across_sweep(site, patched: Graph) -> bool:
    """At every size the sweep tried: the finding's merges agree wherever the edited model
    accepts the size, no size fails that passed before, and no accepted size is lost."""
    sweep = sweep_of(site)
    if sweep is None:
        return False
    after = evaluate(site, patched, sweep_inputs(sweep, patched), len(sweep.candidates))
    if after.unchecked - {n.name for _, n, _ in sweep.unchecked}:
        return False
    failed_before = sweep.union(sweep.merges) if sweep.merges else np.zeros(len(sweep.candidates), bool)
    failing, needed = np.zeros(len(sweep.candidates), bool), np.zeros(len(sweep.candidates), bool)
    required = must_agree(site)
    for name, mask in after.conflicts.items():
        failing |= mask
        if name in required:
            needed |= mask
    accepted = after.accepted
    return (
        not (needed & accepted).any()
        and not (failing & accepted & ~failed_before).any()
        and not (sweep.accepted & ~accepted).any()
    )


def size_words(model: Graph) -> str:
    """'224×224' for the first image input (or its shape), what a fix was verified at."""
    from shapecheck.sweep import image_inputs

    found = image_inputs(model)
    if found:
        node, axes = found[0]
        shape = node.output_shapes[0]
        if all(shape[a] is not None for a in axes):
            return "×".join(str(shape[a]) for a in axes)
    return ", ".join(format_shape(model.nodes[i].output_shapes[0]) for i in model.inputs)


def verified_declared(site) -> tuple:
    return (size_words(site.model),)


def verified_sweep(site) -> tuple:
    sweep = sweep_of(site)
    return (f"{' and '.join(sweep.names)} over {sweep.sizes}",) if sweep else ()


def is_size_dependent(site) -> bool:
    return site.finding.rule.fix_check == "across the sweep"


def fixes_broadcast(site, patched: Graph) -> bool:
    """SC201: the finding's merges no longer broadcast (their inputs have one shape), and
    nothing else got worse."""
    from shapecheck.algebra.merge import outcome

    after = evaluate(site, patched, record=True)
    if not _no_worse(baseline(site), after, set()):
        return False
    for layer, _ in site.finding.members():
        found = patched.find_node(layer)
        shapes = after.merge_inputs.get(layer)
        if found is None or shapes is None:
            return False
        assert found[1].merge is not None  # a member of the finding: a merge
        result = outcome(found[1].merge, [tuple(_plain(d) for d in s) for s in shapes])
        if not result.ok or result.broadcasts:
            return False
    return True


def _plain(dim):
    return int(dim) if isinstance(dim, (int, np.integer)) or (isinstance(dim, np.ndarray) and dim.ndim == 0) else dim


def check(site, patched: Graph) -> bool:
    """The check that fits the finding: across the sweep for size-dependent ones, the
    broadcast gone for SC201, else at the declared size."""
    if is_size_dependent(site):
        return fixes_across_sweep(site, patched)
    if site.finding.rule.fix_check == "broadcast gone":
        return fixes_broadcast(site, patched)
    return fixes_declared(site, patched)


def verified_at(site) -> tuple:
    return verified_sweep(site) if is_size_dependent(site) else verified_declared(site)


def keras_builds(site, changes: Optional[dict] = None, rows: Optional[list] = None) -> Optional[tuple]:
    """Keras builds the model (witnesses.py's judge), with `changes` (layer name -> {argument:
    value}) if given, every layer then built again for the shapes that reach it: at the sweep's
    `rows` if given (suggested input sizes), else at the declared size, or for a size-dependent
    finding at a size where it failed and at sizes where the model worked. The sizes it built
    at, with the finding's merges agreeing and nothing else newly refused; () when Keras cannot
    be asked here (the algebra's word stands); None when Keras refuses."""
    from shapecheck.witnesses import Unavailable, concrete_shapes, declared_failing

    judge = site.model.judge
    if judge is None:
        return ()
    needed = must_agree(site)
    before = declared_failing(site.model)  # wrong as declared already: other findings' to fix
    sweep = sweep_of(site)
    if rows is not None and sweep is not None:
        asked = [(sweep.size_text(r), concrete_shapes(sweep, r)) for r in rows]
    elif is_size_dependent(site) and sweep is not None:
        merge = next((m for m in sweep.merges if m.node.name == site.finding.layer), None)
        rows = [int(r) for r in np.flatnonzero(merge.failing)[:1]] if merge is not None else []
        built = sweep.witnessed.built_rows if sweep.witnessed is not None else []
        rows += [r for r in built[:2] if r not in rows]
        asked = [(sweep.size_text(r), concrete_shapes(sweep, r)) for r in rows]
    else:
        shapes = [(2,) + tuple(site.model.nodes[i].output_shapes[0][1:]) for i in site.model.inputs]
        asked = [(size_words(site.model), shapes)]
    said = []
    for words, shapes in asked:
        try:
            answer = judge(shapes, changes=changes)
        except Unavailable:
            return ()
        except Exception:  # noqa: BLE001 - not confirmed
            return None
        if (
            answer.rejected
            or answer.stopped
            or answer.lines
            or (answer.failing & needed)
            or (answer.failing - before - needed)
        ):
            return None
        said.append(words)
    return tuple(said)
