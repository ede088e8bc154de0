"""Keras' own shape inference for layers the shape algebra has no arithmetic for.

Each function maps concrete input shapes to the output shape by asking Keras
symbolically (no weights, no data). A Lambda's function is called directly on
KerasTensors: Keras' generic `compute_output_shape` traces it through a backend
function and costs ten times more. Answers are cached per input shape, and Lambdas
made by the same code with the same captured values share one cache: a grouped
convolution's 32 slicing Lambdas per block are asked once, not 32 times.
"""

from __future__ import annotations

from typing import Callable, Optional

import keras
from keras.src.backend.common.keras_tensor import KerasTensor
from keras.src.layers.core.lambda_layer import Lambda


def shape_function(knode) -> Optional[Callable[[list[tuple]], tuple]]:
    """For a Keras Node with one output: shapes of its tensor inputs -> its output shape."""
    if len(knode.outputs) != 1:
        return None
    op = knode.operation
    args, kwargs = knode.arguments.args, knode.arguments.kwargs
    identity = _identity(op)

    def call(shapes: list[tuple]) -> tuple:
        key = (identity, tuple(tuple(s) for s in shapes))
        if key not in _CACHE:
            _CACHE[key] = _infer(op, args, kwargs, shapes)
        return _CACHE[key]

    return call


_CACHE: dict[tuple, tuple] = {}


def clear_cache() -> None:
    _CACHE.clear()


def _identity(op) -> object:
    """What decides a layer's output shape: for a Lambda its code, captured values,
    defaults and arguments (when all hashable); otherwise the layer object itself."""
    if isinstance(op, Lambda):
        function = op.function
        try:
            key = (
                function.__code__,
                tuple(cell.cell_contents for cell in function.__closure__ or ()),
                function.__defaults__,
                tuple(sorted((op.arguments or {}).items())),
            )
            hash(key)
            return key
        except (AttributeError, TypeError, ValueError):  # unhashable capture, empty cell, builtin
            pass
    return ("layer", id(op))


def _infer(op, args, kwargs, shapes: list[tuple]) -> tuple:
    replacements = iter(shapes)

    def swap(value):
        if isinstance(value, KerasTensor):
            return KerasTensor(tuple(next(replacements)), dtype=value.dtype)
        return value

    new_args = keras.tree.map_structure(swap, args)
    new_kwargs = keras.tree.map_structure(swap, kwargs)
    if isinstance(op, Lambda):
        kwargs_in = {k: v for k, v in new_kwargs.items() if k != "mask" and k != "training"}
        out = op.function(*new_args, **{**(op.arguments or {}), **kwargs_in})
    else:
        out = op.compute_output_spec(*new_args, **new_kwargs)
    if isinstance(out, (list, tuple)):
        (out,) = out
    return tuple(out.shape)


def from_saved_entry(entry: dict) -> Callable[[list[tuple]], tuple]:
    """For a saved file's built-in layer the algebra lacks: rebuild the layer from its config
    (safe_mode on: no Lambda, no custom object) and ask its compute_output_spec."""
    layer = keras.saving.deserialize_keras_object(entry, safe_mode=True)

    def call(shapes: list[tuple]) -> tuple:
        key = (("saved", id(layer)), tuple(tuple(s) for s in shapes))
        if key not in _CACHE:
            tensors = [KerasTensor(tuple(s)) for s in shapes]
            out = layer.compute_output_spec(tensors[0] if len(tensors) == 1 else tensors)
            if isinstance(out, (list, tuple)):
                (out,) = out
            _CACHE[key] = tuple(out.shape)
        return _CACHE[key]

    return call
