"""TensorFlow ops inside a custom layer's `call()`, run on Keras' symbolic tensors.

Keras traces a custom layer's `call()` with TensorFlow placeholders, so `tf.concat`,
`tf.nn.relu` or `tf.image.central_crop` work there; shapecheck traces it with Keras'
symbolic tensors instead (see blocks.py), on which a TensorFlow op raises "A KerasTensor
cannot be used as input to a TensorFlow function". While a block is traced, the common
TensorFlow ops are routed to their `keras.ops` equivalents when given a symbolic tensor,
so merges written with them (`tf.concat`, `tf.add`) are found like any other. Ops not
listed here still make the block opaque (SC003). Outside a block trace nothing changes:
in a functional model Keras itself refuses TensorFlow ops on symbolic tensors.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Callable, Iterator

import keras
from keras import ops
from keras.src.backend.common.keras_tensor import KerasTensor


def _symbolic(args, kwargs) -> bool:
    return any(isinstance(v, KerasTensor) for v in keras.tree.flatten((args, kwargs)))


def _central_crop(image, central_fraction, name=None):
    """tf.image.central_crop's arithmetic on a symbolic (H, W, C) or (B, H, W, C) image."""
    h_axis = image.ndim - 3
    height, width = image.shape[h_axis], image.shape[h_axis + 1]
    if central_fraction == 1.0 or height is None or width is None:
        return image
    top = int((height - height * central_fraction) / 2)
    left = int((width - width * central_fraction) / 2)
    index = [slice(None)] * image.ndim
    index[h_axis] = slice(top, height - top)
    index[h_axis + 1] = slice(left, width - left)
    return image[tuple(index)]


def _static_shape(x):
    """tf.shape of a symbolic tensor: its sizes, when they are known when the model is built.
    An unknown size (other than the batch) cannot become a number here: the trace stops and
    the block is reported as not followed, rather than computing with a made-up size."""
    shape = tuple(x.shape)
    if any(d is None for d in shape[1:]):
        raise ValueError(f"tf.shape of a tensor shaped {shape}: a size unknown until run time")
    return shape


def _matmul(a, b, transpose_a=False, transpose_b=False, **_):
    a = ops.swapaxes(a, -1, -2) if transpose_a else a
    b = ops.swapaxes(b, -1, -2) if transpose_b else b
    return ops.matmul(a, b)


def _reduction(function: Callable) -> Callable:
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        return function(input_tensor, axis=axis, keepdims=keepdims)

    return reduce


# (module path, attribute) -> the keras.ops call that does the same to shapes
SHIMS: dict[tuple[str, str], Callable] = {
    ("", "concat"): lambda values, axis, name=None: ops.concatenate(values, axis=axis),
    ("", "add"): lambda x, y, name=None: ops.add(x, y),
    ("math", "add"): lambda x, y, name=None: ops.add(x, y),
    ("", "subtract"): lambda x, y, name=None: ops.subtract(x, y),
    ("math", "subtract"): lambda x, y, name=None: ops.subtract(x, y),
    ("", "multiply"): lambda x, y, name=None: ops.multiply(x, y),
    ("math", "multiply"): lambda x, y, name=None: ops.multiply(x, y),
    ("", "maximum"): lambda x, y, name=None: ops.maximum(x, y),
    ("", "minimum"): lambda x, y, name=None: ops.minimum(x, y),
    ("", "add_n"): lambda inputs, name=None: _sum_all(inputs),
    ("nn", "relu"): lambda features, name=None: ops.relu(features),
    ("nn", "relu6"): lambda features, name=None: ops.relu6(features),
    ("nn", "sigmoid"): lambda x, name=None: ops.sigmoid(x),
    ("", "sigmoid"): lambda x, name=None: ops.sigmoid(x),
    ("math", "sigmoid"): lambda x, name=None: ops.sigmoid(x),
    ("nn", "tanh"): lambda x, name=None: ops.tanh(x),
    ("", "tanh"): lambda x, name=None: ops.tanh(x),
    ("nn", "softmax"): lambda logits, axis=-1, name=None: ops.softmax(logits, axis=axis),
    ("nn", "gelu"): lambda features, approximate=False, name=None: ops.gelu(features, approximate=approximate),
    ("nn", "silu"): lambda features, beta=1.0, name=None: ops.silu(features),
    ("nn", "swish"): lambda features, beta=1.0, name=None: ops.silu(features),
    ("", "shape"): lambda input, out_type=None, name=None: _static_shape(input),
    ("", "cast"): lambda x, dtype, name=None: ops.cast(x, keras.backend.standardize_dtype(dtype)),
    ("", "reshape"): lambda tensor, shape, name=None: ops.reshape(tensor, tuple(shape)),
    ("", "expand_dims"): lambda input, axis, name=None: ops.expand_dims(input, axis),
    ("", "squeeze"): lambda input, axis=None, name=None: ops.squeeze(input, axis=axis),
    ("", "transpose"): lambda a, perm=None, conjugate=False, name=None: ops.transpose(a, axes=perm),
    ("", "reduce_mean"): _reduction(ops.mean),
    ("math", "reduce_mean"): _reduction(ops.mean),
    ("", "reduce_sum"): _reduction(ops.sum),
    ("math", "reduce_sum"): _reduction(ops.sum),
    ("", "reduce_max"): _reduction(ops.max),
    ("math", "reduce_max"): _reduction(ops.max),
    ("", "reduce_min"): _reduction(ops.min),
    ("math", "reduce_min"): _reduction(ops.min),
    ("", "matmul"): _matmul,
    ("linalg", "matmul"): _matmul,
    ("image", "central_crop"): _central_crop,
}


def _sum_all(inputs):
    total = inputs[0]
    for tensor in inputs[1:]:
        total = ops.add(total, tensor)
    return total


def _routed(original: Callable, shim: Callable) -> Callable:
    def route(*args, **kwargs):
        if _symbolic(args, kwargs):
            return shim(*args, **kwargs)
        return original(*args, **kwargs)

    route.__wrapped__ = original  # type: ignore[attr-defined]  # a function attribute, as functools.wraps sets it
    return route


_depth = 0


@contextlib.contextmanager
def tf_ops_on_symbolic_tensors() -> Iterator[None]:
    """Route the ops above while a block is traced (re-entrant: blocks nest)."""
    global _depth
    tf = sys.modules.get("tensorflow")
    if tf is None or _depth:
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    restore = []
    for (path, name), shim in SHIMS.items():
        owner: Any = tf  # a module, then what its attributes hold
        for part in filter(None, path.split(".")):
            owner = getattr(owner, part, None)
        original = getattr(owner, name, None) if owner is not None else None
        if original is None:
            continue
        restore.append((owner, name, original))
        setattr(owner, name, _routed(original, shim))
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        for owner, name, original in reversed(restore):
            setattr(owner, name, original)
