"""Values from a saved config checked before any arithmetic sees them.

A saved file is input, not code: a dimension of 2**70, a kernel size of -3, a Concatenate
`axis` of "x" or 1.5 are refused here with a one-line CheckError naming the file and the
layer, rather than overflowing numpy, dividing by zero, or passing as clean.
"""

from __future__ import annotations

from typing import Any, Optional

from shapecheck.errors import CheckError

MAX_DIM = 2**31  # no tensor axis or kernel is longer than this
MAX_RANK = 32
MAX_AXIS = 64

POSITIVE_KEYS = {  # integers (or tuples of them) that must be >= 1
    "filters",
    "units",
    "kernel_size",
    "strides",
    "dilation_rate",
    "pool_size",
    "groups",
    "depth_multiplier",
    "size",
    "output_dim",
    "height",
    "width",
    "n",
    "repeats",
    "block_size",
}
NON_NEGATIVE_KEYS = {"padding", "cropping", "output_padding"}  # ints may be 0; strings pass
AXIS_KEYS = {"axis", "axes", "dims"}
SHAPE_KEYS = {"target_shape", "newshape"}  # -1 means "the rest"


def shape(values: Any, path: str, where: str) -> tuple:
    """A recorded tensor shape: a list of None or positive integers within MAX_DIM."""
    if not isinstance(values, (list, tuple)) or len(values) > MAX_RANK:
        raise CheckError(f"{path}: {where}: a shape must be a list of at most {MAX_RANK} sizes, not {_show(values)}")
    for value in values:
        if value is not None and not _int_between(value, 1, MAX_DIM):
            raise CheckError(
                f"{path}: {where}: shape {_show(values)} has the size {_show(value)}; "
                f"sizes are positive integers up to 2**31 (or None)"
            )
    return tuple(values)


def layer_config(config: dict, path: str, where: str) -> dict:
    """The shape-relevant keys of a layer's config, each value checked."""
    for key, value in config.items():
        if key in POSITIVE_KEYS:
            _integers(value, key, 1, MAX_DIM, path, where)
        elif key in NON_NEGATIVE_KEYS and not isinstance(value, str):
            _integers(value, key, 0, MAX_DIM, path, where)
        elif key in AXIS_KEYS:
            _integers(value, key, -MAX_AXIS, MAX_AXIS, path, where)
        elif key in SHAPE_KEYS:
            _integers(value, key, -1, MAX_DIM, path, where)
            if 0 in _flat(value):
                raise CheckError(f"{path}: {where}: {key} {_show(value)} has a size 0; sizes are positive (or -1)")
    return config


def merge_axis(value: Any, key: str, path: str, where: str, pair: bool = False) -> Any:
    """Concatenate's `axis` (one integer) or Dot's `axes` (one integer or a pair)."""
    ok = _int_between(value, -MAX_AXIS, MAX_AXIS) or (
        pair
        and isinstance(value, (list, tuple))
        and len(value) == 2
        and all(_int_between(v, -MAX_AXIS, MAX_AXIS) for v in value)
    )
    if not ok:
        expected = "an integer or a pair of integers" if pair else "an integer"
        raise CheckError(f"{path}: {where}: {key} is {_show(value)}; expected {expected}")
    return value


def reference(value: Any, path: str, where: str) -> tuple[str, int, int]:
    """A [layer name, node index, tensor index] reference."""
    if (
        not isinstance(value, (list, tuple))
        or len(value) < 3
        or not isinstance(value[0], str)
        or not _int_between(value[1], 0, MAX_DIM)
        or not _int_between(value[2], 0, MAX_DIM)
    ):
        raise CheckError(f"{path}: {where}: {_show(value)} is not a [layer, node, tensor] reference")
    return value[0], value[1], value[2]


def _integers(value: Any, key: str, low: int, high: int, path: str, where: str, depth: int = 0) -> None:
    if value is None:  # Keras' default (pooling strides = pool_size, ...)
        return
    if isinstance(value, (list, tuple)) and depth < 3 and len(value) <= MAX_RANK:
        for item in value:
            _integers(item, key, low, high, path, where, depth + 1)
        return
    if not _int_between(value, low, high):
        raise CheckError(f"{path}: {where}: {key} is {_show(value)}; expected integers from {low} to {_bound(high)}")


def _flat(value: Any) -> list:
    return [v for item in value for v in _flat(item)] if isinstance(value, (list, tuple)) else [value]


def _int_between(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _bound(high: int) -> str:
    return "2**31" if high == MAX_DIM else str(high)


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def layer_name(layer: Any, fallback: Optional[str] = None) -> str:
    if isinstance(layer, dict):
        name = layer.get("name")
        if not isinstance(name, str) and isinstance(layer.get("config"), dict):
            name = layer["config"].get("name")
        if isinstance(name, str):
            return f"layer '{_show(name, 80)[1:-1]}'"
    return fallback or "a layer"
