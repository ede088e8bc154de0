"""The size sweep and its shape algebra on hand-made IR graphs (no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest
from irgraphs import PATH, GraphBuilder

from shapecheck.algebra.constraints import describe
from shapecheck.algebra.evaluate import Evaluator, ask_per_size, follow_by_probes
from shapecheck.algebra.layers import conv_length, deconv_length, output_shape
from shapecheck.analysis import check_graphs, selected_rules
from shapecheck.size_range import SizeRange
from shapecheck.sweep import plan

S = np.arange(1, 65)


def conv(b, x, filters, shape, kernel=3, strides=1, padding="same", line=None):
    config = {
        "filters": filters,
        "kernel_size": [kernel, kernel],
        "strides": [strides, strides],
        "padding": padding,
        "dilation_rate": [1, 1],
        "data_format": "channels_last",
    }
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
    out, mask = output_shape(
        "Conv2D", {"filters": 4, "kernel_size": 3, "padding": "valid"}, [(None, S[:4], S[:4], 3)], []
    )
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
        # a size-1 axis broadcasts where 3, 5, 7, ... fail (conv stride 2, then upsample, then Add)
        (lambda s: (s % 2 == 1) & (s >= 3), "fails for odd H (from 3 up; smaller sizes pass)"),
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
    assert follow_by_probes(lambda s: s[0][:3] + (4,), [(None, h, 8, 16)]) == (None, h, 8, 4)
    halve = lambda s: (None, -(-s[0][1] // 2), s[0][2], s[0][3])  # noqa: E731
    assert follow_by_probes(halve, [(None, h, 8, 16)]) is None
    out, accepted = ask_per_size(halve, [(None, h, 8, 16)], len(h))
    assert list(out[1]) == [1, 1, 2, 2, 3, 3, 4, 4] and accepted.all()


def test_evaluator_memory_keeps_only_failing_merges():
    evaluator = Evaluator(4)
    graph = stem("same")
    evaluator.run(graph, {0: (None, np.arange(1, 5), np.arange(1, 5), 3)})
    assert evaluator.result.merge_fail == {}


# -- every None axis of every input ---------------------------------------------------------
def two_sequences(encoder_length=None):
    """Two token inputs whose per-step states are concatenated along the features."""
    b = GraphBuilder("seq")
    enc = b.input((None, encoder_length), name="encoder_input")
    dec = b.input((None, None), name="decoder_input")
    e = b.add("Embedding", (None, encoder_length, 8), [enc], config={"output_dim": 8})
    d = b.add("Embedding", (None, None, 8), [dec], config={"output_dim": 8})
    b.merge("Concatenate", [d, e], (None, None, 16), line=9, kind="concat", axis=-1)
    return b.graph


def test_two_inputs_whose_lengths_must_be_equal_are_named():
    (finding,) = run(two_sequences())
    assert finding.code == "SC104" and finding.line == 9
    assert "`encoder_input` length must equal `decoder_input` length" in finding.message


def test_a_free_length_against_a_declared_one_names_both():
    (finding,) = run(two_sequences(encoder_length=30))
    assert "fails unless `decoder_input` length equals `encoder_input` length (30)" in finding.message


def test_two_images_added_need_the_same_height_and_the_same_width():
    b = GraphBuilder("pair")
    x = b.input((None, None, None, 3), name="left")
    y = b.input((None, None, None, 3), name="right")
    b.merge("Add", [x, y], (None, None, None, 3), line=4)
    (finding,) = run(b.graph, "1:64")
    assert (
        "`left` height must equal `right` height (or be 1); `left` width must equal `right` width (or be 1)"
        in finding.message
    )
    assert "`left` height must equal `right` width" not in finding.message


def test_volumes_and_channels_first_inputs_are_swept_on_their_own_axes():
    b = GraphBuilder("volume")
    x = b.input((None, 2, None, None, None))  # channels_first: D, H, W are axes 2, 3, 4
    b.graph.nodes[0].layout = "channels_first"
    p = b.add(
        "MaxPooling3D",
        (None, 2, None, None, None),
        [x],
        config={"pool_size": [2, 2, 2], "strides": [2, 2, 2], "data_format": "channels_first"},
    )
    u = b.add(
        "UpSampling3D", (None, 2, None, None, None), [p], config={"size": [2, 2, 2], "data_format": "channels_first"}
    )
    b.merge("Add", [u, x], (None, 2, None, None, None), line=5)
    sweep = plan(b.graph, SizeRange(1, 64))
    assert sweep.names == ["D", "H", "W"]
    (finding,) = run(b.graph, "1:64")
    assert "fails for odd D or H or W" in finding.message


def test_pairs_are_gridded_only_where_a_merge_mixes_them():
    sweep = plan(two_sequences(), SizeRange(1, 64))
    assert sweep.pairs == [(0, 1)]
    assert set(sweep.groups.tolist()) == {"square", "axis0", "axis1", "grid0.1"}
    assert plan(stem("valid"), SizeRange(1, 64)).pairs == []  # H and W: per-axis layers only


# -- never a silent ok ---------------------------------------------------------------------
def opaque(subgraph=False):
    """Input -> a layer nothing can follow -> a Concatenate (inside a nested graph if asked)."""
    b = GraphBuilder("opaque")
    x = b.input((None, None, None, 3))
    y = b.add("MysteryLayer", (None, None, None, 3), [x], line=3)
    if not subgraph:
        b.merge("Concatenate", [x, y], (None, None, None, 6), line=4, kind="concat", axis=-1)
        return b.graph
    inner = GraphBuilder("inner")
    i = inner.input((None, None, None, 3))
    inner.merge("Add", [i, i], (None, None, None, 3), line=8)
    inner.graph.outputs = [inner.graph.nodes[-1].inputs[0]]
    b.add("Functional", (None, None, None, 3), [y], kind="model", name="inner")
    b.graph.nodes[-1].subgraph = inner.graph
    return b.graph


@pytest.mark.parametrize("nested", [False, True])
def test_merges_behind_a_path_the_sweep_cannot_follow_are_unchecked(nested):
    from shapecheck.verdicts import verdict

    graph = opaque(nested)
    unchecked: dict = {}
    findings = check_graphs([graph], PATH, selected_rules((), ()), SizeRange(1, 64), [], unchecked)
    (finding,) = findings
    assert (finding.code, finding.line, finding.layer) == ("SC002", 3, "mysterylayer_1")
    assert "1 merge behind it not swept" in finding.message
    ((owner, merge),) = list(graph.merges())
    assert unchecked == {"opaque": {merge.name: "the size sweep stops at MysteryLayer 'mysterylayer_1'"}}
    label, why = verdict(graph, owner, merge, PATH, findings, unchecked)
    assert label == "unchecked sizes" and "MysteryLayer" in why


def test_a_partial_file_is_never_ok_and_the_summary_says_so():
    from shapecheck.report.table import summary_line
    from shapecheck.results import FileReport, RunReport

    file = FileReport(PATH, models=[opaque()], unchecked={"opaque": {"concatenate_2": "..."}})
    assert file.status == "partial"
    run_report = RunReport([file])
    assert "1 merge not swept" in summary_line(run_report)
    assert not run_report.fails_at("warning")
    file.findings = run(opaque())
    assert run_report.fails_at("info") and file.status == "partial"


def test_known_ops_never_reach_the_keras_budget():
    """A reduction and a unary op the algebra knows, on a sweep of thousands of H x W rows."""
    b = GraphBuilder("ops")
    x = b.input((None, None, None, 4))
    s = b.add("Sigmoid", (None, None, None, 4), [x], kind="op")
    m = b.add("Mean", (None, 1, 1, 4), [s], kind="op", config={"axis": [1, 2], "keepdims": True})
    t = b.add("Transpose", (None, None, None, 4), [x], kind="op", config={"axes": [0, 2, 1, 3]})
    b.merge("Multiply", [t, m], (None, None, None, 4), line=6)
    sweep = plan(b.graph, SizeRange(1, 1024))
    assert len(sweep.candidates) > 3000 and sweep.notes == [] and sweep.unchecked == []


# -- SC301 tells the truth ----------------------------------------------------------------
def test_sc301_never_says_works_when_the_declared_size_fails():
    graph = stem("valid", size=64)
    b = GraphBuilder()
    b.graph = graph
    inp = graph.nodes[0]
    from shapecheck.graph import Edge

    c = conv(b, Edge(inp.id), 3, (None, 32, 32, 3), strides=2)
    b.merge("Add", [c, Edge(inp.id)], (None, 64, 64, 3), line=11)  # fails at 64x64 too: SC102
    codes = {f.code: f for f in run(graph)}
    assert "where it works" not in codes["SC301"].message
    assert "1 merge already fails" in codes["SC301"].message


def test_sc301_states_the_constraint_of_every_merge():
    """A stem (odd sizes fail) and, later, a deeper pool-upsample skip (multiples of 4):
    the model needs multiples of 4, not just even sizes."""
    graph = stem("valid", size=64)
    b = GraphBuilder()
    b.graph = graph
    from shapecheck.graph import Edge

    cat = Edge(len(graph.nodes) - 1)
    p = pool(b, cat, (None, 16, 16, 11))
    u = b.add("UpSampling2D", (None, 32, 32, 11), [p], config={"size": [2, 2]})
    b.merge("Add", [u, cat], (None, 32, 32, 11), line=12)
    (finding,) = run(graph)
    assert finding.code == "SC301" and "multiples of 4" in finding.message


# -- constraints in words: bounds with a period, per-axis rules ------------------------------------
def test_a_lower_bound_with_a_modulus():
    sizes = np.arange(1, 257)
    words = describe("H and W", sizes, sizes >= 9, sizes % 8 != 0)
    assert words == "H and W must be ≥ 9 and multiples of 8"
    assert describe("H", sizes, sizes > 0, (sizes < 40) | (sizes % 8 != 0)) == "H must be ≥ 40 and a multiple of 8"


def test_per_axis_constraints_say_which_axis_is_free():
    """W goes through five stride-2 pools, H is only cropped by a valid 17-tall conv."""
    b = GraphBuilder("strip")
    x = b.input((None, None, None, 1))
    c = b.add(
        "Conv2D",
        (None, None, None, 1),
        [x],
        config={"filters": 1, "kernel_size": [16, 1], "padding": "valid", "strides": [1, 1], "dilation_rate": [1, 1]},
    )
    y = b.add("ZeroPadding2D", (None, None, None, 1), [c], config={"padding": [[15, 0], [0, 0]]})
    p = b.add("AveragePooling2D", (None, None, None, 1), [y], config={"pool_size": [1, 32], "strides": [1, 32]})
    u = b.add("UpSampling2D", (None, None, None, 1), [p], config={"size": [1, 32]})
    b.merge("Add", [u, x], (None, None, None, 1), line=7)
    (finding,) = run(b.graph, "1:512")
    assert "W must be a multiple of 32; any H ≥ 16" in finding.message


def test_reductions_and_axis_swaps_only_keras_knows_are_followed_without_the_budget():
    h, w = np.arange(1, 3000), np.arange(2, 3001)[::-1]
    mean = lambda s: (None, 1, 1, s[0][3])  # noqa: E731  (a Lambda doing reduce_mean keepdims)
    assert follow_by_probes(mean, [(None, h, w, 16)]) == (None, 1, 1, 16)
    swap = lambda s: (None, s[0][2], s[0][1], s[0][3])  # noqa: E731
    out = follow_by_probes(swap, [(None, h, w, 16)])
    assert out[1] is w and out[2] is h
    area = lambda s: (None, s[0][1] * s[0][2])  # noqa: E731
    assert follow_by_probes(area, [(None, h, w, 16)]) is None
    crop = lambda s: (None, min(s[0][1], 64), s[0][2], 16)  # noqa: E731
    assert follow_by_probes(crop, [(None, h, w, 16)]) is None


@pytest.mark.parametrize("kind, op", [("model", "Functional"), ("layer", "MyStemBlock")])
def test_the_sweep_goes_through_nested_graphs_and_custom_layers(kind, op):
    """A custom layer whose call() merges (captured as a nested graph, like a nested model)."""
    b = GraphBuilder("outer")
    x = b.input((None, None, None, 3))
    b.add(op, (None, None, None, 11), [x], kind=kind, name="block")
    b.graph.nodes[-1].subgraph = stem("valid")
    (finding,) = run(b.graph)
    assert finding.code == "SC104" and "fails for odd H or W" in finding.message


def test_with_no_sweep_rule_selected_nothing_is_swept_nor_partial():
    unchecked: dict = {}
    assert check_graphs([opaque()], PATH, selected_rules(("SC101",), ()), SizeRange(1, 64), [], unchecked) == []
    assert unchecked == {}
    check_graphs([opaque()], PATH, selected_rules(("SC104",), ()), SizeRange(1, 64), [], unchecked)
    assert list(unchecked) == ["opaque"]  # SC002 not selected, but the file is still partial
