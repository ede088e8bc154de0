"""Merges as capture sees them: which layer or op call is a merge, on which tensors, and
how a mismatched one is made to return a best-guess output so that building goes on."""

from __future__ import annotations

import contextlib
from typing import Any, Optional

from keras.src.backend.common.keras_tensor import KerasTensor
from keras.src.layers.layer import Layer
from keras.src.layers.merging.base_merge import Merge
from keras.src.layers.merging.concatenate import Concatenate
from keras.src.layers.merging.dot import Dot
from keras.src.ops import numpy as knp

from shapecheck.graph import MergeSpec

ELEMENTWISE_OPS = (knp.Add, knp.Subtract, knp.Multiply, knp.Maximum, knp.Minimum)


def merge_spec(op: Any) -> Optional[MergeSpec]:
    """The MergeSpec of a Keras layer or op, or None when it is not a merge."""
    if isinstance(op, Concatenate):
        return MergeSpec("concat", op.axis)
    if isinstance(op, Dot):
        return MergeSpec("dot", tuple(op.axes) if isinstance(op.axes, (list, tuple)) else op.axes)
    if isinstance(op, Merge):
        return MergeSpec("elementwise")
    if isinstance(op, ELEMENTWISE_OPS):
        return MergeSpec("elementwise")
    if isinstance(op, knp.Concatenate):
        return MergeSpec("concat", op.axis)
    return None


def merge_inputs(op: Any, args: tuple) -> Optional[list]:
    """The symbolic tensors a merge call combines, or None if this call is not a merge."""
    if isinstance(op, Layer):
        tensors = args[0] if args and isinstance(args[0], (list, tuple)) else None
    elif isinstance(op, knp.Concatenate):
        tensors = args[0] if args else None
    else:
        tensors = list(args[:2])
    if not tensors or not all(isinstance(t, KerasTensor) for t in tensors) or len(tensors) < 2:
        return None
    return list(tensors)


def depth(tensor: KerasTensor, memo: dict) -> int:
    """Longest path from an Input to this tensor (iterative: graphs can be deep)."""
    start = id(tensor)
    stack = [tensor]
    while stack:
        t = stack[-1]
        if id(t) in memo:
            stack.pop()
            continue
        history = getattr(t, "_keras_history", None)
        if history is None:
            memo[id(t)] = 0
            stack.pop()
            continue
        node = history.operation._inbound_nodes[history.node_index]
        pending = [p for p in node.input_tensors if id(p) not in memo]
        if pending:
            stack.extend(pending)
            continue
        memo[id(t)] = 1 + max((memo[id(p)] for p in node.input_tensors), default=0)
        stack.pop()
    return memo[start]


@contextlib.contextmanager
def forced_output(op, shape, dtype):
    """Make one call of `op` skip its shape checks and return a tensor of `shape`."""
    was_built = getattr(op, "built", None)

    def compute_output_spec(*args, **kwargs):
        return KerasTensor(shape, dtype=dtype)

    object.__setattr__(op, "compute_output_spec", compute_output_spec)
    if isinstance(op, Layer) and not op.built:
        op.built = True
        op._reshape_required = True
    try:
        yield
    finally:
        object.__delattr__(op, "compute_output_spec")
        if isinstance(op, Layer) and was_built is False:
            op.built = True  # merge layers hold no weights; leave it usable
