"""A saved model's functional config (Keras 3 `to_json()` / `config.json`) as the IR.

Every call of a layer becomes a node (a shared layer called twice is two nodes); the
input shapes of each call are the ones Keras recorded in the file when it was saved;
output shapes come from the tensors' consumers, or from the shape algebra for the
model's own outputs. Lambda code and custom objects stay unread bytes: a Lambda is a
node whose shape only the file's records tell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, cast

from shapecheck.algebra.layers import SHAPE_CONFIG_KEYS, knows, output_shape
from shapecheck.algebra.merge import best_guess, merged_shape, outcome
from shapecheck.algebra.ops import saved_call_config
from shapecheck.errors import CheckError
from shapecheck.graph import Edge, Graph, MergeSpec, Node
from shapecheck.layout import finish_graph
from shapecheck.saved import validate

ELEMENTWISE = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}
MODEL_CLASSES = {"Functional", "Model"}
TENSOR = "__keras_tensor__"


@dataclass
class ConfigGraph:
    graphs: list[Graph]
    notes: list[str] = field(default_factory=list)


def graphs_from_config(
    config: dict, path: str, fallback: Optional[Callable] = None, keras_class: Optional[Callable[[str], bool]] = None
) -> ConfigGraph:
    """`fallback(layer_entry)` may give a shape function for built-in layers the algebra lacks;
    `keras_class(name)` says whether a class a legacy file names without its module is Keras' own."""
    reader = _Reader(path, fallback)
    reader.keras_class = keras_class
    try:
        graph = reader.model(config, prefix="")
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        raise CheckError(
            f"{path}: unrecognised model config ({type(exc).__name__}: {exc}); "
            "saved by a Keras version shapecheck does not read?"
        ) from None
    graph.entry = "saved file"
    finish_graph(graph)  # every image layer of a saved config records its data_format
    return ConfigGraph([graph], list(dict.fromkeys(reader.notes)))


def merge_spec(class_name: str, config: dict) -> Optional[MergeSpec]:
    if class_name in ELEMENTWISE:
        return MergeSpec("elementwise")
    if class_name == "Concatenate":
        return MergeSpec("concat", config.get("axis", -1))
    if class_name == "Dot":
        return MergeSpec("dot", config.get("axes"))
    return None


def _shape_config(config: dict) -> dict:
    return {k: config[k] for k in SHAPE_CONFIG_KEYS if k in config}


def _is_model(class_name: str) -> bool:
    return class_name in MODEL_CLASSES or class_name == "Sequential"


