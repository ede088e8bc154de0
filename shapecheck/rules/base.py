"""Rule, Finding and the registry. Rules read the graph IR only (no Keras)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from shapecheck.graph import ChainFrame, Graph, Node, Shape
from shapecheck.provenance import display_path


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class NodeSite:
    """What a rule sees: one node, the graph that owns it, the model it belongs to."""

    model: Graph
    graph: Graph
    node: Node
    path: str  # the checked file, as given on the command line


@dataclass
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: Optional[int]
    column: Optional[int]
    model: str
    layer: str
    call_chain: tuple[ChainFrame, ...] = ()
    shapes: list[Shape] = field(default_factory=list)
    order: int = 0  # the node's place in its graph: findings on one line sort in build order

    @property
    def sort_key(self):
        return (self.path, self.line or 0, self.column or 0, self.code, self.model, self.order)


@dataclass
class Context:
    """What a run hands every rule besides the graph."""

    sweeps: Any = None  # shapecheck.sweep.SweepCache: the size sweep, run once per model


class Rule:
    """A check on one merge node. Subclasses set code, name, severity and a four-part doc
    (What it does / Why is this bad? / Example / Use instead)."""

    code: str = ""
    name: str = ""
    severity: Severity = Severity.ERROR

    def check(self, site: NodeSite) -> Iterator[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

    def check_model(self, model: Graph, path: str, context: Context) -> Iterator[Finding]:
        """Run `check` on every merge; rules about other nodes override this instead."""
        for graph, node in model.merges():
            yield from self.check(NodeSite(model, graph, node, path))

    def finding(self, site: NodeSite, message: str) -> Finding:
        node = site.node
        loc = node.location
        return Finding(
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            path=display_path(loc.path, site.path) if loc else site.path,
            line=loc.line if loc else None,
            column=loc.column if loc else None,
            model=site.model.name,
            layer=node.name,
            call_chain=node.chain,
            shapes=list(node.input_shapes),
            order=node.id,
        )


REGISTRY: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    REGISTRY[cls.code] = cls()
    return cls
