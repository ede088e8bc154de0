"""Suggested fixes on hand-made IR graphs (no TensorFlow): each kind of candidate is shown
when the shape algebra says it works, and not when it fixes this merge but breaks another."""

from __future__ import annotations

import json

import pytest
from irgraphs import GraphBuilder

from shapecheck.analysis import check_graphs
from shapecheck.fixes import verify
from shapecheck.graph import Graph
from shapecheck.rules import all_rules

CONV3_VALID = {"filters": 4, "kernel_size": (3, 3), "strides": (1, 1), "padding": "valid"}


def run(graph: Graph):
    graph.outputs = graph.outputs or [graph.nodes[-1] and _last(graph)]
    return check_graphs([graph], "model.py", all_rules())


def _last(graph: Graph):
    from shapecheck.graph import Edge

    return Edge(len(graph.nodes) - 1)


def finding(findings, code: str, layer: str | None = None):
    matches = [f for f in findings if f.code == code and (layer is None or f.layer == layer)]
    assert len(matches) == 1, [(f.code, f.layer) for f in findings]
    return matches[0]


def descriptions(f) -> list[str]:
    return [fix.description for fix in f.fixes]


def valid_conv_residual() -> Graph:
    """y = Conv2D(4, 3)(x) (valid: 8 -> 6); Add()([y, x])."""
    b = GraphBuilder()
    x = b.input((None, 8, 8, 4))
    y = b.add("Conv2D", (None, 6, 6, 4), [x], line=2, name="conv", config=CONV3_VALID)
    b.merge("Add", [y, x], (None, 6, 6, 4), line=3)
    return b.graph


def test_padding_same_on_the_layer_that_set_the_axis():
    f = finding(run(valid_conv_residual()), "SC102")
    assert descriptions(f)[0] == "padding='same' on Conv2D 'conv' (line 2)"
    assert f.fixes[0].kind == "layer-argument" and f.fixes[0].line == 2
    assert f.fixes[0].verified_at == ("8×8",) and not f.fixes[0].safe


def test_a_candidate_that_breaks_a_later_merge_is_not_shown():
    """padding='same' on `conv` fixes the first Add but makes the second (conv vs other,
    both 6×6 now) disagree: only the crop on the shortcut is left."""
    b = GraphBuilder()
    x = b.input((None, 8, 8, 4))
    y = b.add("Conv2D", (None, 6, 6, 4), [x], line=2, name="conv", config=CONV3_VALID)
    b.merge(
        "Add",
        [y, x],
        (None, 6, 6, 4),
        line=3,
    )
    other = b.add("Conv2D", (None, 6, 6, 4), [x], line=4, name="other", config=CONV3_VALID)
    b.merge("Add", [y, other], (None, 6, 6, 4), line=5)
    f = finding(run(b.graph), "SC102")
    assert not any("padding" in d for d in descriptions(f))
    assert descriptions(f)[0].startswith("Cropping2D(((1, 1), (1, 1))) on input 2 before the Add")


def test_filters_and_projection_for_a_channel_mismatch():
    b = GraphBuilder()
    x = b.input((None, 8, 8, 4))
    y = b.add(
        "Conv2D",
        (None, 8, 8, 16),
        [x],
        line=2,
        name="expand",
        config={"filters": 16, "kernel_size": (1, 1), "strides": (1, 1), "padding": "valid"},
    )
    b.merge("Add", [y, x], (None, 8, 8, 16), line=3)
    f = finding(run(b.graph), "SC101")
    assert descriptions(f) == [
        "filters=4 on Conv2D 'expand' (line 2)",
        "a 1×1 projection on the shortcut: Conv2D(16, 1) on input 2 (line 3)",
    ]


