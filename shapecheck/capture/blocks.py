"""Looking inside user-defined layers and subclassed models.

Keras learns a custom layer's output shape by tracing its `call()` through the backend
(TensorFlow placeholders in a FuncGraph), so the layers and merges inside it never
become nodes of the Keras graph: a mismatch there surfaces as an exception with no line,
and a correct block is a black box to the size sweep. While a builder runs, a call of a
user-defined layer on symbolic tensors is traced again with Keras' own symbolic tensors:
`call()` runs on fresh `keras.Input` placeholders, so every layer, `keras.ops` op and
`x + y` inside it is an instrumented call like any other (recorded at its line in
`call()`, recovered on a mismatch), and the block's node gets the inner graph, as a
nested model does.

Common TensorFlow ops in `call()` (`tf.concat`, `tf.nn.relu`, ...) are routed to their
`keras.ops` twins for the trace (tf_shims.py). Where `call()` still cannot run on
symbolic tensors (other backend ops, `.numpy()`, `tf.range` over an unknown length), Keras' own
inference gives the output shape and the block is marked opaque with the reason, so the
report says that its inside was not checked.

A subclassed `keras.Model` is a user-defined layer too. It is a model of its own when it
is called outside any other block: on a `keras.Input`, on data (a forward pass shapecheck
does not run: the call is traced on an `Input` of the data's shape and returns zeros),
or after the module ran, on the shape it was built with (`model.build(shape)`) or given
on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import keras
import numpy as np
from keras.src.backend.common.keras_tensor import KerasTensor
from keras.src.layers.core.input_layer import InputLayer
from keras.src.layers.layer import Layer
from keras.src.utils import python_utils

from shapecheck.capture.tf_shims import tf_ops_on_symbolic_tensors
from shapecheck.errors import message_line

LIBRARY_MODULES = ("keras", "tf_keras", "tensorflow")


def is_user_block(layer: Any) -> bool:
    """A layer whose `call()` is written outside Keras (a custom layer, a subclassed model,
    a layer from a library built on Keras)."""
    if not isinstance(layer, Layer) or isinstance(layer, InputLayer):
        return False
    module = getattr(type(layer).call, "__module__", "") or ""
    return module.split(".")[0] not in LIBRARY_MODULES


def is_subclassed_model(layer: Any) -> bool:
    return isinstance(layer, keras.Model) and is_user_block(layer)


@dataclass
class BlockTrace:
    """One call of a user block: the placeholders its `call()` ran on and what it returned."""

    inputs: list = field(default_factory=list)  # keras.Input placeholders, in argument order
    outputs: Any = None
    spec: Any = None  # fresh KerasTensors of the output shape, for the outer node
    opaque: Optional[str] = None  # why call() could not be followed (inputs/outputs then empty)


def tensors_in(structure: Any) -> list[KerasTensor]:
    """The KerasTensors of a call's arguments, in Keras' own order (tree.flatten)."""
    return [t for t in keras.tree.flatten(structure) if isinstance(t, KerasTensor)]


def trace_call(layer: Layer, args: tuple, kwargs: dict) -> BlockTrace:
    """Run `layer.call` on placeholders shaped like the symbolic arguments."""
    placeholders: dict[int, KerasTensor] = {}
    for t in tensors_in((args, kwargs)):
        if id(t) not in placeholders:
            placeholders[id(t)] = keras.Input(batch_shape=t.shape, dtype=t.dtype, sparse=t.sparse)

    def swap(value):
        return placeholders[id(value)] if isinstance(value, KerasTensor) else value

    new_args = keras.tree.map_structure(swap, args)
    new_kwargs = keras.tree.map_structure(swap, kwargs)
    try:
        with tf_ops_on_symbolic_tensors():
            outputs = layer.call(*new_args, **new_kwargs)
        if not tensors_in(outputs):
            raise TypeError("call() returned no tensor")
    except Exception as exc:  # noqa: BLE001 - not followable: let Keras infer the shape, and say so
        spec = Layer.compute_output_spec(layer, *args, **kwargs)  # if this raises too, Keras' error is the real one
        return BlockTrace(spec=spec, opaque=_why(exc))
    spec = keras.tree.map_structure(
        lambda t: KerasTensor(t.shape, dtype=t.dtype, sparse=t.sparse) if isinstance(t, KerasTensor) else t, outputs
    )
    return BlockTrace(list(placeholders.values()), outputs, spec)


def _why(exc: BaseException) -> str:
    sentence = message_line(exc).split(". ")[0].rstrip(".")
    return f"{type(exc).__name__}: {sentence[:160]}" if sentence else type(exc).__name__


def skip_state_trace(layer: Layer) -> bool:
    """Keras builds a layer without a `build()` by tracing `call()` through the backend
    first; the symbolic trace builds its sublayers anyway, so that costly pass (which
    cannot follow a mismatch either) is skipped."""
    return is_user_block(layer) and python_utils.is_default(layer.build) and not layer.built


def input_like(value: Any) -> Optional[KerasTensor]:
    """A keras.Input with the shape of concrete data (batch axis free), or None."""
    shape = getattr(value, "shape", None)
    if shape is None or isinstance(value, KerasTensor):
        return None
    try:
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        return None
    if not dims:
        return None
    dtype = getattr(value, "dtype", "float32")
    return keras.Input(batch_shape=(None,) + dims[1:], dtype=keras.backend.standardize_dtype(dtype))


def zeros_like_spec(spec: Any, batch: int) -> Any:
    """Concrete zeros shaped like a traced output (the data's batch size for None)."""

    def make(t):
        if not isinstance(t, KerasTensor):
            return t
        shape = tuple(batch if d is None else d for d in t.shape)
        return np.zeros(shape, dtype=keras.backend.standardize_dtype(t.dtype))

    return keras.tree.map_structure(make, spec)


def build_shape(model: keras.Model) -> Optional[Any]:
    """The input shape `model.build(shape)` (or an earlier call) recorded, if just one."""
    shapes = getattr(model, "_build_shapes_dict", None) or {}
    if len(shapes) != 1:
        return None
    return next(iter(shapes.values()))


def placeholders_for(shape: Any) -> Any:
    """keras.Input(s) for a build shape: one tuple, or a list of tuples (several inputs).
    A shape given without the batch axis (from --input-shape) gets one."""
    if isinstance(shape, dict):
        return {k: placeholders_for(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) for s in shape):
        return [placeholders_for(s) for s in shape]
    return keras.Input(batch_shape=tuple(shape))
