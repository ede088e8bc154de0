"""Turn the Keras graph behind some output tensors into the framework-neutral IR.

Walking from tensors (their `_keras_history`) rather than from a finished Model lets
us check a graph whose `Model(...)` call failed for another reason.
"""

from __future__ import annotations

from typing import Any, Optional

import keras
from keras.src.backend.common.keras_tensor import KerasTensor
from keras.src.layers.core.input_layer import InputLayer
from keras.src.layers.layer import Layer
from keras.src.models.functional import Functional
from keras.src.models.model import Model
from keras.src.models.sequential import Sequential

from shapecheck.algebra.layers import SHAPE_CONFIG_KEYS
from shapecheck.algebra.ops import call_config
from shapecheck.capture.lambda_slices import slice_key
from shapecheck.capture.merges import merge_spec
from shapecheck.capture.records import Recorder, closure_values
from shapecheck.capture.shape_functions import shape_function
from shapecheck.graph import Edge, Graph, Node
from shapecheck.layout import finish_graph


def flatten_tensors(structure: Any) -> list[KerasTensor]:
    if isinstance(structure, KerasTensor):
        return [structure]
    if isinstance(structure, dict):
        structure = list(structure.values())
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in flatten_tensors(item)]
    return []


def _producer(tensor: KerasTensor):
    history = tensor._keras_history
    return history.operation._inbound_nodes[history.node_index]


def layer_name(op) -> str:
    """Its name; its class's when it has none (`super().__init__(name="")` is common)."""
    return op.name or type(op).__name__


def producer_node(outputs: Any):
    """The Keras Node that made the first tensor of `outputs`."""
    return _producer(flatten_tensors(outputs)[0])


def _topological(outputs: list[KerasTensor]) -> list:
    """Keras Nodes reachable from `outputs`, inputs first (iterative post-order)."""
    order, done, stack = [], set(), [(_producer(t), False) for t in reversed(outputs)]
    while stack:
        knode, expanded = stack.pop()
        if id(knode) in done:
            continue
        if expanded:
            done.add(id(knode))
            order.append(knode)
            continue
        stack.append((knode, True))
        for t in reversed(knode.input_tensors):
            parent = _producer(t)
            if id(parent) not in done:
                stack.append((parent, False))
    return order


def _kind(op) -> str:
    if isinstance(op, InputLayer):
        return "input"
    if isinstance(op, Model):
        return "model"
    return "layer" if isinstance(op, Layer) else "op"


def _input_names(knode) -> dict:
    """For a call given tensors by keyword (`attention(query=q, value=v)`): the argument
    each input came from, in the order of the node's inputs (Keras flattens the
    positional arguments, then the keyword arguments sorted by name)."""
    args, kwargs = knode.arguments.args, knode.arguments.kwargs
    if not any(flatten_tensors(v) for v in kwargs.values()):
        return {}
    names = [f"arg{i}" for i, a in enumerate(args) for _ in flatten_tensors_ordered(a)]
    names += [k for k in sorted(kwargs) for _ in flatten_tensors_ordered(kwargs[k])]
    return {"input_names": names} if len(names) == len(knode.input_tensors) else {}


def flatten_tensors_ordered(structure: Any) -> list[KerasTensor]:
    """The KerasTensors of a structure in Keras' own flattening order (dict keys sorted)."""
    return [t for t in keras.tree.flatten(structure) if isinstance(t, KerasTensor)]


def _config(op) -> dict:
    config = {}
    for attr in SHAPE_CONFIG_KEYS:  # layer attributes carry the same names as the config keys
        value = getattr(op, attr, None)
        if isinstance(value, (int, str, tuple, list)):  # bool is an int: keepdims
            config[attr] = (
                list(value) if isinstance(value, (tuple, list)) else value
            )  # a plain list, not Keras' tracked one
    return config


