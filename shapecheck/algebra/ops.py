"""Shape arithmetic of `keras.ops` calls on symbolic tensors (Node.kind "op").

Keras 3 records `ops.mean(x, axis=(1, 2), keepdims=True)`, `ops.reshape(x, (-1, 1, 1, c))`
or `x[:, None, None, :]` as operations (`Mean`, `Reshape`, `GetItem`) whose arguments are
attributes of the op object (copied into Node.config, see OP_ATTRIBUTES) or, for GetItem,
the call's key (see `call_config`). Shapes here include the batch axis, as `keras.ops` does.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from shapecheck.algebra.symbolic import (
    SymShape,
    Unknown,
    as_tuple,
    normalize_axes,
    product,
    require,
    simplify,
)
from shapecheck.layout import channel_axis, spatial_axes

# Attributes of keras.ops operations the arithmetic reads (layers' names are in layers.py).
OP_ATTRIBUTES = ("newshape", "repeats", "block_size")

REDUCTIONS = {
    "Mean",
    "Max",
    "Min",
    "Sum",
    "Prod",
    "Std",
    "Var",
    "Any",
    "All",
    "Amax",
    "Amin",
    "Argmax",
    "Argmin",
    "Logsumexp",
    "Median",
    "Norm",
    "Count_nonzero",
    "CountNonzero",
}
UNARY = {
    "Relu",
    "Relu6",
    "Sigmoid",
    "HardSigmoid",
    "Tanh",
    "Softplus",
    "Softsign",
    "Silu",
    "Swish",
    "Gelu",
    "Elu",
    "Selu",
    "LeakyRelu",
    "HardSilu",
    "LogSigmoid",
    "Softmax",
    "LogSoftmax",
    "Exp",
    "Log",
    "Log1p",
    "Sqrt",
    "Rsqrt",
    "Square",
    "Abs",
    "Absolute",
    "Negative",
    "Sign",
    "Cast",
    "Clip",
    "Round",
    "Floor",
    "Ceil",
    "Reciprocal",
    "Sin",
    "Cos",
    "Erf",
    "StopGradient",
    "Identity",
    "ZerosLike",
    "OnesLike",
    "Normalize",
    "Cumsum",
    "Cumprod",
}
# Binary ops with one symbolic operand (`x * 0.5`, `x + bias_const`) keep its shape when the
# other operand is a scalar: checked against the shapes captured at the declared size.
BINARY_WITH_CONSTANT = {
    "Add",
    "Subtract",
    "Multiply",
    "Divide",
    "TrueDivide",
    "Maximum",
    "Minimum",
    "Power",
    "FloorDivide",
}
OPS = (
    REDUCTIONS
    | UNARY
    | {
        "Reshape",
        "ExpandDims",
        "Squeeze",
        "Transpose",
        "Tile",
        "Repeat",
        "GetItem",
        "Resize",
        "DepthToSpace",
        "SpaceToDepth",
    }
)
MIXING = {"Reshape", "Transpose"}  # after these an axis may hold another axis's size


def call_config(op_name: str, args: Sequence, kwargs: dict) -> dict:
    """Config entries taken from an op's call arguments (plain Python values only): the key of
    `x[...]`. Empty when the key holds anything symbolic (a tensor index)."""
    if op_name != "GetItem" or len(args) < 2:
        return {}
    try:
        return {"key": _encode_key(args[1])}
    except TypeError:
        return {}


def saved_call_config(op_name: str, call) -> dict:
    """The same for a call recorded in a saved file's config (Keras 3: {"args": [tensor, key]},
    the key's slices and Ellipsis serialized as {"class_name": "__slice__", ...})."""
    if op_name != "GetItem" or not isinstance(call, dict) or len(call.get("args", ())) < 2:
        return {}
    try:
        return {"key": _encode_key(_deserialize_key(call["args"][1]))}
    except (TypeError, KeyError):
        return {}


def _deserialize_key(value):
    if isinstance(value, list):
        return tuple(_deserialize_key(v) for v in value)
    if isinstance(value, dict):
        kind = value.get("class_name")
        if kind == "__slice__":
            c = value["config"]
            return slice(c.get("start"), c.get("stop"), c.get("step"))
        if kind == "__ellipsis__":
            return Ellipsis
        raise TypeError(value)  # a tensor index
    return value