def _tensors(value: Any) -> list[dict]:
    """Every serialized KerasTensor in a call's args, in order."""
    if isinstance(value, dict):
        if value.get("class_name") == TENSOR:
            return [value["config"]]
        return [t for v in value.values() for t in _tensors(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []


def _refs(value, path: str, key: str) -> list[tuple[str, int, int]]:
    """input_layers / output_layers: one [name, node, tensor] or a list of them."""
    if not isinstance(value, list):
        raise CheckError(f"{path}: the model's {key} is not a list")
    if value and isinstance(value[0], str):
        value = [value]
    return [validate.reference(ref, path, key) for ref in value]


class _Reader:
    def __init__(self, path: str, fallback: Optional[Callable]) -> None:
        self.path = path
        self.fallback = fallback
        self.notes: list[str] = []
        self.legacy = False  # a Keras 2 config (inbound nodes as lists, no recorded shapes)
        self.keras_class: Optional[Callable[[str], bool]] = None

    def model(self, entry: dict, prefix: str) -> Graph:
        class_name = entry.get("class_name")
        config = entry.get("config")
        if not isinstance(config, dict):
            raise CheckError(f"{self.path}: not a Keras model config (no 'config' object)")
        if class_name in MODEL_CLASSES and "layers" in config:
            return self.functional(config, prefix)
        if class_name == "Sequential":
            return self.sequential(config, prefix)
        raise CheckError(
            f"{self.path}: a {class_name} model without a layer graph (a subclassed model?); "
            "check the module that builds it instead"
        )

    # -- functional -----------------------------------------------------------------
    def functional(self, config: dict, prefix: str) -> Graph:
        name = config.get("name")
        graph = Graph(name=name if isinstance(name, str) and name else "model")  # a file's name may be any JSON value
        layers = {layer.get("name") or layer["config"]["name"]: layer for layer in config["layers"]}
        self.legacy = any(
            isinstance(call, list) for layer in layers.values() for call in layer.get("inbound_nodes", [])
        )
        if self.legacy:
            self.notes.append(
                "a Keras 2 config: it records no tensor shapes, so every shape is computed "
                "from the inputs by shapecheck's algebra"
            )
        seen_shapes: dict[tuple[str, int, int], tuple] = {}
        for layer in layers.values():
            for call in layer.get("inbound_nodes", []):
                for t in _tensors(call):
                    seen_shapes[self._ref(layers, t["keras_history"])] = self._shape(t["shape"], layer)
        ids: dict[tuple[str, int], int] = {}
        outputs = [self._ref(layers, r) for r in _refs(config["output_layers"], self.path, "output_layers")]
        inputs = [self._ref(layers, r) for r in _refs(config["input_layers"], self.path, "input_layers")]
        for name, node_index in self._topological(layers, outputs + inputs):
            ids[(name, node_index)] = len(graph.nodes)
            graph.nodes.append(self._node(graph, layers, name, node_index, ids, seen_shapes, prefix))
        graph.inputs = [ids[(name, node)] for name, node, _ in inputs]
        graph.outputs = [Edge(ids[(name, node)], tensor) for name, node, tensor in outputs]
        return graph

    def _ref(self, layers: dict, history) -> tuple[str, int, int]:
        """A [layer, node, tensor] reference as an index into that layer's inbound_nodes:
        a functional model used as a layer counts its own construction as node 0 (Keras 2 and 3)."""
        name, node_index, tensor_index = validate.reference(history, self.path, "keras_history")
        if name not in layers:
            raise CheckError(f"{self.path}: a tensor comes from layer {name[:80]!r}, which the config does not hold")
        if layers[name]["class_name"] in MODEL_CLASSES:
            node_index -= 1
        return name, node_index, tensor_index

    def _shape(self, values, layer) -> tuple:
        return validate.shape(values, self.path, validate.layer_name(layer))

    def _topological(self, layers: dict, roots: list[tuple[str, int, int]]) -> list[tuple[str, int]]:
        """Calls in an order where every input comes first; a call that feeds itself,
        directly or through others, is refused (the file is not a graph Keras could build)."""
        order, done, open_ = [], set(), set()  # open_: calls on the current path, inputs pending
        stack = [((name, node), False) for name, node, _ in reversed(roots)]
        while stack:
            key, expanded = stack.pop()
            if key in done:
                continue
            if expanded:
                open_.discard(key)
                done.add(key)
                order.append(key)
                continue
            stack.append((key, True))
            open_.add(key)
            for t in reversed(self._call_inputs(layers[key[0]], key[1])):
                name, node_index, _ = self._ref(layers, t["keras_history"])
                if (name, node_index) in open_:
                    raise CheckError(
                        f"{self.path}: layer {name[:80]!r} is its own input, directly or through "
                        "others (a cycle in inbound_nodes); not a graph Keras could build"
                    )
                if (name, node_index) not in done:
                    stack.append(((name, node_index), False))
        return order

    @staticmethod
    def _call(layer: dict, node_index: int):
        calls = layer.get("inbound_nodes", [])
        return calls[node_index] if 0 <= node_index < len(calls) else None

    @staticmethod
    def _call_inputs(layer: dict, node_index: int) -> list[dict]:
        """The tensors a call consumed: Keras 3 records {args: [KerasTensor...]} with shapes;
        Keras 2 records [[layer, node, tensor, kwargs], ...] without."""
        calls = layer.get("inbound_nodes", [])
        if layer["class_name"] == "InputLayer" or not calls:
            return []
        call = calls[node_index]
        if isinstance(call, list):
            return [{"keras_history": ref[:3], "shape": None} for ref in call]
        return _tensors(call)

    def _node(self, graph: Graph, layers: dict, name: str, node_index: int, ids: dict, seen: dict, prefix: str) -> Node:
        layer = layers[name]
        class_name = layer["class_name"]
        config = layer.get("config") or {}
        node_id = len(graph.nodes)
        if class_name == "InputLayer":
            shape = config.get("batch_shape") or config.get("batch_input_shape")
            return Node(node_id, prefix + name, "InputLayer", "input", output_shapes=[self._shape(shape, layer)])
        tensors = self._call_inputs(layer, node_index)
        refs = [self._ref(layers, t["keras_history"]) for t in tensors]
        inputs = [Edge(ids[(layer_name, node)], tensor) for layer_name, node, tensor in refs]
        input_shapes = [
            self._shape(t["shape"], layer) if t["shape"] is not None else graph.shape_of(edge)
            for t, edge in zip(tensors, inputs)
        ]
        where = validate.layer_name(layer)
        module = layer.get("module") or ""
        kind = "op" if module.startswith("keras.src.ops") else "layer"
        node = Node(
            node_id,
            prefix + name,
            class_name,
            kind,
            inputs=inputs,
            input_shapes=input_shapes,
            config={
                **self._shape_config(config, where),
                **saved_call_config(class_name, self._call(layer, node_index)),
            },
            merge=self._merge_spec(class_name, config, where) if len(inputs) >= 2 else None,
        )
        if _is_model(class_name):
            node.kind = "model"
            node.subgraph = self.model(layer, prefix + name + "/")
        elif class_name == "Lambda":
            recorded = (
                "its shape is unknown (a Keras 2 file records none)"
                if self.legacy
                else "its shape is what the file recorded"
            )
            self.notes.append(
                f"Lambda '{prefix + name}' is not run (code inside a saved file is never executed): {recorded}"
            )
        elif not self._is_builtin(layer):
            node.opaque = (
                f"a custom layer ({layer.get('registered_name') or class_name}): its code is not in the "
                "saved file and is never run from it (check the module that builds the model)"
            )
        elif self.fallback is not None:
            node.shape_function = self.fallback(layer)
        node.output_shapes = [self._output_shape(node, name, node_index, seen)]
        if node.merge is not None and not outcome(node.merge, node.input_shapes).ok:
            node.recovered = "the build went on past this mismatch with the shape the file records"
        return node

    def _shape_config(self, config: dict, where: str) -> dict:
        return validate.layer_config(_shape_config(config), self.path, where)

    def _merge_spec(self, class_name: str, config: dict, where: str) -> Optional[MergeSpec]:
        if class_name == "Concatenate":
            validate.merge_axis(config.get("axis", -1), "axis", self.path, where)
        elif class_name == "Dot":
            validate.merge_axis(config.get("axes"), "axes", self.path, where, pair=True)
        return merge_spec(class_name, config)

    def _is_builtin(self, layer: dict) -> bool:
        """A Keras layer (its class is known without the user's code). A legacy .h5 names
        no module: there a class the algebra does not know is asked of Keras, if allowed."""
        class_name = cast(str, layer.get("class_name"))  # present: _layer read layer["class_name"] first
        module = layer.get("module")
        if module is None:
            if self.legacy or knows(class_name, layer.get("config") or {}) or merge_spec(class_name, {}) is not None:
                return True  # Keras 2 files: custom objects there are rare, and Keras 2 is not importable
            return self.keras_class is None or self.keras_class(class_name)
        return module.split(".")[0] == "keras" and layer.get("registered_name") in (None, class_name)

    def _output_shape(self, node: Node, name: str, node_index: int, seen: dict) -> tuple:
        recorded = seen.get((name, node_index, 0))
        if recorded is not None:
            return recorded
        if node.subgraph is not None:
            inner = node.subgraph
            return inner.shape_of(inner.outputs[0]) if inner.outputs else ()
        try:
            if node.merge is not None:
                return merged_shape(node.merge, node.input_shapes) or best_guess(node.merge, node.input_shapes, 0)
            return tuple(output_shape(node.op, node.config, node.input_shapes, node.input_shapes)[0])
        except Exception:  # noqa: BLE001 - unknown layer or configuration: say so, do not guess
            if node.shape_function is not None:
                try:
                    return tuple(node.shape_function(node.input_shapes))
                except Exception:  # noqa: BLE001
                    pass
            self.notes.append(
                f"{node.op} '{node.name}': output shape unknown (the file does not record it and the "
                "algebra has no arithmetic for it); checks after it see unknown sizes"
            )
            rank = len(node.input_shapes[0]) if node.input_shapes else 0
            return (None,) * rank

    # -- sequential -------------------------------------------------------------------
    def sequential(self, config: dict, prefix: str) -> Graph:
        graph = Graph(name=config.get("name") or "sequential")
        layers = list(config["layers"])
        if layers and layers[0]["class_name"] == "InputLayer":
            shape = layers.pop(0)["config"].get("batch_shape")
        else:
            first = layers[0]["config"] if layers else {}
            shape = first.get("batch_shape") or first.get("batch_input_shape")
        if shape is None:
            raise CheckError(f"{self.path}: a Sequential model without an input shape: it was never built")
        graph.nodes.append(
            Node(
                0,
                prefix + "input",
                "InputLayer",
                "input",
                output_shapes=[self._shape(shape, layers[0] if layers else None)],
            )
        )
        graph.inputs = [0]
        for layer in layers:
            config = layer.get("config") or {}
            name = config.get("name") or layer["class_name"].lower()
            previous = graph.nodes[-1]
            node = Node(
                len(graph.nodes),
                prefix + name,
                layer["class_name"],
                "layer",
                inputs=[Edge(previous.id)],
                input_shapes=[previous.output_shapes[0]],
                config=self._shape_config(config, validate.layer_name(layer)),
            )
            if _is_model(layer["class_name"]):
                node.kind = "model"
                node.subgraph = self.model(layer, prefix + name + "/")
            node.output_shapes = [self._output_shape(node, name, -1, {})]
            graph.nodes.append(node)
        graph.outputs = [Edge(len(graph.nodes) - 1)]
        return graph
