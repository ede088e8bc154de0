"""The framework-neutral graph IR.

Everything downstream of capture (provenance, rules, reports) reads only these
dataclasses; nothing here imports Keras, so another front end (a saved-model
reader, another framework) can feed the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional, Tuple

Dim = Optional[int]
Shape = Tuple[Dim, ...]


@dataclass(frozen=True)
class Location:
    """Where a layer was called in the user's source (1-based line and column). In a
    notebook, `cell` is the cell's number and `line` the line within that cell."""

    path: str
    line: int
    column: int = 1
    cell: Optional[int] = None

    def label(self) -> str:
        """'line 48', or 'cell 5:48' in a notebook."""
        return f"cell {self.cell}:{self.line}" if self.cell is not None else f"line {self.line}"


@dataclass(frozen=True)
class ChainFrame:
    """One user frame of the call chain that led to a layer call."""

    function: str
    line: int
    args: Tuple[Tuple[str, str], ...] = ()  # (name, repr) of simple-valued arguments
    call: int = field(default=0, compare=False)  # which activation of the function (0: unknown)
    cell: Optional[int] = None  # the notebook cell the frame's code is in

    def short(self) -> str:
        """'stack:58'; in a notebook 'stack:cell 5:58', and a cell's own code 'cell 6:2'."""
        if self.cell is not None and self.line:
            return (
                f"cell {self.cell}:{self.line}"
                if self.function == "<module>"
                else f"{self.function}:cell {self.cell}:{self.line}"
            )
        return f"{self.function}:{self.line}" if self.line else self.function

    def describe(self) -> str:
        if not self.args:
            return self.short()
        inner = ", ".join(f"{name}={value}" for name, value in self.args)
        return f"{self.short()} ({inner})"


@dataclass(frozen=True)
class MergeSpec:
    """How a merge node combines its inputs.

    kind: "elementwise" (Add, Subtract, Multiply, Average, Maximum, Minimum and the
    `+ - *` ops), "concat" or "dot". `axis` is the concat axis or the dot axes.
    """

    kind: str
    axis: Any = None  # concat: an int; dot: an int or a pair of ints (as Keras holds it); else None


@dataclass(frozen=True)
class Edge:
    """An input of a node: output number `index` of node `source`."""

    source: int
    index: int = 0


@dataclass
class Node:
    id: int
    name: str  # layer name, with nesting as a path: "outer/inner/add"
    op: str  # class name: "Conv2D", "Add", ...
    kind: str  # "input" | "layer" | "op" | "model"
    inputs: list[Edge] = field(default_factory=list)
    input_shapes: list[Shape] = field(default_factory=list)
    output_shapes: list[Shape] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    location: Optional[Location] = None
    chain: Tuple[ChainFrame, ...] = ()
    merge: Optional[MergeSpec] = None
    recovered: Optional[str] = None  # set when capture substituted a best-guess output shape
    layout: str = "channels_last"  # where the outputs' channel axis is (see layout.py)
    subgraph: Optional[Graph] = None  # for a model used as a layer, or a traced custom layer
    opaque: Optional[str] = None  # why the front end could not look inside this layer (merges unchecked)
    # a mismatch that exists only because of the guess made at an earlier one (recovery.py)
    consequence_of: Optional[Node] = field(default=None, repr=False, compare=False)
    consequences: list[Node] = field(default_factory=list, repr=False, compare=False)
    # concrete input shapes -> output shape, from the front end, for layers the shape
    # algebra has no arithmetic for (None: the size sweep stops on that path)
    shape_function: Optional[Callable[[list], tuple]] = field(default=None, repr=False, compare=False)

    @property
    def is_merge(self) -> bool:
        return self.merge is not None

    @property
    def line(self) -> Optional[int]:
        return self.location.line if self.location else None


@dataclass
class Graph:
    """One model: its nodes in topological order (inputs first)."""

    name: str
    nodes: list[Node] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[Edge] = field(default_factory=list)
    entry: Optional[str] = None  # how the model was obtained: "module", a builder name, ...
    location: Optional[Location] = None  # where the Model(...) call was
    partial: Optional[str] = None  # why the graph was walked from tensors, not a finished model
    finished: bool = True  # False: its builder raised before the model's last layers were made
    source: object = field(default=None, repr=False, compare=False)  # the front end's model object, if any
    parent: Optional[tuple] = field(default=None, repr=False, compare=False)  # (graph, node) this one is nested in
    # concrete input shapes -> the front end's own answer at that size (witnesses.Judgement):
    # Keras builds the model there; None where no front end can build it
    judge: Optional[Callable[[list], object]] = field(default=None, repr=False, compare=False)

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id]

    def producer(self, edge: Edge) -> Node:
        return self.nodes[edge.source]

    def shape_of(self, edge: Edge) -> Shape:
        return self.nodes[edge.source].output_shapes[edge.index]

    def layout_of(self, edge: Edge) -> str:
        return self.nodes[edge.source].layout

    def link_subgraphs(self) -> None:
        """Point every nested graph at the node (and graph) that holds it."""
        for node in self.nodes:
            if node.subgraph is not None:
                node.subgraph.parent = (self, node)
                node.subgraph.link_subgraphs()

    def walk(self) -> Iterator[tuple[Graph, Node]]:
        """Every node with the graph that owns it, nested models included."""
        for node in self.nodes:
            yield self, node
            if node.subgraph is not None:
                yield from node.subgraph.walk()

    def find_node(self, name: str) -> Optional[tuple[Graph, Node]]:
        """The node named `name` (nested graphs included), with the graph that owns it."""
        return next(((g, n) for g, n in self.walk() if n.name == name), None)

    def merges(self) -> Iterator[tuple[Graph, Node]]:
        return ((g, n) for g, n in self.walk() if n.is_merge)

    def layer_count(self) -> int:
        return sum(1 for _, n in self.walk() if n.kind != "model")

    @property
    def input_shapes(self) -> list[Shape]:
        return [self.nodes[i].output_shapes[0] for i in self.inputs]