def graph_from_tensors(
    name: str,
    outputs: Any,
    recorder: Recorder,
    prefix: str = "",
    nested: Optional[set] = None,
    inputs: Optional[list] = None,
) -> Graph:
    """The IR of everything that leads to `outputs`; ids of models and blocks used as
    layers go to `nested`. `inputs`, when given, are the graph's inputs in that order
    (a traced call's placeholders, even one its outputs do not use)."""
    nested = set() if nested is None else nested
    out_tensors = flatten_tensors(outputs)
    in_tensors = flatten_tensors(inputs) if inputs is not None else []
    graph = Graph(name=name)
    ids: dict[int, int] = {}
    for knode in _topological(out_tensors + in_tensors):
        op = knode.operation
        node_id = len(graph.nodes)
        ids[id(knode)] = node_id
        site = recorder.sites.get(id(knode))
        kind = _kind(op)
        node = Node(
            id=node_id,
            name=prefix + layer_name(op),
            op=type(op).__name__,
            kind=kind,
            inputs=[Edge(ids[id(_producer(t))], t._keras_history.tensor_index) for t in knode.input_tensors],
            input_shapes=[tuple(t.shape) for t in knode.input_tensors],
            output_shapes=[tuple(t.shape) for t in knode.outputs],
            config={
                **_config(op),
                **call_config(type(op).__name__, knode.arguments.args, knode.arguments.kwargs),
                **_input_names(knode),
            },
            location=site.location if site else None,
            chain=site.chain if site else (),
            merge=merge_spec(op) if len(knode.input_tensors) >= 2 else None,
            recovered=recorder.recovered.get(id(knode)),
        )
        if kind in ("layer", "op"):
            node.shape_function = shape_function(knode)
            node.config.update(slice_key(op) or {})  # a Lambda that only indexes: x[key] for the algebra
        late = _late_bound(recorder.closures.get(id(knode)))
        if late:
            node.config["late_bound"] = late
        _nest(node, knode, recorder, nested)
        if node.opaque and node.shape_function is None:
            node.shape_function = shape_function(knode)
        if kind == "input":
            graph.inputs.append(node_id)
        graph.nodes.append(node)
    graph.outputs = [Edge(ids[id(_producer(t))], t._keras_history.tensor_index) for t in out_tensors]
    if inputs is not None:
        graph.inputs = [ids[id(_producer(t))] for t in in_tensors]
    if not prefix:  # the top-level graph: nested ones are assigned with it
        finish_graph(graph, recorder.data_format)
    return graph


def _nest(node: Node, knode, recorder: Recorder, nested: set) -> None:
    """The inner graph of a nested model, or of a user block's traced call()."""
    op = knode.operation
    trace = recorder.blocks.get(id(knode))
    if trace is not None:
        nested.add(id(op))
        if trace.opaque:
            node.opaque = f"its call() could not be followed ({trace.opaque}); Keras inferred its output shape"
            return
        node.subgraph = graph_from_tensors(
            layer_name(op), trace.outputs, recorder, node.name + "/", nested, trace.inputs
        )
        return
    if isinstance(op, (Functional, Sequential)):
        nested.add(id(op))
        inner = op._functional if isinstance(op, Sequential) else op
        if inner is not None:
            node.subgraph = graph_from_tensors(op.name, inner.outputs, recorder, node.name + "/", nested, inner.inputs)


def _late_bound(closure) -> list[list[str]]:
    """[[name, value when the layer was built, value now]] for each captured variable that changed."""
    if closure is None:
        return []
    function, then = closure
    now = closure_values(function)
    return [[name, then[name], now[name]] for name in sorted(then) if name in now and now[name] != then[name]]


def duplicate_layer_names(outputs: Any, recorder: Recorder) -> list[tuple[str, list]]:
    """Layer names that distinct layers share, each with where those layers were first called."""
    first_site: dict[int, Any] = {}
    by_name: dict[str, list] = {}
    for knode in _topological(flatten_tensors(outputs)):
        op = knode.operation
        if id(op) in first_site:
            continue
        site = recorder.sites.get(id(knode))
        first_site[id(op)] = site.location if site else None
        by_name.setdefault(op.name, []).append(first_site[id(op)])
    return [(name, where) for name, where in by_name.items() if len(where) > 1]
