"""Per-layer shape arithmetic, vectorised over many input sizes at once.

Symbolic shapes are described in symbolic.py. Families live in their own modules:
keras.ops calls in ops.py, sequence layers (Embedding, RNNs, attention) in sequence.py;
`output_shape` here dispatches to them.

`output_shape(op, config, inputs, captured)` returns the output shape and a mask of the
sizes the layer accepts (None: all), or raises Unknown for a layer it does not know.
Layers with weights accept only the non-spatial sizes they were built with (`captured`:
the shapes recorded at the declared size).
"""

from __future__ import annotations

from typing import Optional, Sequence, cast

import numpy as np

from shapecheck.algebra import ops, sequence
from shapecheck.algebra.symbolic import (  # noqa: F401 (re-exported for the algebra's users)
    Axis,
    SymShape,
    Unknown,
    accept_positive,
    as_tuple,
    product,
    require_built,
)
from shapecheck.layout import channel_axis, spatial_axes  # noqa: F401 (re-exported for the algebra)

# The configuration keys the arithmetic reads; front ends copy these into Node.config
# (layer attributes carry the same names as config keys; keras.ops attributes too).
SHAPE_CONFIG_KEYS = (
    "filters",
    "units",
    "kernel_size",
    "strides",
    "padding",
    "dilation_rate",
    "pool_size",
    "data_format",
    "axis",
    "axes",
    "groups",
    "depth_multiplier",
    "cropping",
    "size",
    "target_shape",
    "dims",
    "keepdims",
    "output_padding",
    "output_dim",
    "n",
    "height",
    "width",
    "return_sequences",
) + ops.OP_ATTRIBUTES

SHAPE_PRESERVING = {
    "Activation",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "Softmax",
    "ThresholdedReLU",
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "UnitNormalization",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "ActivityRegularization",
    "Rescaling",
    "Normalization",
    "Identity",
    "Masking",
    "LayerScale",
}
CONV = {"Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D"}
CONV_TRANSPOSE = {"Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"}
POOL = {"MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D"}
GLOBAL_POOL = {
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
}
PADDING = {"ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"}
CROPPING = {"Cropping1D", "Cropping2D", "Cropping3D"}
UPSAMPLING = {"UpSampling1D", "UpSampling2D", "UpSampling3D"}
# Layers that change an axis independently of the others (or keep it).
PER_AXIS = (
    SHAPE_PRESERVING
    | CONV
    | CONV_TRANSPOSE
    | POOL
    | GLOBAL_POOL
    | PADDING
    | CROPPING
    | UPSAMPLING
    | {"Resizing", "Dense"}
)
# Layers after which an axis may hold another axis's size.
MIXING = {"Permute", "Reshape", "Flatten"}
KNOWN_LAYERS = PER_AXIS | MIXING


