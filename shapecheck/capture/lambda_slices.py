"""Lambdas that only index their input (`lambda x: x[:, :, :, a:b]`), read as `x[key]`.

A grouped convolution written with Keras 2 idioms slices channels with a Lambda per group
(the seeds' ResNeXt-50 has 512). The shape algebra evaluates `x[key]` itself (algebra/ops.py,
GetItem), so the size sweep needs no Keras for them once the key is known. The key is found
by calling the function once on a stand-in that allows nothing but indexing: any other use
of the input (a `tf` op, arithmetic, an attribute) raises inside the call and the Lambda is
left to Keras' own shape inference, as before.
"""

from __future__ import annotations

from typing import Optional

from keras.src.layers.core.lambda_layer import Lambda

from shapecheck.algebra.ops import call_config


class _Input:
    """Stands for the Lambda's input tensor: indexing is all it allows."""

    __slots__ = ()

    def __getitem__(self, key):
        return _Indexed(key)

    def __iter__(self):  # `for t in x`, `sum(xs)`, `ops.stack(xs)`: not a slice (and, without this,
        raise TypeError("iterated")  # iteration would call __getitem__(0, 1, 2, ...) forever)

    def __len__(self) -> int:
        raise TypeError("measured")


class _Indexed:
    __slots__ = ("key",)

    def __init__(self, key) -> None:
        self.key = key


def slice_key(op) -> Optional[dict]:
    """{"key": encoded key} when `op` is a Lambda whose function returns `x[key]` of its input
    with a key of plain Python values (ints, slices, None, Ellipsis); otherwise None."""
    if (
        not isinstance(op, Lambda)
        or op._output_shape is not None
        or op._fn_expects_mask_arg
        or op._fn_expects_training_arg
    ):
        return None
    try:
        out = op.function(_Input(), **(op.arguments or {}))
    except Exception:  # noqa: BLE001 - it does something else with its input
        return None
    if type(out) is not _Indexed:
        return None
    return call_config("GetItem", (None, out.key), {}) or None
