"""Keras' own answer at a witness size (see shapecheck/witnesses.py): the model is run
symbolically with TensorFlow placeholders of concrete shapes in a scratch FuncGraph, no
weight values, no data: every layer's real `call()` with TensorFlow's static shape
checks, as at run time. Each node of the functional graph is called in turn, so the op
that refuses the size is known; a merge that refuses is recorded and the run goes on with
the continuation the shape algebra uses (its deepest input), so one run answers for
every merge. A merge inside a layer Keras runs as one (a custom layer's `call()`, a
subclassed model) is found by the line of the user's code that raised. A custom layer
whose `call()` the capture could not follow (it works on sizes as values) is run for real,
eagerly on zeros, since static shapes may not show what it does at run time.

With `changes` the judge answers for an edited model (a suggested fix): every layer is
built again from its config, the edited ones with their new arguments.
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
from shapecheck.errors import message_line
from shapecheck.graph import Graph
from shapecheck.witnesses import Judgement, Unavailable

LIBRARY_DIRS = tuple(
    {
        os.path.dirname(os.path.dirname(keras.__file__)),
        os.path.dirname(os.__file__),
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    }
)


class _Stop(Exception):
    pass


def keras_judge(graph: Graph, model: Any, names: Optional[dict] = None):
    """The judge for `graph` (whose front-end model is `model`), or None when Keras cannot
    be asked (no TensorFlow backend). `names`: id(operation) -> its name in the IR, where
    that differs from the operation's own (a saved config's ops rebuilt under new names)."""
    if keras.backend.backend() != "tensorflow" or model is None:
        return None
    merges = _merge_plan(graph)
    opaque = {n.name for _, n in graph.walk() if n.opaque}
    inner = getattr(model, "_functional", None) if isinstance(model, Sequential) else model
    functional = isinstance(inner, Functional) and not is_user_block(model)

    def judge(shapes: list[tuple], changes: Optional[dict] = None) -> Judgement:
        """`changes` (layer name -> {argument: value}): every layer built again, these with
        the arguments changed (a suggested fix, as if the model were built that way)."""
        if changes is not None and (not functional or set(changes) - _walked_names(inner, "", names or {})):
            raise Unavailable("a layer Keras runs as one call (a subclassed model, a custom layer) holds the change")
        run = _Run(merges, opaque, names or {}, changes)
        import tensorflow as tf

        with tf.__internal__.FuncGraph("shapecheck_witness").as_default():
            placeholders = [tf.compat.v1.placeholder(shape=s, dtype=_dtype(graph, i)) for i, s in enumerate(shapes)]
            # weights as placeholders too: no initializer is traced for every kernel at every size
            values = [(v, tf.compat.v1.placeholder(shape=v.shape, dtype=v.dtype)) for v in _variables(model)]
            with StatelessScope(state_mapping=values, initialize_variables=False), SymbolicScope():
                _run_model(run, functional, inner, model, graph, placeholders)
        return run.judgement()

    return judge


def _run_model(run: _Run, functional: bool, inner, model, graph: Graph, placeholders: list) -> None:
    """Node by node for a functional model; a subclassed one as one call."""
    try:
        if functional:
            run.functional(inner, placeholders, "")
        else:
            run.whole(model, graph.name, _structure(model, placeholders))
    except _Stop:
        pass


def _walked_names(model, prefix: str, names: dict) -> set[str]:
    """The names of the operations the judge calls one by one (nested functional models are
    walked into; custom layers are called as one)."""
    found = set()
    for depth_nodes in model._nodes_by_depth.values():
        for node in depth_nodes:
            op = node.operation
            if op is None or node.is_input:
                continue
            name = prefix + names.get(id(op), layer_name(op))
            found.add(name)
            nested = getattr(op, "_functional", None) if isinstance(op, Sequential) else op
            if isinstance(nested, Functional) and not is_user_block(op):
                found |= _walked_names(nested, name + "/", names)
    return found


def _variables(model) -> list:
    """The model's variables, each once (a shared layer's too)."""
    try:
        found = list(model.variables)
    except Exception:  # noqa: BLE001 - a model Keras cannot list: its variables are read as Keras reads them
        return []
    seen, out = set(), []
    for v in found:
        if id(v) not in seen and getattr(v, "shape", None) is not None and None not in tuple(v.shape):
            seen.add(id(v))
            out.append(v)
    return out


def _dtype(graph: Graph, index: int) -> str:
    node = graph.nodes[graph.inputs[index]]
    return dtype if isinstance(dtype := node.config.get("dtype"), str) else "float32"


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
    def __init__(self, merges: dict, opaque: set, names: dict, changes: Optional[dict] = None) -> None:
        self.merges = merges
        self.names = names
        self.changes = changes  # None: the model's own layers; else every layer built again
        self.opaque = opaque  # user layers whose call() the capture could not follow: run on data
        self.failing: set[str] = set()
        self.lines: list[tuple[str, int]] = []
        self.rejected: Optional[str] = None
        self.stopped: Optional[str] = None
        self.rejected_by: Optional[str] = None

    def judgement(self) -> Judgement:
        return Judgement(frozenset(self.failing), tuple(self.lines), self.rejected, self.stopped, self.rejected_by)

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
                name = prefix + self.names.get(id(op), layer_name(op))
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
        if self.changes is not None:
            op = self.fresh(op, name)
        try:
            if name in self.opaque and is_user_block(op):
                return _on_data(op, args, kwargs)
            return op(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - Keras' refusal is the answer
            return self.refused(op, name, exc, flat_inputs)

    def fresh(self, op, name: str):
        """The layer built again from its config (with the change asked for, if any)."""
        assert self.changes is not None  # call() asks for a fresh layer only when there are changes
        change = self.changes.get(name)
        if isinstance(op, keras.layers.Lambda) or is_user_block(op) or not isinstance(op, keras.layers.Layer):
            if change:  # a layer that cannot be made again from its config: not confirmed
                self.stopped = f"{type(op).__name__} '{name}' (cannot be built again from its config)"
                raise _Stop()
            return op
        try:
            return type(op).from_config({**op.get_config(), **(change or {})})
        except Exception:  # noqa: BLE001 - a config Keras will not take back
            if change:
                self.stopped = f"{type(op).__name__} '{name}' (cannot be built again from its config)"
                raise _Stop() from None
            return op

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
        if self.failing:  # past a refused merge's continuation nothing more is known (the algebra says the same)
            self.stopped = f"{type(op).__name__} '{name}', after a refused merge"
        else:
            self.rejected = f"{type(op).__name__} '{name}' ({message_line(exc)[:160]})"
            self.rejected_by = name
        raise _Stop()


EAGER_ELEMENTS = 1 << 22  # a layer run on data (zeros) at most this big an input; larger: symbolically


def _on_data(op, args, kwargs):
    """A user layer whose call() works on shapes as values (`tf.shape`, Python on sizes):
    static shape inference may not see what it does, so it is run for real, eagerly, on
    zeros of its inputs' shapes (what run time does), and the graph goes on with zeros of
    the shape it returned."""
    import numpy as np
    import tensorflow as tf

    tensors = [t for t in keras.tree.flatten((args, kwargs)) if tf.is_tensor(t)]
    shapes = [tuple(t.shape) for t in tensors]
    if any(d is None for s in shapes for d in s) or sum(int(np.prod(s)) for s in shapes) > EAGER_ELEMENTS:
        return op(*args, **kwargs)
    with (
        tf.init_scope(),
        StatelessScope(initialize_variables=False),
    ):  # eager, and weights read as Keras reads them (not the graph's placeholders)
        swap = {id(t): tf.zeros(t.shape, dtype=t.dtype) for t in tensors}
        eager_args, eager_kwargs = keras.tree.map_structure(lambda v: swap.get(id(v), v), (args, kwargs))
        out = op(*eager_args, **eager_kwargs)
    return _as_graph_zeros(out)


def _as_graph_zeros(value):
    """Eager results as zeros of their shapes in the scratch graph."""
    import tensorflow as tf

    if tf.is_tensor(value):
        return tf.zeros(tuple(value.shape), dtype=value.dtype)
    if isinstance(value, (list, tuple)):
        return type(value)(_as_graph_zeros(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_graph_zeros(v) for k, v in value.items()}
    return value


def _continuation(plan: tuple, inputs: list):
    """What a refused merge passes on: its deepest input (concatenated size on the concat axis)."""
    import tensorflow as tf

    kind, axis, preferred = plan
    if preferred >= len(inputs):
        return None
    chosen = inputs[preferred]
    if kind == "elementwise":  # per axis: the broadcast size where the inputs agree, the deepest input's elsewhere
        shapes = [tuple(t.shape) for t in inputs]
        rank = max(len(s) for s in shapes)
        rows = [s[:1] + (1,) * (rank - len(s)) + s[1:] for s in shapes]  # Keras inserts missing axes after the batch
        if any(d is None for r in rows for d in r):
            return tf.zeros_like(chosen)
        out = []
        for axis in range(rank):
            sizes = {r[axis] for r in rows} - {1}
            out.append(sizes.pop() if len(sizes) == 1 else (1 if not sizes else rows[preferred][axis]))
        return tf.zeros(out, dtype=chosen.dtype)
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


def saved_judge(config: dict, graph: Graph):
    """The judge of a saved file's model: the architecture rebuilt by Keras from its config
    in safe mode (no Lambda, no custom class: nothing carried in the file runs), when first
    asked; Unavailable when Keras will not rebuild it so."""
    state: dict = {}

    def judge(shapes: list[tuple], changes: Optional[dict] = None) -> Judgement:
        if "judge" not in state:
            try:
                model = _rebuild_safely(config)
            except Exception as exc:  # noqa: BLE001 - Lambda, custom objects, a Keras 2 config Keras 3 refuses
                state["judge"] = None
                state["why"] = (
                    f"Keras will not rebuild this saved model in safe mode ({type(exc).__name__}: "
                    f"{message_line(exc)[:120]})"
                )
            else:
                state["judge"] = (
                    keras_judge(graph, model, _config_names(config, model)) if isinstance(model, keras.Model) else None
                )
                state["why"] = "the saved config is not a Keras model"
        if state["judge"] is None:
            raise Unavailable(state["why"])
        return state["judge"](shapes, changes)

    return judge


def _rebuild_safely(config: dict):
    """The model of a saved config, with nothing carried in it run: Keras' safe mode for a
    `.keras` / `to_json()` config; a legacy `.h5` config (class names without modules) through
    Keras' legacy loader with Keras' own classes only, refused outright when it holds a
    `Lambda` (the legacy loader would unmarshal its code)."""
    import copy

    try:
        return keras.saving.deserialize_keras_object(copy.deepcopy(config), safe_mode=True)
    except TypeError:
        if "module" in config:
            raise
    import json

    if '"Lambda"' in json.dumps(config) or "__lambda__" in json.dumps(config):
        raise ValueError("a Lambda in a legacy config: its code would have to be unmarshalled")
    from keras.src.legacy.saving import saving_utils

    return saving_utils.model_from_config(copy.deepcopy(config), custom_objects=_keras_operations())  # it pops keys


def _keras_operations() -> dict:
    """Keras' own operation classes by name (the `keras.ops` ops a functional config can hold)."""
    import importlib
    import inspect

    from keras.src.ops.operation import Operation

    found: dict[str, type] = {}
    for name in ("numpy", "nn", "image", "math", "core", "linalg"):
        module = importlib.import_module(f"keras.src.ops.{name}")
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Operation)
                and value.__module__.startswith("keras.")
                and not hasattr(keras.layers, attr)
            ):  # a layer of that name (Add) is the layer, not the op
                found.setdefault(attr, value)
    return found


def _config_names(config: dict, model) -> dict:
    """id(operation) -> the name the saved config gave it: Keras names rebuilt `keras.ops`
    operations afresh (extract_patches_1), the IR keeps the config's names. The config's
    layers and the rebuilt model's operations come in the same order; nested models too."""
    out: dict = {}
    layers = (config.get("config") or {}).get("layers") if isinstance(config, dict) else None
    operations = getattr(model, "operations", None)
    if not isinstance(layers, list) or operations is None or len(layers) != len(operations):
        return out
    for entry, op in zip(layers, operations):
        name = entry.get("name") or (entry.get("config") or {}).get("name") if isinstance(entry, dict) else None
        if isinstance(name, str):
            out[id(op)] = name
        if isinstance(op, keras.Model) and isinstance(entry, dict):
            out.update(_config_names(entry, op))
    return out