def conv_length(size: Axis, kernel: int, stride: int, dilation: int, padding: str) -> Axis:
    if size is None:
        return None
    if padding in ("same", "causal"):
        return -(-size // stride)
    effective = (kernel - 1) * dilation + 1
    return (size - effective) // stride + 1  # floor division: negative means "too small"


def deconv_length(size: Axis, kernel: int, stride: int, dilation: int, padding: str, output_padding) -> Axis:
    """keras.src.utils.conv_utils.deconv_output_length."""
    if size is None:
        return None
    effective = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(effective - stride, 0)
        if padding == "full":
            return size * stride - (stride + effective - 2)
        return size * stride
    pad = {"same": effective // 2, "valid": 0, "full": effective - 1}[padding]
    return (size - 1) * stride + effective - 2 * pad + output_padding


def output_shape(
    op: str,
    config: dict,
    inputs: Sequence[SymShape],
    captured_in: Sequence[tuple] = (),
    captured_out: Sequence[tuple] = (),
):
    """(output SymShape, accepted mask or None). `captured_in`/`captured_out`: the node's
    shapes recorded at the declared size (weights keep their sizes)."""
    # None only for a node without inputs: indexing it then raises TypeError, which the
    # evaluator reads as a configuration it does not understand
    x = cast(SymShape, inputs[0] if inputs else None)
    built = captured_in[0] if captured_in else None
    mask = None
    if op in SHAPE_PRESERVING:
        out = x
        if op in ("BatchNormalization", "LayerNormalization", "GroupNormalization") and built:
            axis = config.get("axis", -1)
            axes = axis if isinstance(axis, (list, tuple)) else [axis]
            for a in axes:
                mask = require_built(x[a], built[a], mask)
    elif op in CONV or op in CONV_TRANSPOSE:
        out, mask = _conv(op, config, x, built)
    elif op in POOL:
        out = _pool(config, x)
    elif op in GLOBAL_POOL:
        out = _global_pool(config, x)
    elif op in PADDING or op in CROPPING:
        out = _pad_or_crop(op, config, x)
    elif op in UPSAMPLING:
        out = _upsample(config, x)
    elif op == "Dense":
        mask = require_built(x[-1], built[-1] if built else None, mask)
        out = tuple(x[:-1]) + (config["units"],)
    elif op == "Flatten":
        out = _flatten(x)
    elif op == "Reshape" and "target_shape" in config:
        out, mask = _reshape(config, x)
    elif op == "Permute":
        dims = config["dims"]
        out = (x[0],) + tuple(x[d] for d in dims)
    elif op == "Resizing":
        out = ops.output_shape("Resize", {**config, "size": [config["height"], config["width"]]}, inputs, (), ())[0]
    elif op == "Lambda" and "key" in config:  # a Lambda that only indexes its input (capture/lambda_slices.py)
        out, mask = ops.output_shape("GetItem", config, inputs, captured_in, captured_out)
    elif ops.knows(op, config):
        out, mask = ops.output_shape(op, config, inputs, captured_in, captured_out)
    elif sequence.knows(op):
        out, mask = sequence.output_shape(op, config, inputs, captured_in, captured_out)
    else:
        found = ops.binary_with_constant(op, inputs, captured_in, captured_out)
        if found is None:
            raise Unknown(op)
        out = found
    return out, accept_positive(out, mask)


def knows(op: str, config: dict) -> bool:
    """Has the algebra arithmetic for this op (given its config)?"""
    return op in KNOWN_LAYERS or ops.knows(op, config) or sequence.knows(op) or (op == "Lambda" and "key" in config)


def _conv(op: str, config: dict, x: SymShape, built) -> tuple[SymShape, Optional[np.ndarray]]:
    rank = len(x)
    fmt = config.get("data_format")
    axes = spatial_axes(rank, fmt)
    n = len(axes)
    kernel = as_tuple(config["kernel_size"], n)
    strides = as_tuple(config.get("strides", 1), n)
    dilation = as_tuple(config.get("dilation_rate", 1), n)
    padding = config.get("padding", "valid")
    out = list(x)
    for i, a in enumerate(axes):
        if op in CONV_TRANSPOSE:
            op_pad = config.get("output_padding")
            op_pad = as_tuple(op_pad, n)[i] if op_pad is not None else None
            out[a] = deconv_length(x[a], kernel[i], strides[i], dilation[i], padding, op_pad)
        else:
            out[a] = conv_length(x[a], kernel[i], strides[i], dilation[i], padding)
    ch = channel_axis(rank, fmt)
    mask = require_built(x[ch], built[ch] if built else None, None)
    if op.startswith("Depthwise"):
        out[ch] = x[ch] * config.get("depth_multiplier", 1) if x[ch] is not None else None
    else:
        out[ch] = config["filters"]
    return tuple(out), mask


def _pool(config: dict, x: SymShape) -> SymShape:
    rank = len(x)
    axes = spatial_axes(rank, config.get("data_format"))
    n = len(axes)
    pool = as_tuple(config["pool_size"], n)
    strides = as_tuple(config.get("strides") or config["pool_size"], n)
    out = list(x)
    for i, a in enumerate(axes):
        out[a] = conv_length(x[a], pool[i], strides[i], 1, config.get("padding", "valid"))
    return tuple(out)


def _global_pool(config: dict, x: SymShape) -> SymShape:
    rank = len(x)
    fmt = config.get("data_format")
    ch = channel_axis(rank, fmt)
    if config.get("keepdims"):
        return tuple(1 if a in spatial_axes(rank, fmt) else x[a] for a in range(rank))
    return (x[0], x[ch])


def _pairs(value, n: int) -> list[tuple[int, int]]:
    """Keras padding/cropping arguments: int, (a, b) per axis, or one int per axis."""
    if isinstance(value, int):
        return [(value, value)] * n
    value = list(value)
    if n == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        return [(value[0], value[1])]
    out = []
    for v in value:
        out.append((v, v) if isinstance(v, int) else (v[0], v[1]))
    return out


def _pad_or_crop(op: str, config: dict, x: SymShape) -> SymShape:
    rank = len(x)
    axes = spatial_axes(rank, config.get("data_format"))
    amounts = _pairs(config["padding"] if op in PADDING else config["cropping"], len(axes))
    sign = 1 if op in PADDING else -1
    out = list(x)
    for a, (before, after) in zip(axes, amounts):
        out[a] = None if x[a] is None else x[a] + sign * (before + after)
    return tuple(out)


def _upsample(config: dict, x: SymShape) -> SymShape:
    rank = len(x)
    axes = spatial_axes(rank, config.get("data_format"))
    size = as_tuple(config.get("size", 2), len(axes))
    out = list(x)
    for a, s in zip(axes, size):
        out[a] = None if x[a] is None else x[a] * s
    return tuple(out)


def _flatten(x: SymShape) -> SymShape:
    return (x[0], product(x[1:]))


def _reshape(config: dict, x: SymShape) -> tuple[SymShape, Optional[np.ndarray]]:
    target = list(config["target_shape"])
    total = product(x[1:])
    if -1 not in target:
        known_total = int(np.prod(target)) if target else 1
        mask = require_built(total, known_total, None)
        return (x[0],) + tuple(target), mask
    fixed = int(np.prod([t for t in target if t != -1]))
    i = target.index(-1)
    if total is None:
        target[i] = None
        return (x[0],) + tuple(target), None
    divisible = np.asarray(total % fixed == 0)
    target[i] = total // fixed
    mask = None if divisible.ndim == 0 and bool(divisible) else (divisible if divisible.ndim else np.zeros(1, bool))
    return (x[0],) + tuple(target), mask
