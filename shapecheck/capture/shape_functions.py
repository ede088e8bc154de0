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


def _identity(op) -> tuple:
    """What decides a layer's output shape: for a Lambda its code, captured values,
    defaults, arguments and the module globals it reads (when all hashable, and no global
    is a function of the user's, whose behaviour could change); otherwise the layer itself."""
    if isinstance(op, Lambda):
        function = op.function
        try:
            key = (
                function.__code__,
                tuple(cell.cell_contents for cell in function.__closure__ or ()),
                function.__defaults__,
                tuple(sorted((op.arguments or {}).items())),
                _globals_read(function),
            )
            hash(key)
            return key
        except (AttributeError, TypeError, ValueError):  # unhashable capture, empty cell, builtin, a user function
            pass
    return ("layer", id(op))


LIBRARIES = ("keras", "tensorflow", "numpy", "math", "builtins", "tf_keras", "jax", "torch")


def _globals_read(function) -> tuple:
    """(name, value) of the simple globals the function's code reads, (name, id) of the
    modules, classes and library functions; a function of the user's raises TypeError."""
    names: set[str] = set()
    codes = [function.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(c for c in code.co_consts if hasattr(c, "co_names"))
    scope = function.__globals__
    read = []
    for name in sorted(n for n in names if n in scope):
        value = scope[name]
        if value is None or isinstance(value, (bool, int, float, str, tuple)):
            read.append((name, value))
        elif (
            isinstance(value, type)
            or type(value).__name__ == "module"
            or (getattr(value, "__module__", None) or "").split(".")[0] in LIBRARIES
        ):
            read.append((name, id(value)))
        else:
            raise TypeError(f"reads {name}, which may change what it does")
    return tuple(read)


def lambda_output_shape(layer: Lambda, input_shape, keras_inference):
    """A Lambda's output shape while the model is built, in place of Keras' own
    `compute_output_shape` (`keras_inference`), which traces the function through the
    backend: the function called on KerasTensors, answered once per code, captured values
    and input shapes (the sweep shares the answers). Anything else (a structure of
    outputs, a function that needs the backend) is Keras' answer."""
    single = isinstance(input_shape, (tuple, list)) and all(d is None or isinstance(d, int) for d in input_shape)
    if not single:
        return keras_inference(input_shape)
    key = (_identity(layer), (tuple(input_shape),))
    if key[0][0] == "layer":
        return keras_inference(input_shape)
    if key not in _CACHE:
        try:
            out = layer.function(KerasTensor(tuple(input_shape), dtype=layer.compute_dtype), **(layer.arguments or {}))
        except Exception:  # noqa: BLE001 - a function Keras must trace (a raw tf op, mask or training arguments)
            return keras_inference(input_shape)
        if not isinstance(out, KerasTensor):
            return keras_inference(input_shape)
        _CACHE[key] = tuple(out.shape)
    return _CACHE[key]


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
