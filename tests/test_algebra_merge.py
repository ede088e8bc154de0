"""Merge shape arithmetic (pure Python: no TensorFlow)."""

from shapecheck.algebra.merge import best_guess, concat, dot, elementwise, merged_shape
from shapecheck.graph import MergeSpec

N = None


def test_equal_shapes_merge():
    result = elementwise([(N, 56, 56, 256), (N, 56, 56, 256)])
    assert result.ok and not result.broadcasts and not result.rank_mismatch


def test_channel_conflict_names_the_axis_and_both_dims():
    result = elementwise([(N, 56, 56, 256), (N, 56, 56, 64)])
    assert [(c.axis, c.dims) for c in result.conflicts] == [(3, (256, 64))]


def test_size_one_broadcasts_but_is_recorded():
    result = elementwise([(N, 56, 56, 256), (N, 56, 56, 1)])
    assert result.ok
    assert [(b.input_index, b.axis, b.missing) for b in result.broadcasts] == [(1, 3, False)]


def test_unknown_dims_are_compatible():
    assert elementwise([(N, N, N, 64), (N, 32, 32, 64)]).ok


def test_rank_difference_aligns_from_the_right_like_keras():
    assert elementwise([(N, 64), (N, 8, 8, 64)]).ok
    broadcast = elementwise([(N, 64), (N, 8, 8, 64)])
    assert broadcast.rank_mismatch and {b.axis for b in broadcast.broadcasts} == {1, 2}
    conflict = elementwise([(N, 32), (N, 8, 8, 64)])
    assert conflict.rank_mismatch and not conflict.ok


def test_concat_ignores_its_axis_only():
    assert concat([(N, 28, 28, 4), (N, 28, 28, 8)], -1).ok
    spatial = concat([(N, 14, 14, 4), (N, 28, 28, 8)], -1)
    assert [c.axis for c in spatial.conflicts] == [1, 2]
    assert not concat([(N, 28, 28, 1), (N, 28, 28, 8)], 1).ok  # size 1 does not broadcast in a concat


def test_concat_of_different_ranks_is_a_rank_mismatch():
    result = concat([(N, 16), (N, 8, 8, 16)], -1)
    assert result.rank_mismatch and not result.ok


def test_dot_checks_the_contracted_axes():
    assert dot([(N, 8), (N, 8)], -1).ok
    assert not dot([(N, 8), (N, 9)], -1).ok
    assert dot([(N, 5, 8), (N, 8, 3)], (2, 1)).ok


def test_best_guess_follows_the_preferred_input():
    spec = MergeSpec("elementwise")
    assert best_guess(spec, [(N, 28, 28, 512), (N, 56, 56, 256)], 0) == (N, 28, 28, 512)
    assert best_guess(spec, [(N, 56, 56, 256), (N, 28, 28, 512)], 1) == (N, 28, 28, 512)
    cat = MergeSpec("concat", -1)
    assert best_guess(cat, [(N, 14, 14, 4), (N, 28, 28, 8)], 0) == (N, 14, 14, 12)


def test_merged_shape_broadcasts_like_keras():
    assert merged_shape(MergeSpec("elementwise"), [(N, 56, 56, 256), (N, 1, 1, 256)]) == (N, 56, 56, 256)
    assert merged_shape(MergeSpec("concat", -1), [(N, 7, 7, 3), (N, 7, 7, 5)]) == (N, 7, 7, 8)
    assert merged_shape(MergeSpec("elementwise"), [(N, 4), (N, 5)]) is None


def test_an_op_broadcasting_a_pooled_vector_puts_its_batch_axis_on_the_width():
    """`x - ops.mean(x, axis=(1, 2))`: NumPy aligns (B, 64) under (B, H, W, 64) from the right,
    so B meets W (Keras: predict on a batch of 2 raises in Sub)."""
    from shapecheck.algebra.merge import BatchClash, batch_clash

    assert batch_clash([(None, 56, 56, 64), (None, 64)]) == BatchClash(1, 0, 2, 56)
    assert batch_clash([(None, 56, 56, 64), (None, 1, 1, 64)]) is None  # keepdims: batch meets batch
    assert batch_clash([(None, 20, 64), (20, 64)]) is None  # positions without a batch axis
    assert batch_clash([(None, None, None, 64), (None, 64)]) is None  # unknown width: nothing to say


def test_a_vector_merged_over_a_map_keeps_the_maps_sizes_in_the_sweep():
    """Found by tests/fuzz (seed 92): `Add()([vector, map])` gave the map's H and W as
    unknown when the vector came first, so a Cropping2D after it was never refused."""
    import numpy as np

    from shapecheck.algebra.evaluate import merge_values

    h = np.arange(1, 6)
    out, conflict = merge_values(MergeSpec("elementwise"), [(N, 8), (N, h, h + 1, 8)], 0, len(h))
    assert not conflict.any()
    assert list(out[1]) == list(h) and list(out[2]) == list(h + 1) and out[3] == 8


def test_dot_needs_the_same_axis_even_unknown_like_keras():
    """Found by tests/fuzz (seed 139): Keras' Dot.build compares the axes as they are, so
    None against 1 raises; shapecheck let it through and the module failed to load."""
    assert not dot([(N, N, 3), (N, 1, 3)], (1, 1)).ok
    assert dot([(N, N, 3), (N, N, 3)], (1, 1)).ok
    assert dot([(N, 4, 3), (N, 5, 3)], (2, 2)).ok


def test_dot_in_the_sweep_fails_where_its_axes_differ():
    """Found by tests/fuzz (seed 162): the sweep left Dot to Keras' shape function, which
    made a failing Dot "not accepted" instead of a failing merge."""
    import numpy as np

    from shapecheck.algebra.evaluate import merge_values

    length = np.arange(1, 9)
    out, conflict = merge_values(MergeSpec("dot", (1, 1)), [(N, -(-length // 2), 2), (N, length, 2)], 1, len(length))
    assert list(conflict) == [False] + [True] * 7
    assert out == (N, 2, 2)
    out, conflict = merge_values(MergeSpec("dot", (2, 2)), [(N, length, 4), (N, length + 1, 4)], 1, len(length))
    assert not conflict.any() and list(out[1]) == list(length) and list(out[2]) == list(length + 1)
    out, conflict = merge_values(MergeSpec("dot", 1), [(N, 8), (N, 8)], 0, 1)
    assert out == (N, 1) and not conflict.any()
