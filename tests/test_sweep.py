"""The size sweep and its shape algebra on hand-made IR graphs (no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest

from irgraphs import PATH, GraphBuilder
from shapecheck.algebra.constraints import describe
from shapecheck.algebra.evaluate import Evaluator, ask_per_size, passthrough_by_probes
from shapecheck.algebra.layers import conv_length, deconv_length, output_shape
from shapecheck.runner import check_graphs, selected_rules
from shapecheck.sweep import SizeRange, plan

S = np.arange(1, 65)


def conv(b, x, filters, shape, kernel=3, strides=1, padding="same", line=None):
    config = {"filters": filters, "kernel_size": [kernel, kernel], "strides": [strides, strides],
              "padding": padding, "dilation_rate": [1, 1], "data_format": "channels_last"}
    return b.add("Conv2D", shape, [x], line=line, config=config)


def pool(b, x, shape, padding="valid"):
    config = {"pool_size": [2, 2], "strides": [2, 2], "padding": padding, "data_format": "channels_last"}
    return b.add("MaxPooling2D", shape, [x], config=config)


def stem(pool_padding: str, size=None):
    """conv stride 2 'same' (ceil) beside a 2x2 max pool (floor unless 'same'), concatenated."""
    b = GraphBuilder("stem")
    x = b.input((None, size, size, 3))
    half = None if size is None else size // 2
    c = conv(b, x, 8, (None, half, half, 8), strides=2)
    p = pool(b, x, (None, half, half, 3), padding=pool_padding)
    b.merge("Concatenate", [c, p], (None, half, half, 11), line=7, kind="concat", axis=-1)
    b.graph.outputs = [b.graph.nodes[-1].inputs[0]]
    return b.graph


def run(graph, sizes="1:256"):
    return check_graphs([graph], PATH, selected_rules((), ()), SizeRange.parse(sizes))


# -- per-layer arithmetic ----------------------------------------------------------------
def test_conv_length_same_valid_and_strides():
    assert list(conv_length(S[:6], 3, 1, 1, "valid")) == [-1, 0, 1, 2, 3, 4]
    assert list(conv_length(S[:6], 3, 2, 1, "same")) == [1, 1, 2, 2, 3, 3]
    assert list(conv_length(S[:6], 3, 1, 2, "valid")) == [-3, -2, -1, 0, 1, 2]  # dilation 2: span 5


def test_deconv_length_matches_keras_formula():
    assert deconv_length(7, 2, 2, 1, "same", None) == 14
    assert deconv_length(7, 3, 2, 1, "valid", None) == 15
    assert deconv_length(7, 3, 2, 1, "same", 1) == 14


def test_output_size_zero_is_not_accepted():
    out, mask = output_shape("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "valid"}, [(None, S[:4], S[:4], 3)], [])
    assert out[3] == 4
    assert list(mask) == [False, False, True, True]


def test_weights_keep_their_built_size():
    flat = output_shape("Flatten", {}, [(None, S[:3], 2, 5)], [])[0]
    assert list(flat[1]) == [10, 20, 30]
    _, mask = output_shape("Dense", {"units": 7}, [flat], [(None, 20)])
    assert list(mask) == [False, True, False]


def test_reshape_permute_pad_crop_upsample():
    out, mask = output_shape("Reshape", {"target_shape": [-1, 4]}, [(None, S[:4], 2, 1)], [])
    assert list(out[1]) == [0, 1, 1, 2] and list(mask) == [False, True, False, True]
    assert output_shape("Permute", {"dims": [2, 1, 3]}, [(None, 5, 6, 7)], [])[0] == (None, 6, 5, 7)
    assert output_shape("ZeroPadding2D", {"padding": [[1, 2], [3, 4]]}, [(None, 5, 6, 7)], [])[0] == (None, 8, 13, 7)
    assert output_shape("Cropping2D", {"cropping": [[1, 1], [0, 2]]}, [(None, 5, 6, 7)], [])[0] == (None, 3, 4, 7)
    assert output_shape("UpSampling2D", {"size": [2, 3]}, [(None, 5, 6, 7)], [])[0] == (None, 10, 18, 7)
    assert output_shape("GlobalAveragePooling2D", {"keepdims": True}, [(None, 5, 6, 7)], [])[0] == (None, 1, 1, 7)


# -- constraints in words -------------------------------------------------------------------
@pytest.mark.parametrize(
    "failing, words",
    [
        (lambda s: s % 16 != 0, "H must be a multiple of 16"),
        (lambda s: s % 2 == 1, "fails for odd H"),
        (lambda s: s < 32, "needs H ≥ 32"),
        (lambda s: s % 8 >= 4, "fails when H mod 8 is 4..7"),
        (lambda s: np.isin(s, [5, 77, 300]), "fails at 3 of 1024 sizes tried"),
    ],
)
def test_constraints_in_words(failing, words):
    sizes = np.arange(1, 1025)
    assert describe("H", sizes, sizes > 0, failing(sizes)) == words


def test_size_range_parse():
    assert SizeRange.parse("32:2048") == SizeRange(32, 2048)
    assert SizeRange.parse("512") == SizeRange(1, 512)
    for bad in ("0:10", "10:5", "a:b", ""):
        with pytest.raises(ValueError, match="--sizes"):
            SizeRange.parse(bad)


# -- the rules ------------------------------------------------------------------------------------
def test_dynamic_stem_fails_for_odd_sizes():
    (finding,) = run(stem("valid"))
    assert (finding.code, finding.line) == ("SC104", 7)
    assert "fails for odd H or W" in finding.message and "3×3" in finding.message


def test_dynamic_stem_with_same_pooling_is_clean():
    assert run(stem("same")) == []


def test_fixed_stem_states_the_constraint_once_at_the_input():
    findings = run(stem("valid", size=64))
    assert [f.code for f in findings] == ["SC301"]
    assert "fails for odd H or W" in findings[0].message and findings[0].layer == "input"


def test_sizes_option_narrows_the_sweep():
    (finding,) = run(stem("valid"), "32:40")
    assert "33×33" in finding.message and "32..40" in finding.message


def permuted_add(size):
    b = GraphBuilder("swap")
    x = b.input((None, size, size, 8))
    t = b.add("Permute", (None, size, size, 8), [x], config={"dims": [2, 1, 3]})
    b.merge("Add", [x, t], (None, size, size, 8), line=12)
    return b.graph


@pytest.mark.parametrize("size", [None, 32])
def test_axis_swap_is_square_only(size):
    (finding,) = run(permuted_add(size))
    assert (finding.code, finding.line) == ("SC202", 12)


def test_a_failure_is_charged_to_the_first_merge_only():
    """Two merges in a row that both see the odd-size mismatch: only the first is reported."""
    graph = stem("valid")
    b = GraphBuilder("chain")
    b.graph = graph
    first = graph.nodes[-1]
    from shapecheck.graph import Edge

    c = conv(b, Edge(first.id), 11, (None, None, None, 11), strides=1)
    b.merge("Add", [c, Edge(first.id)], (None, None, None, 11), line=9)
    assert [(f.code, f.line) for f in run(graph)] == [("SC104", 7)]


def test_unknown_layer_without_shape_function_stops_the_path_with_a_note():
    b = GraphBuilder("unknown")
    x = b.input((None, None, None, 3))
    y = b.add("MysteryLayer", (None, None, None, 3), [x])
    b.merge("Add", [x, y], (None, None, None, 3), line=4)
    sweep = plan(b.graph, SizeRange(1, 64))
    assert sweep.merges == [] and any("MysteryLayer" in n for n in sweep.notes)


def test_keras_fallback_probes_and_per_size_answers():
    h = np.arange(1, 9)
    assert passthrough_by_probes(lambda s: s[0][:3] + (4,), [(None, h, 8, 16)]) == (None, h, 8, 4)
    halve = lambda s: (None, -(-s[0][1] // 2), s[0][2], s[0][3])  # noqa: E731
    assert passthrough_by_probes(halve, [(None, h, 8, 16)]) is None
    out, accepted = ask_per_size(halve, [(None, h, 8, 16)], len(h))
    assert list(out[1]) == [1, 1, 2, 2, 3, 3, 4, 4] and accepted.all()


def test_evaluator_memory_keeps_only_failing_merges():
    evaluator = Evaluator(4)
    graph = stem("same")
    evaluator.run(graph, {0: (None, np.arange(1, 5), np.arange(1, 5), 3)})
    assert evaluator.result.merge_fail == {}
