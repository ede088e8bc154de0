"""SC203: Lambda layers that close over a variable that changed after they were built."""

from __future__ import annotations

from typing import Iterator, Optional, Tuple, Union

from shapecheck.graph import Graph
from shapecheck.rules.base import Context, Finding, NodeSite, Rule, Severity, register

_Key = Union[Tuple[str, Optional[int], int], str]  # (path, cell, line) of the Lambda call, or the layer's name


@register
class LambdaLateBinding(Rule):
    """What it does: finds Lambda layers whose function reads a variable from an enclosing
    scope (a loop variable, typically) whose value changed after the layer was built.

    Why is this bad? Python closures bind variables, not values. Keras runs the lambda
    once while building, with the value of that moment, so every shape looks right; when
    the model runs, each Lambda reads the variable's final value. In a grouped
    convolution every group then slices the last group's channels.

    Example:
        for c in range(groups):
            x = Lambda(lambda x: x[..., c * g:(c + 1) * g])(inputs)

    Use instead: bind the value when the function is made (what `--fix` writes):
        for c in range(groups):
            x = Lambda(lambda x, c=c: x[..., c * g:(c + 1) * g])(inputs)
    """

    code, name, severity = "SC203", "lambda-late-binding", Severity.WARNING

    def check_model(self, model: Graph, path: str, context: Context) -> Iterator[Finding]:
        by_line: dict[_Key, list] = {}
        total: dict[_Key, int] = {}
        for graph, node in model.walk():
            if node.op != "Lambda":
                continue
            key = (node.location.path, node.location.cell, node.location.line) if node.location else node.name
            total[key] = total.get(key, 0) + 1
            if node.config.get("late_bound"):
                by_line.setdefault(key, []).append((graph, node))
        for key, affected in by_line.items():
            graph, first = affected[0]
            names = sorted({name for _, n in affected for name, _, _ in n.config["late_bound"]})
            seen = {
                name: sorted({now for _, n in affected for var, _, now in n.config["late_bound"] if var == name})
                for name in names
            }
            values = ", ".join(f"{name}={' or '.join(seen[name])}" for name in names)
            built = sorted(
                {then for _, n in affected for _, then, _ in n.config["late_bound"]}, key=lambda v: (len(v), v)
            )
            span = f"{built[0]}..{built[-1]}" if len(built) > 1 else built[0]
            yield self.finding(
                NodeSite(model, graph, first, path),
                f"{len(affected)} of {total[key]} Lambda layers created here close over {', '.join(names)}, "
                f"which changed after they were built (built with {span}): when the model runs they all "
                f"see {values}. Bind the value: lambda x, {names[0]}={names[0]}: ...",
            )
