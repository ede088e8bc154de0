"""The questions of the seeds, answered by shapecheck itself."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

pytestmark = pytest.mark.slow


def test_seed_resnext_builds_and_every_add_matches(checked):
    run = checked(str(FIXTURES / "resnext50_seed.py"))
    (model,) = run.models
    adds = [node for _, node in model.merges() if node.op == "Add"]
    assert len(adds) == 16 and [f.code for f in run.findings] == ["SC203"]
    assert model.layer_count() > 1100  # 512 grouped-conv Lambdas and their convs
    assert all(node.input_shapes[0] == node.input_shapes[1] for node in adds)


def test_seed_resnext_explains_why_every_shortcut_matches(checked):
    from shapecheck.explain import merge_verdict

    run = checked(str(FIXTURES / "resnext50_seed.py"))
    (model,) = run.models
    whys = [merge_verdict(g, n, "x.py")[1] for g, n in model.merges() if n.op == "Add"]
    kinds = [why.split(" shortcut")[0] for why in whys]
    # each stack() opens with a projection block, then identity blocks: 3, 4, 6, 3
    assert kinds == (
        ["projection"]
        + ["identity"] * 2
        + ["projection"]
        + ["identity"] * 3
        + ["projection"]
        + ["identity"] * 5
        + ["projection"]
        + ["identity"] * 2
    )
    assert whys[1].startswith("identity shortcut (input 2): 256 channels set by Conv2D")
    assert "in an earlier block() call (conv_shortcut=True)" in whys[1]  # the projection block before it
    assert "in an earlier block() call (strides=2, conv_shortcut=True)" in whys[4]
    assert whys[0].startswith("projection shortcut (input 2): 256 channels set by Conv2D")


def test_explain_prints_both_branches_from_their_common_tensor(checked):
    from shapecheck.explain import explain_merge

    run = checked(str(FIXTURES / "resnext50_seed.py"))
    (model,) = run.models
    graph, add = next((g, n) for g, n in model.merges() if n.name == "add_1")
    lines = explain_merge(graph, add, "x.py")
    assert lines[1].startswith("  the inputs share ReLU")
    assert "  input 2: 0 layers after that" in lines  # the identity shortcut is the shared tensor itself
    assert sum(1 for line in lines if "Lambda" in line) == 32


def test_seed_000_all_four_channel_mismatches_in_one_run(checked):
    run = checked(str(FIXTURES / "resnext50_all_identity.py"))
    (channel,) = [f for f in run.findings if f.code == "SC101"]  # one line: one finding, grouped
    assert channel.count == 4 and "in 4 calls of this line" in channel.message
    add_line = next(
        n
        for n, text in enumerate((FIXTURES / "resnext50_all_identity.py").read_text().splitlines(), 1)
        if "Add()([x, shortcut])" in text
    )
    assert channel.line == add_line and {r.line for r in channel.related} == {add_line}
    stacks = []
    for chain in channel.chains():
        frames = {frame.function: dict(frame.args) for frame in chain}
        assert frames["block"]["conv_shortcut"] == "False"
        stacks.append(frames["stack"]["filters"])
    assert sorted(stacks, key=int) == ["128", "256", "512", "1024"]
    assert "channels 256 vs 64" in channel.message
    (spatial,) = [f for f in run.findings if f.code == "SC102"]
    assert spatial.count == 3  # the three stride-2 stacks


def test_seed_001_add_does_not_zero_pad(checked):
    run = checked(str(FIXTURES / "add_does_not_pad.py"))
    finding, broadcast = run.findings
    assert finding.code == "SC101" and finding.layer == "no_zero_padding"
    assert "channels 256 vs 64" in finding.message
    assert (broadcast.code, broadcast.layer) == ("SC201", "size_one_adds")  # only size 1 stretches


def test_seed_003_every_add_is_a_spatial_mismatch_and_the_duplicate_name_is_reported(checked):
    run = checked(str(FIXTURES / "resnet50_valid_padding.py"))
    assert [(f.code, f.count) for f in run.findings] == [("SC102", 4), ("SC102", 12)]  # one finding per line
    (model,) = run.models
    assert model.partial and "is used 2 times" in model.partial
    (file,) = run.files
    notes = "\n".join(file.notes)
    assert "layer name 'resnet_cov2_bot1bottle_cov3_bn' is used by 2 layers, created at line 23 and line 25" in notes


def test_nested_model_findings_name_the_inner_path(checked):
    run = checked(str(FIXTURES / "ops_and_nesting.py"))
    assert "unit/add" in {f.layer for f in run.findings}
    ops = {f.layer: f for f in run.findings}
    assert ops["add_1"].code == "SC102"  # `a + b` on symbolic tensors


def test_training_script_is_checked_without_training_or_saving(checked):
    run = checked(str(FIXTURES / "trains_at_import.py"))
    (file,) = run.files
    assert file.status == "ok"
    assert any("fit() at line 21" in note for note in file.notes)
    assert not (FIXTURES / "trained_by_fixture.keras").exists()
