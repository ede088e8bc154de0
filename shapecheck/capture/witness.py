"""Keras' own answer at a witness size (see shapecheck/witnesses.py): the model is run
symbolically with TensorFlow placeholders of concrete shapes in a scratch FuncGraph, no
weight values, no data: every layer's real `call()` with TensorFlow's static shape
checks, as at run time. Each node of the functional graph is called in turn, so the op
that refuses the size is known; a merge that refuses is recorded and the run goes on with
the continuation the shape algebra uses (its deepest input), so one run answers for
every merge. A merge inside a layer Keras runs as one (a custom layer's `call()`, a
subclassed model) is found by the line of the user's code that raised.
"""

from __future__ import annotations

import os
from typing import Any, Optional

import keras
from keras.src.backend.common.stateless_scope import StatelessScope
from keras.src.backend.common.symbolic_scope import SymbolicScope
from keras.src.models.functional import Functional
from keras.src.models.sequential import Sequential

from shapecheck.algebra.evaluate import depths
from shapecheck.capture.blocks import is_user_block
from shapecheck.capture.to_ir import layer_name
from shapecheck.graph import Graph
from shapecheck.load.errors import message_line
from shapecheck.witnesses import Judgement

LIBRARY_DIRS = tuple({os.path.dirname(os.path.dirname(keras.__file__)), os.path.dirname(os.__file__),
                      os.path.dirname(os.path.dirname(os.path.abspath(__file__)))})


class _Stop(Exception):
    pass


def keras_judge(graph: Graph, model: Any):
    """The judge for `graph` (whose front-end model is `model`), or None when Keras cannot
    be asked (no TensorFlow backend)."""
    if keras.backend.backend() != "tensorflow" or model is None:
        return None
    merges = _merge_plan(graph)
    inner = getattr(model, "_functional", None) if isinstance(model, Sequential) else model
    functional = isinstance(inner, Functional) and not is_user_block(model)

    def judge(shapes: list[tuple]) -> Judgement:
        run = _Run(merges)
        import tensorflow as tf

        with StatelessScope(), SymbolicScope(), tf.__internal__.FuncGraph("shapecheck_witness").as_default():
            placeholders = [tf.compat.v1.placeholder(shape=s, dtype=_dtype(graph, i)) for i, s in enumerate(shapes)]
            try:
                if functional:
                    run.functional(inner, placeholders, "")
                else:
                    run.whole(model, graph.name, _structure(model, placeholders))
            except _Stop:
                pass
        return run.judgement()

    return judge


def _dtype(graph: Graph, index: int) -> str:
    node = graph.nodes[graph.inputs[index]]
    return node.config.get("dtype") if isinstance(node.config.get("dtype"), str) else "float32"


def _structure(model, placeholders: list):
    """The subclassed model's call argument: one tensor, or the list it was built with."""
    return placeholders[0] if len(placeholders) == 1 else placeholders


def _merge_plan(graph: Graph) -> dict[str, tuple]:
    """IR merge name -> (kind, axis, index of the deepest input): the continuation the algebra uses."""
    plan = {}

    def visit(g: Graph) -> None:
        deep = depths(g)
        for node in g.nodes:
            if node.merge is not None and node.inputs:
                preferred = max(range(len(node.inputs)), key=lambda i: deep[node.inputs[i].source])
                plan[node.name] = (node.merge.kind, node.merge.axis, preferred)
            if node.subgraph is not None:
                visit(node.subgraph)

    visit(graph)
    return plan


class _Run:
    def __init__(self, merges: dict) -> None:
        self.merges = merges
        self.failing: set[str] = set()
        self.lines: list[tuple[str, int]] = []
        self.rejected: Optional[str] = None
        self.stopped: Optional[str] = None

    def judgement(self) -> Judgement:
        return Judgement(frozenset(self.failing), tuple(self.lines), self.rejected, self.stopped)

    def functional(self, model, inputs: list, prefix: str) -> list:
        tensors = {id(x): y for x, y in zip(model.inputs, inputs)}
        by_depth = model._nodes_by_depth
        for depth in sorted(by_depth, reverse=True):
            for node in by_depth[depth]:
                if not node.operation or node.is_input:
                    continue
                if any(id(x) not in tensors for x in node.input_tensors):
                    continue
                op = node.operation
                name = prefix + layer_name(op)
                nested = getattr(op, "_functional", None) if isinstance(op, Sequential) else op
                if isinstance(nested, Functional) and not is_user_block(op):
                    outputs = self.functional(nested, [tensors[id(x)] for x in node.input_tensors], name + "/")
                else:
                    args, kwargs = node.arguments.fill_in(tensors)
                    outputs = self.call(op, name, args, kwargs, [tensors[id(x)] for x in node.input_tensors])
                for x, y in zip(node.outputs, keras.tree.flatten(outputs)):
                    tensors[id(x)] = y
        return [tensors[id(x)] for x in model.outputs]

    def whole(self, model, name: str, argument) -> Any:
        return self.call(model, name, (argument,), {}, keras.tree.flatten(argument))

    def call(self, op, name: str, args, kwargs, flat_inputs: list):
        try:
            return op(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - Keras' refusal is the answer
            return self.refused(op, name, exc, flat_inputs)

    def refused(self, op, name: str, exc: BaseException, flat_inputs: list):
        if name in self.merges:
            self.failing.add(name)
            out = _continuation(self.merges[name], flat_inputs)
            if out is None:
                self.stopped = f"{name} (no continuation)"
                raise _Stop()
            return out
        if is_user_block(op):
            line = _user_line(exc)
            if line is not None:
                self.lines.append((name, line))
            self.stopped = f"{type(op).__name__} '{name}'"
            raise _Stop()
        self.rejected = f"{type(op).__name__} '{name}' ({message_line(exc)[:160]})"
        raise _Stop()


def _continuation(plan: tuple, inputs: list):
    """What a refused merge passes on: its deepest input (concatenated size on the concat axis)."""
    import tensorflow as tf

    kind, axis, preferred = plan
    if preferred >= len(inputs):
        return None
    chosen = inputs[preferred]
    if kind == "elementwise":
        return tf.zeros_like(chosen)
    if kind == "concat":
        shapes = [tuple(t.shape) for t in inputs]
        if any(d is None for s in shapes for d in s) or len({len(s) for s in shapes}) != 1:
            return None
        rank = len(shapes[0])
        cat = axis % rank
        shape = list(shapes[preferred])
        shape[cat] = sum(s[cat] for s in shapes)
        return tf.zeros(shape, dtype=chosen.dtype)
    return None


def _user_line(exc: BaseException) -> Optional[int]:
    """The line of the innermost frame of user code in the exception's traceback."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if not filename.startswith(LIBRARY_DIRS) and "site-packages" not in filename and not filename.startswith("<"):
            found = tb.tb_lineno
        tb = tb.tb_next
    return found

