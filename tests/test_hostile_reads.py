"""Every read of user input is bounded (size, depth): a notebook, pyproject.toml, a baseline
and the files read for inline ignores and SARIF positions. One file's trouble is that
file's one-line error; the other files' findings stay. No TensorFlow: the good file beside
the hostile one is a saved config."""

from __future__ import annotations

import json
import os

import pytest
from test_saved_models import functional_config

from shapecheck import bounded
from shapecheck.errors import CheckError
from shapecheck.options import Options
from shapecheck.runner import check_paths

DEPTH = 100_000


@pytest.fixture()
def good(tmp_path, monkeypatch):
    monkeypatch.setenv("SHAPECHECK_NO_FIXES", "1")  # its SC101 fix would be built by Keras: no TensorFlow here
    path = tmp_path / "good.json"
    path.write_text(json.dumps(functional_config()))  # one SC101
    return path


def _deep_notebook(path, depth=DEPTH):
    path.write_text('{"cells": ' + "[" * depth + "]" * depth + ', "nbformat": 4, "metadata": {}}')
    return path


def test_a_notebook_nested_100000_deep_is_its_own_error_and_the_other_file_is_reported(tmp_path, good):
    deep = _deep_notebook(tmp_path / "deep.ipynb")
    run = check_paths([str(deep), str(good)], Options(cache=False))
    by_name = {os.path.basename(f.path): f for f in run.files}
    assert [f.code for f in by_name["good.json"].findings] == ["SC101"]
    error = by_name["deep.ipynb"].error
    assert error is not None and "nests" in error and "\n" not in error, error


def test_a_notebook_larger_than_the_cap_is_refused_without_reading_it(tmp_path, good):
    huge = tmp_path / "huge.ipynb"
    with open(huge, "wb") as handle:  # sparse: no disk is used
        handle.truncate(bounded.MAX_NOTEBOOK_BYTES + 1)
    run = check_paths([str(huge), str(good)], Options(cache=False))
    by_name = {os.path.basename(f.path): f for f in run.files}
    assert "larger than 128 MiB" in (by_name["huge.ipynb"].error or ""), by_name["huge.ipynb"]
    assert [f.code for f in by_name["good.json"].findings] == ["SC101"]


def test_a_deep_or_huge_pyproject_is_one_line(tmp_path):
    from shapecheck.config import load

    deep = tmp_path / "pyproject.toml"
    deep.write_text("[tool.shapecheck]\nx = " + "[" * DEPTH + "]" * DEPTH + "\n")
    with pytest.raises(CheckError) as raised:
        load(str(deep), require_table=False)
    assert "\n" not in str(raised.value)
    with open(deep, "wb") as handle:
        handle.truncate(bounded.MAX_SETTINGS_BYTES + 1)
    with pytest.raises(CheckError, match="larger than"):
        load(str(deep), require_table=False)


def test_a_deep_baseline_is_not_a_baseline(tmp_path):
    from shapecheck import baseline

    path = tmp_path / "baseline.json"
    path.write_text("[" * DEPTH + "]" * DEPTH)
    with pytest.raises(CheckError, match="^--baseline .*nests deeper"):
        baseline.read(str(path))
    with pytest.raises(CheckError, match="no such file"):
        baseline.read(str(tmp_path / "missing.json"))


def test_inline_ignores_and_sarif_positions_read_hostile_files_without_failing(tmp_path):
    from shapecheck.cells import file_position
    from shapecheck.suppress import _cell_comments, _comments

    deep = _deep_notebook(tmp_path / "deep.ipynb")
    assert file_position(str(deep), 1, 1) == (1, 1)
    assert _cell_comments(str(deep), os.path.getmtime(deep)) == ()
    huge = tmp_path / "huge.py"
    with open(huge, "wb") as handle:
        handle.truncate(bounded.MAX_SOURCE_BYTES + 1)
    assert _comments(str(huge), os.path.getmtime(huge)) == ()
