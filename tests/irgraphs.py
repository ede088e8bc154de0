"""Small hand-made IR graphs for rule tests (no TensorFlow)."""

from __future__ import annotations

from shapecheck.graph import Edge, Graph, Location, MergeSpec, Node

PATH = "model.py"


class GraphBuilder:
    def __init__(self, name: str = "m") -> None:
        self.graph = Graph(name=name)

    def add(self, op, shape, inputs=(), line=None, merge=None, kind="layer", name=None, config=None) -> Edge:
        node_id = len(self.graph.nodes)
        edges = list(inputs)
        node = Node(
            id=node_id,
            name=name or f"{op.lower()}_{node_id}",
            op=op,
            kind=kind,
            inputs=edges,
            input_shapes=[self.graph.shape_of(e) for e in edges],
            output_shapes=[tuple(shape)],
            location=Location(PATH, line, 5) if line else None,
            merge=merge,
            config=dict(config or {}),
        )
        self.graph.nodes.append(node)
        if kind == "input":
            self.graph.inputs.append(node_id)
        return Edge(node_id)

    def input(self, shape, name="input"):
        return self.add("InputLayer", shape, kind="input", name=name)

    def merge(self, op, inputs, shape, line, kind="elementwise", axis=None):
        return self.add(op, shape, inputs, line=line, merge=MergeSpec(kind, axis))


SHAPE = (None, 8, 8, 4)


def merge_chain(merges: int, kind: str) -> Graph:
    """`residual`: x = Add([Conv2D(x), x]) repeated; `long`: every Add takes the model's input
    as its second input, so each merge's branches reach back to the start of the model."""
    b = GraphBuilder("m")
    inputs = x = b.input(SHAPE)
    for i in range(merges):
        if kind == "residual":
            y = b.add("Conv2D", SHAPE, [x], line=i + 1, config={"filters": 4})
            x = b.merge("Add", [y, x], SHAPE, line=i + 1)
        else:
            x = b.merge("Add", [x, inputs], SHAPE, line=i + 1)
    b.graph.outputs = [x]
    b.graph.entry = "build"
    return b.graph


def algebra_judge(graph: Graph):
    """A stand-in for Keras in tests without TensorFlow: answers at one size with the shape
    algebra's own verdict (so Keras 'agrees' by construction; what is tested is the report)."""
    import numpy as np

    from shapecheck.algebra.evaluate import Evaluator
    from shapecheck.witnesses import Judgement, Unavailable

    def judge(shapes, changes=None):
        if changes is not None:
            raise Unavailable("the stand-in cannot rebuild layers")
        evaluator = Evaluator(1)
        evaluator.run(
            graph,
            {
                i: tuple(np.array([d]) if d is not None and k else d for k, d in enumerate(s))
                for i, s in zip(graph.inputs, shapes)
            },
        )
        result = evaluator.result
        failing = frozenset(
            n.name for key, mask in result.conflicts.items() if mask.any() for _, n in [result.merge_nodes[key]]
        )
        return Judgement(failing, rejected=None if result.accepted.all() else "a layer (stand-in)")

    return judge
