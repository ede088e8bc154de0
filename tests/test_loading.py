"""Loading builder modules: what is called, what is skipped, and clean errors (exit 2 material)."""

from __future__ import annotations

import json

import pytest
from conftest import DATA, cli, run_cli

pytestmark = pytest.mark.slow


def test_syntax_error_is_one_line_with_position(checked):
    (file,) = checked(str(DATA / "syntax_error.py")).files
    assert file.status == "error"
    assert file.error.startswith(f"{DATA / 'syntax_error.py'}:3:")
    assert "SyntaxError" in file.error and "\n" not in file.error


def test_exception_before_any_model_points_at_the_users_line(checked):
    (file,) = checked(str(DATA / "raises_before_build.py")).files
    assert file.error == f"{DATA / 'raises_before_build.py'}:7: FileNotFoundError: no/such/folder does not exist"


def test_module_that_builds_nothing_says_which_builder_needs_arguments(checked):
    (file,) = checked(str(DATA / "no_model.py")).files
    assert "no Keras model was built" in file.error
    assert "build_model() needs arguments (input_shape)" in file.error


def test_missing_path_and_unknown_type(checked, tmp_path):
    run = checked(str(tmp_path / "nope.py"))
    assert run.errors == [f"{tmp_path / 'nope.py'}: no such file or directory"]
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    assert "not a model file" in checked(str(other)).errors[0]


def test_folder_without_models(checked, tmp_path):
    (tmp_path / "plain.py").write_text("print('no keras here')\n")
    (file,) = checked(str(tmp_path)).files
    assert (
        file.error
        == f"{tmp_path}: no model files here (*.py and *.ipynb that reach keras or tensorflow through their imports, *.keras, *.h5)"
    )


UTILS = "import keras\n\n\ndef conv_bn(x, filters):\n    return keras.layers.BatchNormalization()(keras.layers.Conv2D(filters, 3)(x))\n"


def test_a_utilities_module_that_builds_no_model_is_no_model_and_does_not_fail(checked, tmp_path):
    (tmp_path / "blocks.py").write_text(UTILS)
    (file,) = checked(str(tmp_path / "blocks.py")).files
    assert (file.status, file.error, file.models) == ("no-model", None, [])
    result = cli(str(tmp_path / "blocks.py"), "--format", "json")
    document = json.loads(result.stdout)
    assert result.returncode == 0 and document["files"][0]["status"] == "no-model", result.stderr
    assert document["summary"]["no_model"] == 1


def test_a_folder_where_no_file_builds_a_model_is_exit_2(checked, tmp_path):
    (tmp_path / "blocks.py").write_text(UTILS)
    run = checked(str(tmp_path))
    assert [f.status for f in run.files] == ["no-model", "error"]
    assert run.errors == [f"{tmp_path}: no Keras model was built by any file here"]


MODELS_UNET = """
import keras
from keras import layers


def build_unet(input_shape):
    inputs = keras.Input(input_shape)
    wide = layers.Conv2D(16, 3, padding="same")(inputs)
    narrow = layers.Conv2D(8, 3, padding="same")(inputs)
    return keras.Model(inputs, layers.Add()([wide, narrow]))
"""

TRAIN = """
from models.unet import build_unet


def build():
    return build_unet(input_shape=(300, 300, 3))
"""


def test_a_model_built_through_the_projects_own_package_is_checked(tmp_path):
    """The issue's hole: train.py names no keras, models/unet.py does; it was skipped with exit 0."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("")
    (tmp_path / "models" / "unet.py").write_text(MODELS_UNET)
    (tmp_path / "train.py").write_text(TRAIN)
    result = run_cli("train.py", "--format", "json", "--debug", cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    document = json.loads(result.stdout)
    (finding,) = document["findings"]
    assert (finding["code"], finding["path"], finding["line"]) == ("SC101", "models/unet.py", 10)
    assert "checked: imports models.unet, which imports keras" in document["files"][0]["notes"]


def test_a_module_inside_a_package_runs_with_its_relative_imports(checked, tmp_path):
    package = tmp_path / "proj" / "nets"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "blocks.py").write_text(MODELS_UNET)
    (package / "resnet.py").write_text(
        "from .blocks import build_unet\n\n\ndef build():\n    return build_unet((32, 32, 3))\n"
    )
    run = checked(str(package / "resnet.py"))
    assert not run.errors, run.errors
    assert [f.code for f in run.findings] == ["SC101"]


def test_hanging_module_is_stopped_by_the_timeout(checked):
    (file,) = checked(str(DATA / "hangs.py"), timeout=1.0).files
    assert file.error.endswith("timed out after 1 s (--timeout)")


def test_zero_argument_builders_are_called_once_and_others_skipped(checked):
    run = checked(str(DATA / "builder_only.py"))
    # make_classifier matches the builder names; custom_entry does not and needs --entry
    assert [g.name for g in run.models] == ["classifier"]
    assert [(f.code, f.line) for f in run.findings] == [("SC101", 8)]
    (file,) = run.files
    assert file.not_called == []  # helper(x) needs an argument but does not look like a builder


def test_entry_calls_only_the_named_function(checked):
    run = checked(str(DATA / "builder_only.py"), entries=["custom_entry"])
    assert [g.name for g in run.models] == ["custom"]
    assert [g.entry for g in run.models] == ["custom_entry"]


def test_entry_that_does_not_exist(checked):
    (file,) = checked(str(DATA / "builder_only.py"), entries=["nope"]).files
    assert file.error.endswith("--entry nope: no such function in the module")