def test_strided_projection_when_the_shortcut_is_larger():
    b = GraphBuilder()
    x = b.input((None, 8, 8, 4))
    y = b.add(
        "Conv2D",
        (None, 4, 4, 8),
        [x],
        line=2,
        name="down",
        config={"filters": 8, "kernel_size": (3, 3), "strides": (2, 2), "padding": "same"},
    )
    b.merge("Add", [y, x], (None, 4, 4, 8), line=3)
    fixes = run(b.graph)
    assert any("Conv2D(8, 1, strides=2) on input 2" in d for f in fixes for d in descriptions(f))


def test_a_repeated_line_is_fixed_in_every_call():
    """The same conv line called twice (two blocks, one grouped finding): the edit covers both calls."""
    b = GraphBuilder()
    x = b.input((None, 12, 12, 4))
    for size in (10, 8):
        y = b.add("Conv2D", (None, size, size, 4), [x], line=2, config=CONV3_VALID)
        x = b.merge("Add", [y, x], (None, size, size, 4), line=3)
    f = finding(run(b.graph), "SC102")
    assert f.count == 2
    assert descriptions(f)[0].startswith("padding='same' on Conv2D 'conv2d_1' (line 2); all 2 calls of that line")


def test_crop_before_a_concatenation_by_the_exact_amount():
    b = GraphBuilder()
    x = b.input((None, 15, 15, 4))
    up = b.add(
        "UpSampling2D",
        (None, 16, 16, 4),
        [b.add("MaxPooling2D", (None, 8, 8, 4), [x], line=2, config={"pool_size": (2, 2), "padding": "same"})],
        line=3,
        config={"size": (2, 2)},
    )
    b.merge("Concatenate", [up, x], (None, 16, 16, 8), line=4, kind="concat", axis=-1)
    f = finding(run(b.graph), "SC102")
    assert "Cropping2D(((0, 1), (0, 1))) on input 1 before the Concatenate (line 4)" in descriptions(f)


def sc104_example() -> Graph:
    """The SC104 doc example: pool and upsample, then a skip."""
    b = GraphBuilder()
    x = b.input((None, None, None, 3))
    skip = b.add(
        "Conv2D",
        (None, None, None, 32),
        [x],
        line=2,
        config={"filters": 32, "kernel_size": (3, 3), "strides": (1, 1), "padding": "same"},
    )
    pooled = b.add("MaxPooling2D", (None, None, None, 32), [skip], line=3, config={"pool_size": (2, 2)})
    up = b.add("UpSampling2D", (None, None, None, 32), [pooled], line=3, config={"size": (2, 2)})
    b.merge("Concatenate", [up, skip], (None, None, None, 64), line=4, kind="concat", axis=-1)
    return b.graph


def test_input_sizes_for_a_size_dependent_break():
    """Odd sizes fail; padding='same' on the pool does not help (2*ceil(H/2) != H), feeding
    even sizes does."""
    f = finding(run(sc104_example()), "SC104")
    (fix,) = f.fixes
    assert fix.kind == "input-size" and "fails for odd H or W" in fix.description
    assert "pad or resize the input" in fix.description and "e.g. 34×34 instead of 33×33" in fix.description
    assert fix.verified_at == ("H and W over 1..1024",)


def test_padding_same_on_a_pool_verified_across_sizes():
    b = GraphBuilder()
    x = b.input((None, None, None, 3))
    conv = b.add(
        "Conv2D",
        (None, None, None, 8),
        [x],
        line=2,
        config={"filters": 8, "kernel_size": (3, 3), "strides": (2, 2), "padding": "same"},
    )
    pool = b.add("MaxPooling2D", (None, None, None, 3), [x], line=3, name="pool", config={"pool_size": (2, 2)})
    b.merge("Concatenate", [conv, pool], (None, None, None, 11), line=4, kind="concat", axis=-1)
    f = finding(run(b.graph), "SC104")
    assert f.fixes[0].description == "padding='same' on MaxPooling2D 'pool' (line 3)"
    assert f.fixes[0].verified_at == ("H and W over 1..1024",)


