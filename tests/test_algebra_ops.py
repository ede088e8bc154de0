"""Shape arithmetic of keras.ops calls and sequence layers, on symbolic shapes (no TensorFlow).
Their agreement with Keras itself is tested in test_algebra_vs_keras.py."""

from __future__ import annotations

import numpy as np
import pytest

from shapecheck.algebra.layers import output_shape
from shapecheck.algebra.ops import _decode_key, _encode_key, call_config, slice_length
from shapecheck.algebra.symbolic import Unknown

H = np.arange(1, 9)


def shape(op, config, *inputs, captured_in=(), captured_out=()):
    return output_shape(op, config, list(inputs), captured_in, captured_out)


def test_reductions_with_axis_and_keepdims():
    x = (None, H, H + 1, 8)
    assert shape("Mean", {"axis": [1, 2], "keepdims": True}, x)[0] == (None, 1, 1, 8)
    out = shape("Max", {"axis": [-1], "keepdims": False}, x)[0]
    assert len(out) == 3 and list(out[2]) == list(H + 1)
    assert shape("Sum", {"keepdims": False}, x)[0] == ()


def test_ops_reshape_keeps_the_batch_when_each_sample_fits():
    out, mask = shape("Reshape", {"newshape": [-1, 1, 1, 8]}, (None, 1, 1, 8))
    assert out == (None, 1, 1, 8) and mask is None
    out, mask = shape("Reshape", {"newshape": [-1, 1, 1, 8]}, (None, H, 1, 8))
    assert list(mask) == [True] + [False] * 7  # the batch would absorb H


def test_expand_squeeze_transpose_tile_repeat():
    assert shape("ExpandDims", {"axis": -1}, (None, 5, 6))[0] == (None, 5, 6, 1)
    out, mask = shape("Squeeze", {"axis": [1]}, (None, H, 6))
    assert out == (None, 6) and list(mask) == [True] + [False] * 7
    assert shape("Transpose", {"axes": [0, 2, 1, 3]}, (None, 5, 6, 7))[0] == (None, 6, 5, 7)
    assert shape("Tile", {"repeats": [1, 2, 3, 1]}, (None, 5, 6, 7))[0] == (None, 10, 18, 7)
    assert shape("Repeat", {"repeats": 3, "axis": 1}, (None, 5, 6))[0] == (None, 15, 6)


@pytest.mark.parametrize(
    "key",
    [
        (slice(None), None, None, slice(None)),
        (Ellipsis, slice(2, 5)),
        (slice(None), slice(None, None, 2), slice(1, -1)),
        (slice(None), 0),
        (Ellipsis, slice(-3, None)),
        (slice(None), slice(None, None, -2)),
    ],
)
def test_getitem_matches_numpy_at_every_size(key):
    encoded = call_config("GetItem", (None, key), {})["key"]
    assert _decode_key(encoded) == (key if isinstance(key, tuple) else key)
    out, mask = shape("GetItem", {"key": encoded}, (None, H, H + 2, 4))
    for i, (h, w) in enumerate(zip(H, H + 2)):
        try:
            expected = np.zeros((2, h, w, 4))[key].shape[1:]
        except IndexError:
            assert mask is not None and not mask[i]
            continue
        got = tuple(int(d[i]) if isinstance(d, np.ndarray) else d for d in out[1:])
        assert got == expected, (h, w)


def test_slice_length_is_pythons_for_every_length_and_slice():
    n = np.arange(0, 12)
    for start in (None, -5, -1, 0, 2, 9):
        for stop in (None, -4, 0, 3, 20):
            for step in (None, 1, 3, -1, -2):
                s = slice(start, stop, step)
                got = np.broadcast_to(slice_length(n, s), n.shape)
                assert list(got) == [len(range(*s.indices(int(k)))) for k in n], s


def test_a_symbolic_index_is_not_encoded():
    assert call_config("GetItem", (None, object()), {}) == {}
    with pytest.raises(Unknown):
        shape("GetItem", {}, (None, 4))
    assert _encode_key(Ellipsis) == "..."


def test_resize_depth_to_space_and_space_to_depth():
    assert shape("Resize", {"size": [32, 48], "data_format": "channels_first"}, (None, 3, H, H))[0] == (None, 3, 32, 48)
    assert shape("Resizing", {"height": 8, "width": 9}, (None, H, H, 3))[0] == (None, 8, 9, 3)
    out = shape("DepthToSpace", {"block_size": 2}, (None, H, 5, 12))[0]
    assert list(out[1]) == list(2 * H) and out[3] == 3
    out, mask = shape("SpaceToDepth", {"block_size": 2}, (None, H, 4, 3))
    assert out[3] == 12 and list(mask) == [h % 2 == 0 for h in H]


def test_unary_and_constant_binary_ops_keep_the_shape():
    x = (None, H, H, 3)
    assert shape("Sigmoid", {}, x)[0] is x
    assert shape("Multiply", {}, x, captured_in=[(None, 4, 4, 3)], captured_out=[(None, 4, 4, 3)])[0] is x
    with pytest.raises(Unknown):  # a constant that broadcasts the shape: not guessed
        shape("Multiply", {}, x, captured_in=[(None, 4, 4, 3)], captured_out=[(None, 4, 4, 5)])


def test_embedding_and_recurrent_layers():
    tokens = (None, H)
    emb = shape("Embedding", {"output_dim": 16}, tokens)[0]
    assert emb[2] == 16 and emb[1] is H
    seq, mask = shape("LSTM", {}, emb, captured_in=[(None, 7, 16)], captured_out=[(None, 7, 32)])
    assert list(seq[1]) == list(H) and seq[2] == 32 and (mask is None or mask.all())
    last = shape("Bidirectional", {}, emb, captured_in=[(None, 7, 16)], captured_out=[(None, 64)])[0]
    assert last == (None, 64)
    _, mask = shape("GRU", {}, (None, H, H), captured_in=[(None, 7, 4)], captured_out=[(None, 7, 8)])
    assert list(mask) == [h == 4 for h in H]  # the kernel keeps its input size


def test_time_distributed_and_attention():
    out = shape("TimeDistributed", {}, (None, H, 16), captured_in=[(None, 7, 16)], captured_out=[(None, 7, 5)])[0]
    assert out[1] is H and out[2] == 5
    with pytest.raises(Unknown):
        shape("TimeDistributed", {}, (None, 3, H, 16), captured_in=[(None, 3, 7, 16)], captured_out=[(None, 3, 7, 5)])
    q, v = (None, H, 8), (None, 5, 8)
    out = shape("Attention", {}, q, v, captured_in=[(None, 1, 8), (None, 5, 8)], captured_out=[(None, 1, 8)])[0]
    assert out[1] is H and out[2] == 8
    out, mask = shape(
        "MultiHeadAttention",
        {},
        q,
        v,
        (None, H, 8),
        captured_in=[(None, 1, 8), (None, 5, 8), (None, 5, 8)],
        captured_out=[(None, 1, 8)],
    )
    assert out[1] is H and out[2] == 8 and list(mask) == [h == 5 for h in H]  # keys and values: same length
