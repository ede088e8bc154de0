"""Loading builder modules: what is called, what is skipped, and clean errors (exit 2 material)."""

from __future__ import annotations

import pytest

from conftest import DATA

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
    assert file.error == f"{tmp_path}: no model files here (*.py importing keras, *.keras, *.h5)"


def test_hanging_module_is_stopped_by_the_timeout(checked):
    (file,) = checked(str(DATA / "hangs.py"), timeout=1.0).files
    assert file.error.endswith("timed out after 1 s (--timeout)")


def test_zero_argument_builders_are_called_once_and_others_skipped(checked):
    run = checked(str(DATA / "builder_only.py"))
    # make_classifier matches the builder names; custom_entry does not and needs --entry
    assert [g.name for g in run.models] == ["classifier"]
    assert [(f.code, f.line) for f in run.findings] == [("SC101", 8)]
    (file,) = run.files
    assert file.skipped == []  # helper(x) needs an argument but does not look like a builder


def test_entry_calls_only_the_named_function(checked):
    run = checked(str(DATA / "builder_only.py"), entries=["custom_entry"])
    assert [g.name for g in run.models] == ["custom"]
    assert [g.entry for g in run.models] == ["custom_entry"]


def test_entry_that_does_not_exist(checked):
    (file,) = checked(str(DATA / "builder_only.py"), entries=["nope"]).files
    assert file.error.endswith("--entry nope: no such function in the module")