def sc201_example() -> Graph:
    """The SC201 doc example: Add of a one-channel map."""
    b = GraphBuilder()
    x = b.input((None, 8, 8, 16))
    attention = b.add(
        "Conv2D",
        (None, 8, 8, 1),
        [x],
        line=2,
        name="attention",
        config={"filters": 1, "kernel_size": (7, 7), "strides": (1, 1), "padding": "same"},
    )
    b.merge("Add", [x, attention], (None, 8, 8, 16), line=3)
    return b.graph


def test_multiply_and_filters_for_an_attention_map_added():
    f = finding(run(sc201_example()), "SC201")
    assert set(descriptions(f)) == {
        "filters=16 on Conv2D 'attention' (line 2)",
        "Multiply instead of Add (the size-1 map as a gate)",
    }


def sc202_example() -> Graph:
    """The SC202 doc example."""
    b = GraphBuilder()
    x = b.input((None, 64, 64, 32))
    t = b.add("Permute", (None, 64, 64, 32), [x], line=2, name="swap", config={"dims": (2, 1, 3)})
    b.merge("Add", [x, t], (None, 64, 64, 32), line=3)
    return b.graph


def test_undo_a_permute_that_only_a_square_input_hides():
    f = finding(run(sc202_example()), "SC202")
    assert descriptions(f) == [
        "remove Permute 'swap' (line 2): keep the axis order",
        "Permute((2, 1, 3)) on input 2 before the Add (line 3): undo the swap of Permute 'swap' (line 2)",
    ]


def sc205_example() -> Graph:
    """The SC205 doc example."""
    b = GraphBuilder()
    x = b.input((None, 3, 96, 96))
    b.add(
        "Conv2D",
        (None, 2, 48, 64),
        [x],
        line=2,
        config={
            "filters": 64,
            "kernel_size": (7, 7),
            "strides": (2, 2),
            "padding": "same",
            "data_format": "channels_last",
        },
    )
    return b.graph


def test_channels_last_input_for_a_channels_first_shape():
    f = finding(run(sc205_example()), "SC205")
    assert descriptions(f) == [
        "Input((96, 96, 3)) instead of Input((3, 96, 96)) (transpose the data once: channels last)"
    ]


def sc103_example() -> Graph:
    """The SC103 doc example: a pooled vector added to a feature map."""
    b = GraphBuilder()
    x = b.input((None, 8, 8, 64))
    v = b.add(
        "GlobalAveragePooling2D",
        (None, 32),
        [
            b.add(
                "Conv2D",
                (None, 8, 8, 32),
                [x],
                line=2,
                config={"filters": 32, "kernel_size": (1, 1), "strides": (1, 1), "padding": "valid"},
            )
        ],
        line=3,
    )
    b.merge("Add", [v, x], (None, 8, 8, 64), line=4)
    return b.graph


def test_rank_mismatch_becomes_a_per_channel_vector():
    f = finding(run(sc103_example()), "SC103")
    assert descriptions(f)[0] == "Dense(64) then Reshape((1, 1, 64)) on input 1 before the Add (line 4)"


def test_concatenate_along_a_spatial_axis_with_different_channels():
    b = GraphBuilder()
    x = b.input((None, 8, 8, 4))
    y = b.add(
        "Conv2D",
        (None, 8, 8, 8),
        [x],
        line=2,
        config={"filters": 8, "kernel_size": (1, 1), "strides": (1, 1), "padding": "valid"},
    )
    b.merge("Concatenate", [x, y], (None, 16, 8, 4), line=3, kind="concat", axis=1)
    f = finding(run(b.graph), "SC101")
    assert descriptions(f)[0].startswith("axis=-1 on Concatenate")


