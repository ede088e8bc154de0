"""SC101-SC103 on hand-made graphs: each rule's bad case, and a near miss it must not flag."""

from irgraphs import PATH, GraphBuilder

from shapecheck.analysis import check_graphs, selected_rules

N = None


def findings(graph):
    return check_graphs([graph], PATH, selected_rules((), ()))


def residual(channels_main=256, size_main=56):
    b = GraphBuilder("resnet")
    x = b.input((N, 56, 56, 3))
    stem = b.add("Conv2D", (N, 56, 56, 64), [x], line=10, name="stem")
    pool = b.add("MaxPooling2D", (N, 56, 56, 64), [stem], line=11, name="pool")
    y = b.add("Conv2D", (N, size_main, size_main, channels_main), [pool], line=12, name="conv3")
    bn = b.add("BatchNormalization", (N, size_main, size_main, channels_main), [y], line=13, name="bn")
    b.merge("Add", [bn, pool], (N, size_main, size_main, channels_main), line=14)
    return b.graph


def test_channel_mismatch_names_the_layer_that_set_each_side():
    (finding,) = findings(residual(256))
    assert (finding.code, finding.line, finding.severity.label) == ("SC101", 14, "error")
    assert "channels 256 vs 64" in finding.message
    assert "channels 256 set by Conv2D conv3 (line 12)" in finding.message
    assert "channels 64 set by Conv2D stem (line 10)" in finding.message


def test_matching_shortcut_is_not_flagged():
    assert findings(residual(64)) == []


def test_spatial_mismatch_names_the_strided_layer():
    (finding,) = findings(residual(64, size_main=28))
    assert finding.code == "SC102"
    assert "height 28 vs 56, width 28 vs 56" in finding.message
    assert "height 28 set by Conv2D conv3 (line 12)" in finding.message
    assert "height 56 set by Input input" in finding.message  # nothing on the shortcut resized it


def test_channel_and_spatial_mismatch_are_two_findings():
    codes = sorted(f.code for f in findings(residual(256, size_main=28)))
    assert codes == ["SC101", "SC102"]


def test_rank_mismatch_that_cannot_broadcast():
    b = GraphBuilder()
    x = b.input((N, 8, 8, 64))
    v = b.add("GlobalAveragePooling2D", (N, 32), [b.add("Conv2D", (N, 8, 8, 32), [x], line=3)], line=4)
    b.merge("Add", [v, x], (N, 8, 8, 64), line=5)
    (finding,) = findings(b.graph)
    assert finding.code == "SC103" and "rank 2 vs 4" in finding.message


def test_rank_difference_that_broadcasts_is_not_a_mismatch():
    b = GraphBuilder()
    x = b.input((N, 8, 8, 64))
    v = b.add("GlobalAveragePooling2D", (N, 64), [x], line=4)
    b.merge("Multiply", [x, v], (N, 8, 8, 64), line=5)
    assert findings(b.graph) == []


def test_select_and_ignore_take_code_prefixes():
    graph = residual(256, size_main=28)
    assert [f.code for f in check_graphs([graph], PATH, selected_rules(["SC102"], ()))] == ["SC102"]
    assert [f.code for f in check_graphs([graph], PATH, selected_rules(["SC1"], ["SC101"]))] == ["SC102"]
    assert check_graphs([graph], PATH, selected_rules((), ["SC1"])) == []


def test_findings_carry_the_json_fields():
    (finding,) = findings(residual(256))
    assert finding.shapes == [(N, 56, 56, 256), (N, 56, 56, 64)]
    assert (finding.model, finding.layer, finding.path, finding.column) == ("resnet", "add_5", PATH, 5)