def _encode_key(key):
    if isinstance(key, tuple):
        return [_encode_key(k) for k in key]
    if key is None:
        return None
    if key is Ellipsis:
        return "..."
    if isinstance(key, slice):
        parts = [key.start, key.stop, key.step]
        if not all(p is None or isinstance(p, int) for p in parts):
            raise TypeError(key)
        return {"slice": parts}
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key)
    raise TypeError(key)


def knows(op: str, config: dict) -> bool:
    return op in OPS and (op != "Reshape" or "newshape" in config)


def output_shape(op: str, config: dict, inputs: Sequence[SymShape], captured_in, captured_out):
    x = inputs[0]
    if len(inputs) != 1:
        raise Unknown(f"{op} with {len(inputs)} symbolic inputs")
    if op in UNARY:
        return x, None
    if op in REDUCTIONS:
        return _reduce(config, x), None
    if op == "Reshape":
        return _reshape(config["newshape"], x)
    if op == "ExpandDims":
        return _expand_dims(config["axis"], x), None
    if op == "Squeeze":
        return _squeeze(config.get("axis"), x)
    if op == "Transpose":
        axes = config.get("axes") or list(reversed(range(len(x))))
        return tuple(x[a] for a in axes), None
    if op == "Tile":
        return _tile(config["repeats"], x), None
    if op == "Repeat":
        return _repeat(config["repeats"], config.get("axis"), x), None
    if op == "GetItem":
        if "key" not in config:
            raise Unknown("GetItem with a symbolic index")
        return _getitem(_decode_key(config["key"]), x)
    if op == "Resize":
        return _resize(config, x), None
    if op in ("DepthToSpace", "SpaceToDepth"):
        return _space_depth(op, config, x)
    raise Unknown(op)


def binary_with_constant(op: str, inputs, captured_in, captured_out) -> Optional[SymShape]:
    """`x * 0.5`: one symbolic input whose captured shape the op kept."""
    if (
        op in BINARY_WITH_CONSTANT
        and len(inputs) == 1
        and captured_in
        and captured_out
        and tuple(captured_in[0]) == tuple(captured_out[0])
    ):
        return inputs[0]
    return None


def _reduce(config: dict, x: SymShape) -> SymShape:
    axis = config.get("axis")
    keep = bool(config.get("keepdims", False))
    rank = len(x)
    axes = range(rank) if axis is None else normalize_axes(axis, rank)
    if keep:
        return tuple(1 if i in axes else x[i] for i in range(rank))
    return tuple(x[i] for i in range(rank) if i not in axes)