def sc101_example() -> Graph:
    """The SC101 doc example: a 256-channel conv added to its 64-channel input."""
    b = GraphBuilder()
    x = b.input((None, 56, 56, 64))
    y = b.add(
        "Conv2D",
        (None, 56, 56, 256),
        [x],
        line=2,
        config={"filters": 256, "kernel_size": (1, 1), "strides": (1, 1), "padding": "valid"},
    )
    b.merge("Add", [y, x], (None, 56, 56, 256), line=3)
    return b.graph


def sc102_example() -> Graph:
    """The SC102 doc example: a valid 3×3 conv added to its input."""
    b = GraphBuilder()
    x = b.input((None, 56, 56, 64))
    y = b.add(
        "Conv2D",
        (None, 54, 54, 64),
        [x],
        line=2,
        config={"filters": 64, "kernel_size": (3, 3), "strides": (1, 1), "padding": "valid"},
    )
    b.merge("Add", [y, x], (None, 54, 54, 64), line=3)
    return b.graph


# Each rule's doc example, and the remedy its "Use instead" names as the suggestion words it.
DOC_REMEDIES = {
    "SC101": (sc101_example, "Conv2D(256, 1)", "Conv2D(256, 1)"),
    "SC102": (sc102_example, 'padding="same"', "padding='same'"),
    "SC103": (sc103_example, "Reshape((1, 1, 64))(Dense(64)", "Dense(64) then Reshape((1, 1, 64))"),
    "SC104": (sc104_example, "pad or resize", "pad or resize"),
    "SC201": (sc201_example, "Multiply()", "Multiply instead of Add"),
    "SC202": (sc202_example, "Permute((2, 1, 3)) again", "Permute((2, 1, 3)) on input 2"),
    "SC205": (sc205_example, "Input((96, 96, 3))", "Input((96, 96, 3))"),
}


@pytest.mark.parametrize("code", sorted(DOC_REMEDIES))
def test_use_instead_agrees_with_the_suggestion(code):
    """`shapecheck rule CODE` and the suggestion on its own example name the same remedy."""
    from shapecheck.rules import REGISTRY
    from shapecheck.rules.docs import rule_doc

    example, in_doc, in_fix = DOC_REMEDIES[code]
    assert in_doc in rule_doc(REGISTRY[code]).instead
    f = finding(run(example()), code)
    assert any(in_fix in d for d in descriptions(f)), descriptions(f)


def test_insert_before_keeps_ids_topological():
    graph = valid_conv_residual()
    copy = verify.copy_model(graph)
    _, add = copy.find_node("add_2")
    verify.insert_before(copy, add, 1, "Identity", {}, (None, 8, 8, 4), "inserted")
    assert [n.id for n in copy.nodes] == list(range(4))
    assert all(e.source < n.id for n in copy.nodes for e in n.inputs)
    assert copy.nodes[2].name == "inserted" and copy.nodes[3].inputs[1].source == 2
    assert len(graph.nodes) == 3 and graph.nodes[2].inputs[1].source == 0  # the original is untouched


def test_no_fixes_switch(monkeypatch):
    monkeypatch.setenv("SHAPECHECK_NO_FIXES", "1")
    assert finding(run(valid_conv_residual()), "SC102").fixes == []


def test_suggestions_stop_at_the_budget_and_say_so(monkeypatch):
    """A huge model with many findings: suggestions for the first ones, then none (counted
    work), and a note that says how many were not tried."""
    monkeypatch.setattr(verify, "BUDGET", 5)
    notes: list[str] = []
    findings = check_graphs([valid_conv_residual()], "model.py", all_rules(), notes=notes)
    assert finding(findings, "SC102").fixes == []
    assert any(
        n.startswith("suggested fixes stopped at finding 1 of") and "may lack a suggestion" in n for n in notes
    ), notes


@pytest.fixture
def report_with_fix():
    from shapecheck.results import FileReport, RunReport
    from shapecheck.rules.base import Fix, TextEdit

    f = finding(run(valid_conv_residual()), "SC102")
    edit = TextEdit("model.py", 2, 30, 2, 30, ', padding="same"')
    f.fixes = [f.fixes[0], Fix("a text fix", "layer-argument", "model.py", 2, ("8×8",), (edit,))]
    return RunReport([FileReport("model.py", findings=[f])])


