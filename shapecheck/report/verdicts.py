"""One merge's verdict for the reports: the declared-size story (explain.merge_verdict),
overridden where the size sweep found that the merge breaks at other sizes, or could not
reach it ("unchecked sizes": never a silent "ok")."""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

from shapecheck.explain import merge_verdict
from shapecheck.graph import Graph, Node
from shapecheck.rules import Finding

SWEEP_VERDICTS = {"SC104": "sizes", "SC202": "square-only"}
UNCHECKED = "unchecked sizes"


def verdict(model: Graph, owner: Graph, node: Node, path: str, findings: Sequence[Finding],
            unchecked: Optional[Mapping] = None) -> tuple[str, str]:
    """`unchecked`: model name -> {merge name: why the size sweep did not reach it}."""
    cause = node.consequence_of
    if cause is not None:
        where = f" ({cause.location.label()})" if cause.line else ""
        return "follows", f"mismatches only because the build went on with a guess at {cause.name}{where}; fixing that fixes this"
    label, why = merge_verdict(owner, node, path)
    for f in findings:
        if f.code in SWEEP_VERDICTS and f.model == model.name and node.name in (layer for layer, _ in f.members()):
            detail = f.message.split(": ", 1)[-1]
            return SWEEP_VERDICTS[f.code], f"{why}; but {detail}" if label == "ok" else why
    stopped = (unchecked or {}).get(model.name, {}).get(node.name)
    if stopped and label in ("ok", "broadcast"):
        return UNCHECKED, f"{why} at the declared size; other sizes not checked: {stopped}"
    return label, why
