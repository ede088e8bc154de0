"""One bug, one finding: which later mismatches exist only because of a guess.

When a merge does not fit, capture lets the build go on with a best guess (the deepest
input). In a U-Net whose encoder halves 15 to 8, the first skip fails (16 vs 15), and
going on with 16 makes every later skip disagree (32 vs 30, 64 vs 60, ...) though each
would match once the first is fixed. After the build, with the whole graph known, each
recovered merge is settled on the continuation (one candidate per input) that leaves the
fewest mismatches after it, evaluated by the shape algebra with the layers rebuilt for
the new shapes. A later mismatch that disappears once the merges before it are settled
is a consequence of the first one that made it disappear; a mismatch that stays under
every choice is its own finding. Paths the algebra cannot follow change nothing.
"""

from __future__ import annotations

from typing import Optional

from shapecheck.algebra.evaluate import Evaluator
from shapecheck.algebra.merge import best_guess
from shapecheck.graph import Graph, Node

Key = tuple[int, int]


def settle(model: Graph) -> None:
    """Mark `node.consequence_of` / `node.consequences` on the recovered merges of `model`."""
    recovered = [(g, n) for g, n in model.merges() if n.recovered]
    for _, node in recovered:  # settling again (a second check of the same graph) starts afresh
        node.consequence_of, node.consequences = None, []
    if len(recovered) < 2:
        return
    inputs = {i: model.nodes[i].output_shapes[0] for i in model.inputs}
    chosen: dict[Key, tuple] = {}
    still_failing: list[set[Key]] = []  # after settling the first k merges: what still conflicts
    for graph, node in recovered:
        key = (id(graph), node.id)
        still_failing.append(_failing(model, inputs, chosen))
        chosen[key] = _best_continuation(model, inputs, chosen, key, node)
    still_failing.append(_failing(model, inputs, chosen))
    for k, (graph, node) in enumerate(recovered):
        key = (id(graph), node.id)
        cause = _cause(recovered, still_failing, k, key)
        if cause is not None:
            node.consequence_of = cause
            cause.consequences.append(node)


def _cause(recovered: list, still_failing: list[set], k: int, key: Key) -> Optional[Node]:
    """The earlier merge whose settling made merge `k` agree, if any (None: it fails anyway)."""
    if key in still_failing[k]:
        return None
    for j in range(k - 1, -1, -1):
        if key in still_failing[j]:
            return recovered[j][1]
    return None


def _best_continuation(model: Graph, inputs: dict, chosen: dict, key: Key, node: Node) -> tuple:
    """Among the merge's inputs as continuations: the one leaving the fewest mismatches;
    on a tie, the capture's own guess (the deepest input) is kept."""
    current = node.output_shapes[0]
    assert node.merge is not None  # a recovered merge
    candidates = list(dict.fromkeys(best_guess(node.merge, node.input_shapes, i) for i in range(len(node.inputs))))
    scored = []
    for candidate in candidates:
        failing = _failing(model, inputs, {**chosen, key: candidate}) - {key}
        scored.append((len(failing), candidate != current, candidate))
    return min(scored, key=lambda s: s[:2])[2]


def failing_merges(model: Graph) -> set[Key]:
    """Merges of `model` that conflict at its declared input shapes, layers rebuilt for the
    shapes that reach them (as if built again): the check of an edit made to the graph."""
    return _failing(model, {i: model.nodes[i].output_shapes[0] for i in model.inputs}, {})


def _failing(model: Graph, inputs: dict, overrides: dict) -> set[Key]:
    """Merges that conflict (or cannot be evaluated) with these continuations, layers rebuilt."""
    evaluator = Evaluator(1, overrides=overrides, rebuild=True)
    evaluator.run(model, inputs)
    result = evaluator.result
    return {k for k, mask in result.conflicts.items() if mask.any()} | set(result.unchecked)