def test_reports_show_the_fixes(report_with_fix):
    from shapecheck.report import concise, github, json_report, sarif

    text = concise.render(report_with_fix)
    assert "\n    fix: padding='same' on Conv2D 'conv' (line 2) (verified at 8×8)" in text
    assert "%0Afix: padding='same'" in github.render(report_with_fix)
    (fix, _) = json.loads(json_report.render(report_with_fix))["findings"][0]["fixes"]
    assert fix == {
        "description": "padding='same' on Conv2D 'conv' (line 2)",
        "kind": "layer-argument",
        "path": "model.py",
        "line": 2,
        "cell": None,
        "verified_at": ["8×8"],
        "keras_built": [],
        "edits": [],
        "safe": False,
    }
    result = json.loads(sarif.render(report_with_fix))["runs"][0]["results"][0]
    (sarif_fix,) = result["fixes"]  # only the fix with a text edit
    replacement = sarif_fix["artifactChanges"][0]["replacements"][0]
    assert replacement == {
        "deletedRegion": {"startLine": 2, "startColumn": 30, "endLine": 2, "endColumn": 30},
        "insertedContent": {"text": ', padding="same"'},
    }


def test_table_and_html_show_the_fixes(report_with_fix):
    import io

    from shapecheck.report import table
    from shapecheck.report.html import render as render_html

    out = io.StringIO()
    table.render(report_with_fix, table.make_console(out, width=200), quiet=True)
    assert "fix: padding='same' on Conv2D 'conv' (line 2) (verified at 8×8)" in out.getvalue()
    assert "padding=&#x27;same&#x27; on Conv2D" in render_html(
        report_with_fix
    ) or "padding='same' on Conv2D" in render_html(report_with_fix)


@pytest.mark.parametrize(
    "call, expected",
    [
        ("layers.Conv2D(8, 3)(x)", 'layers.Conv2D(8, 3, padding="same")(x)'),
        ("layers.Conv2D(8, 3, padding='valid')(x)", 'layers.Conv2D(8, 3, padding="same")(x)'),
        ("layers.Conv2D(8, 3, 1, 'valid')(x)", 'layers.Conv2D(8, 3, 1, "same")(x)'),
        ("layers.Conv2D(\n    8, 3,\n)(x)", 'layers.Conv2D(\n    8, 3,\n padding="same")(x)'),
        ("layers.Conv2D(**kw)(x)", None),
    ],
)
def test_keyword_edit_on_the_users_call(tmp_path, call, expected):
    from test_fixes_fixtures import apply_edits

    from shapecheck.fixes._call_text import keyword_edit
    from shapecheck.graph import Location, Node

    source = tmp_path / "model.py"
    text = f"from keras import layers\ny = {call}\n"
    source.write_text(text)
    node = Node(0, "conv", "Conv2D", "layer", location=Location(str(source), 2, 5))
    edit = keyword_edit(node, str(source), "padding", '"same"')
    if expected is None:
        assert edit is None
        return
    assert apply_edits(text, [edit]) == f"from keras import layers\ny = {expected}\n"


def test_input_shape_edit_replaces_the_literal(tmp_path):
    from test_fixes_fixtures import apply_edits

    from shapecheck.fixes._call_text import input_shape_edit
    from shapecheck.graph import Location, Node

    source = tmp_path / "model.py"
    text = "import keras\ninputs = keras.Input(shape=(3, 96, 96), name='x')\n"
    source.write_text(text)
    node = Node(0, "x", "InputLayer", "input", location=Location(str(source), 2, 10))
    edit = input_shape_edit(node, str(source), (96, 96, 3))
    assert apply_edits(text, [edit]) == "import keras\ninputs = keras.Input(shape=(96, 96, 3), name='x')\n"