def _reshape(newshape, x: SymShape):
    """keras.ops.reshape: the new shape includes the batch axis (usually -1 or None there)."""
    target = list(newshape) if isinstance(newshape, (list, tuple)) else [newshape]
    known = [t for t in target if t not in (-1, None)]
    free = [i for i, t in enumerate(target) if t in (-1, None)]
    if len(free) > 1 or any(not isinstance(t, (int, np.integer)) for t in known):
        raise Unknown("Reshape with more than one unknown axis")
    fixed = int(np.prod(known)) if known else 1
    if not free:
        return tuple(target), None
    (i,) = free
    if x[0] is None and i == 0:
        # The batch absorbs the rest: each sample must hold exactly `fixed` elements, or the
        # batch axis would change (a later merge with the batch fails at run time).
        per_sample = product(x[1:])
        mask = None if per_sample is None else require(per_sample == fixed, None)
        return (None,) + tuple(target[1:]), mask
    total = product(x)
    if total is None:
        return tuple(None if j == i else t for j, t in enumerate(target)), None
    out = list(target)
    out[i] = simplify(total // fixed)
    return tuple(out), require(total % fixed == 0, None)


def _expand_dims(axis, x: SymShape) -> SymShape:
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    rank = len(x) + len(axes)
    positions = sorted(a % rank for a in axes)
    out, rest = [], iter(x)
    for i in range(rank):
        out.append(1 if i in positions else next(rest))
    return tuple(out)


def _squeeze(axis, x: SymShape):
    rank = len(x)
    if axis is None:
        if any(isinstance(d, np.ndarray) for d in x):
            raise Unknown("Squeeze without axis on a size-dependent axis")
        return tuple(d for d in x if d != 1), None
    axes = normalize_axes(axis, rank)
    mask = None
    for a in axes:
        if x[a] is not None:
            mask = require(x[a] == 1, mask)
    return tuple(x[i] for i in range(rank) if i not in axes), mask


def _tile(repeats, x: SymShape) -> SymShape:
    reps = list(repeats) if isinstance(repeats, (list, tuple)) else [repeats]
    shape = list(x)
    if len(shape) > len(reps):
        reps = [1] * (len(shape) - len(reps)) + reps
    else:
        shape = [1] * (len(reps) - len(shape)) + shape
    return tuple(None if d is None else d * r for d, r in zip(shape, reps))


def _repeat(repeats, axis, x: SymShape) -> SymShape:
    reps = list(repeats) if isinstance(repeats, (list, tuple)) else [repeats]
    if axis is None:
        total = product(x)
        if total is None or len(reps) != 1:
            raise Unknown("Repeat without axis")
        return (total * reps[0],)
    a = axis % len(x)
    if len(reps) != 1:
        raise Unknown("Repeat with per-element repeats")
    out = list(x)
    out[a] = None if x[a] is None else x[a] * reps[0]
    return tuple(out)


def _decode_key(key):
    if isinstance(key, list):
        return tuple(_decode_key(k) for k in key)
    if key == "...":
        return Ellipsis
    if isinstance(key, dict):
        return slice(*key["slice"])
    return key


def slice_length(n, s: slice):
    """len(range(*s.indices(n))) for an int or an int array n."""
    step = 1 if s.step is None else s.step
    n = np.asarray(n)
    if step > 0:
        start = np.zeros_like(n) if s.start is None else _clip(s.start, n, 0, n)
        stop = n if s.stop is None else _clip(s.stop, n, 0, n)
        length = -(-(stop - start) // step)
    else:
        start = n - 1 if s.start is None else _clip(s.start, n, -1, n - 1)
        stop = np.full_like(n, -1) if s.stop is None else _clip(s.stop, n, -1, n - 1)
        length = -(-(start - stop) // -step)
    return simplify(np.maximum(length, 0))


def _clip(index: int, n, low, high):
    value = index + n if index < 0 else np.full_like(n, index)
    return np.minimum(np.maximum(value, low), high)


def _getitem(key, x: SymShape):
    """GetItem.compute_output_spec, vectorised: ints drop an axis, None inserts one."""
    keys = list(key) if isinstance(key, tuple) else [key]
    if keys.count(Ellipsis) == 0:
        keys.append(Ellipsis)
    remaining, out, mask = list(x), [], None
    while keys:
        k = keys.pop(0)
        if k is Ellipsis:
            needed = len(keys) - keys.count(None)
            consumed = len(remaining) - needed
            out += remaining[:consumed]
            remaining = remaining[consumed:]
            continue
        if k is None:
            out.append(1)
            continue
        if not remaining:
            raise ValueError("too many indices")
        n = remaining.pop(0)
        if isinstance(k, int):
            if n is not None:
                index = k + n if k < 0 else k
                mask = require((np.asarray(index) >= 0) & (np.asarray(index) < n), mask)
        elif isinstance(k, slice):
            out.append(None if n is None else slice_length(n, k))
        else:
            raise Unknown(f"GetItem key {k!r}")
    return tuple(out), mask


def _resize(config: dict, x: SymShape) -> SymShape:
    axes = spatial_axes(len(x), config.get("data_format"))
    size = as_tuple(config["size"], len(axes))
    out = list(x)
    for a, s in zip(axes, size):
        out[a] = s
    return tuple(out)


def _space_depth(op: str, config: dict, x: SymShape):
    fmt = config.get("data_format")
    b = int(config["block_size"])
    axes, ch = spatial_axes(len(x), fmt), channel_axis(len(x), fmt)
    out, mask = list(x), None
    for a in axes:
        if x[a] is None:
            continue
        if op == "DepthToSpace":
            out[a] = x[a] * b
        else:
            mask = require(x[a] % b == 0, mask)
            out[a] = x[a] // b
    if x[ch] is not None:
        out[ch] = x[ch] // (b * b) if op == "DepthToSpace" else x[ch] * b * b
    return tuple(out), mask
