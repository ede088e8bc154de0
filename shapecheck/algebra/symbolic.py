"""Symbolic shapes and the helpers every family of layer arithmetic shares.

A symbolic shape is a tuple with one entry per axis: None (unknown: the batch, or a size
nothing determines), a Python int (the same at every size tried) or an int64 numpy array
holding that axis at each size tried. Numpy broadcasting lets ints and arrays mix freely,
so one pass over the graph evaluates every candidate size. Accepted masks are bool arrays
(or None: every size accepted).
"""

from __future__ import annotations

from typing import Optional, Union

import numpy as np

Axis = Union[None, int, np.ndarray]
SymShape = tuple


class Unknown(Exception):
    """The algebra has no arithmetic for this layer (or this configuration of it)."""


def as_tuple(value, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value) if len(value) == n else tuple(value) * n
    return (value,) * n


def simplify(value: Axis) -> Axis:
    """A numpy scalar or an array whose entries are all equal becomes a Python int."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return int(value)
    elif isinstance(value, np.integer):
        return int(value)
    return value


def is_varying(value: Axis) -> bool:
    return isinstance(value, np.ndarray) and value.ndim > 0


def require(ok, mask: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """`mask` and `ok` (a bool or a bool array)."""
    ok = np.asarray(ok)
    if ok.ndim == 0:
        return mask if bool(ok) else (np.zeros(1, dtype=bool) if mask is None else np.zeros_like(mask))
    return ok if mask is None else mask & ok


def require_built(value: Axis, built: Optional[int], mask: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """A weight's size: the input must keep the size the layer was built with."""
    if value is None or built is None:
        return mask
    return require(value == built, mask)


def accept_positive(shape: SymShape, mask: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """A size at which some axis is empty (or negative) is not accepted."""
    for axis in shape:
        if isinstance(axis, np.ndarray):
            mask = require(axis > 0, mask)
        elif isinstance(axis, (int, np.integer)) and axis <= 0:
            return require(False, mask)
    return mask


def product(dims) -> Axis:
    total: Axis = 1
    for d in dims:
        if d is None:
            return None
        total = total * d
    return total


def normalize_axes(axis, rank: int) -> list[int]:
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    return sorted(a % rank for a in axes)
