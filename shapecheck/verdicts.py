"""One merge's verdict for the reports: the declared-size story (explain.merge_verdict),
overridden where the size sweep found that the merge breaks at other sizes, or could not
reach it ("unchecked sizes": never a silent "ok")."""

from __future__ import annotations

from typing import Iterator, Mapping, Optional, Sequence

from shapecheck.explain import merge_verdict
from shapecheck.graph import Graph, Node
from shapecheck.rules import Finding

UNCHECKED = "unchecked sizes"
DISPUTED = "disputed"  # Keras contradicted the shape algebra's claim about this merge (witnesses.py)
BEHIND = "behind a failure"  # agrees where reached; at some sizes an earlier merge fails first


def verdict(
    model: Graph,
    owner: Graph,
    node: Node,
    path: str,
    findings: Sequence[Finding],
    unchecked: Optional[Mapping] = None,
    witnessed: Optional[Mapping] = None,
) -> tuple[str, str]:
    """`unchecked`: model name -> {merge name: why the size sweep did not reach it};
    `witnessed`: model name -> what Keras said at the witness sizes (witnesses.Witnessed)."""
    return _verdict(model, owner, node, path, _sweep_findings(findings), unchecked, None, witnessed)


def model_verdicts(
    model: Graph,
    path: str,
    findings: Sequence[Finding],
    unchecked: Optional[Mapping] = None,
    witnessed: Optional[Mapping] = None,
) -> Iterator[tuple[Graph, Node, str, str]]:
    """(owner, merge, verdict, why) for every merge of a model, in order: the findings are
    indexed and the provenance walks shared once for the whole model, so a report is linear
    in the number of merges (10,000 merges: seconds, not minutes)."""
    swept = _sweep_findings(findings)
    memo: dict = {}
    for owner, node in model.merges():
        yield (owner, node, *_verdict(model, owner, node, path, swept, unchecked, memo, witnessed))


def _sweep_findings(findings: Sequence[Finding]) -> dict[tuple[str, str], Finding]:
    """The first finding with a verdict of its own (Rule.verdict) per (model, merge), grouped
    ones under each of their merges."""
    index: dict[tuple[str, str], Finding] = {}
    for f in findings:
        if f.rule.verdict is not None:
            for layer, _ in f.members():  # a grouped finding stands for every merge it groups
                index.setdefault((f.model, layer), f)
    return index


def _verdict(
    model: Graph,
    owner: Graph,
    node: Node,
    path: str,
    swept: Mapping,
    unchecked: Optional[Mapping],
    memo: Optional[dict],
    witnessed: Optional[Mapping] = None,
) -> tuple[str, str]:
    label, why = _algebra_verdict(model, owner, node, path, swept, unchecked, memo)
    keras = (witnessed or {}).get(model.name)
    if keras is None:
        return label, why
    if node.name in keras.disputes:
        return DISPUTED, f"{why}; but {keras.disputes[node.name]}"
    if label == "ok" and node.name in keras.behind:
        return BEHIND, (
            f"{why}; at the sizes where {keras.behind[node.name]} fails the build stops there, "
            f"so this merge is not reached at those sizes"
        )
    return label, why


def _algebra_verdict(
    model: Graph,
    owner: Graph,
    node: Node,
    path: str,
    swept: Mapping,
    unchecked: Optional[Mapping],
    memo: Optional[dict],
) -> tuple[str, str]:
    cause = node.consequence_of
    if cause is not None:
        where = f" ({cause.location.label()})" if cause.line and cause.location else ""
        return (
            "follows",
            f"mismatches only because the build went on with a guess at {cause.name}{where}; fixing that fixes this",
        )
    label, why = merge_verdict(owner, node, path, memo)
    f = swept.get((model.name, node.name))
    if f is not None:
        return f.rule.verdict, f"{why}; but {f.claim}" if label == "ok" else why
    stopped = (unchecked or {}).get(model.name, {}).get(node.name)
    if stopped and label in ("ok", "broadcast"):
        return UNCHECKED, f"{why} at the declared size; other sizes not checked: {stopped}"
    return label, why
