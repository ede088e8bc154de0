"""Ordinary Keras code beyond functional channels_last: layouts, custom layers, subclassed
models, builders that raise (the issue "Real-world model code")."""

from __future__ import annotations

import json

import pytest
from conftest import DATA, FIXTURES, cli

pytestmark = pytest.mark.slow


def line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _finding(run, code, line=None):
    found = [f for f in run.findings if f.code == code and (line is None or f.line == line)]
    assert found, [(f.code, f.line) for f in run.findings]
    return found[0]


def test_a_channels_first_width_mismatch_is_named_as_width(checked):
    run = checked(str(FIXTURES / "channels_first_width_mismatch.py"))
    finding = _finding(run, "SC102")
    assert "width 32 vs 30" in finding.message
    assert "channels" not in finding.message.split(".")[0]


def test_a_channels_first_module_leaves_the_global_layout_as_it_was(checked):
    """In this process (the API with isolate=False); a supervised child cannot leak it anyway."""
    import keras

    checked(str(FIXTURES / "channels_first_global.py"), isolate=False)
    assert keras.config.image_data_format() == "channels_last"


def test_a_merge_inside_a_custom_layer_has_the_block_in_its_chain(checked):
    path = FIXTURES / "custom_layer_blocks.py"
    line = line_of(path, "return self.add([x, self.conv2(self.conv1(x))])")
    run = checked(str(path))
    finding = _finding(run, "SC101", line)
    chain = [frame.describe() for frame in finding.call_chain]
    assert "ResidualBlock 'residual_block_1' (filters=32)" in chain
    assert chain[-1] == f"call:{line}"
    assert finding.layer == "residual_block_1/add_1"


def test_the_size_sweep_goes_through_a_custom_layer(checked):
    run = checked(str(FIXTURES / "custom_layer_blocks.py"))
    finding = next(f for f in run.findings if f.code == "SC104")
    assert "fails at 3×3, 5×5, 7×7" in finding.message and finding.model == "dynamic_block"
    assert finding.layer == "down_up/add_3"


def test_a_custom_layer_that_cannot_be_followed_is_said_in_every_format():
    path = str(FIXTURES / "custom_layer_blocks.py")
    document = json.loads(cli(path, "--format", "json").stdout)
    opaque = [f for f in document["findings"] if f["code"] == "SC003"]
    assert opaque and "not checked" in opaque[0]["message"]
    assert document["summary"]["infos"] >= 1
    concise = cli(path, "--format", "concise").stdout
    assert "SC003" in concise


def test_subclassed_models_are_checked_or_listed_with_the_hint(checked):
    run = checked(str(FIXTURES / "subclassed_models.py"))
    assert {g.name for g in run.models} == {"net", "encoder_net", "classifier", "gated"}
    (file,) = run.files
    assert any("unbuilt" in s and "--input-shape Unbuilt=" in s for s in file.not_called), file.not_called


def test_an_input_shape_from_the_command_line_checks_an_unbuilt_subclassed_model(checked):
    run = checked(str(FIXTURES / "subclassed_models.py"), input_shapes={"Unbuilt": (None, 32, 32, 3)})
    assert "unbuilt" in {g.name for g in run.models}
    assert not run.files[0].not_called


def test_a_bad_input_shape_is_one_line_and_exit_2():
    result = cli(str(FIXTURES / "subclassed_models.py"), "--input-shape", "Unbuilt=abc")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--input-shape" in result.stderr


def test_a_builder_that_raises_is_reported_at_the_users_line():
    result = cli(str(DATA / "builder_raises.py"))
    assert result.returncode == 2, result.stdout
    line = result.stderr.strip()
    where = line_of(DATA / "builder_raises.py", "with open(path)")
    assert f"builder_raises.py:{where}: FileNotFoundError" in line, line
    assert "(in build_model())" in line and "Traceback" not in line
