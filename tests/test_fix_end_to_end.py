"""The issue's done-when for --fix and --suggest-rebuild, on the seeds' ResNeXt-50 (builds
real models: slow)."""

from __future__ import annotations

import ast
import shutil

import numpy as np
import pytest
from conftest import FIXTURES, cli

from shapecheck import apply_fixes
from shapecheck.options import Options
from shapecheck.runner import check_paths

pytestmark = pytest.mark.slow


def definitions(path) -> dict:
    """The functions of a builder module, without running its module-level build."""
    tree = ast.parse(path.read_text())
    tree.body = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
    namespace: dict = {}
    exec(compile(tree, str(path), "exec"), namespace)
    return namespace


def group_slices(path) -> list[float]:
    """What each grouped-conv Lambda reads from a tensor whose channel c holds c."""
    import keras

    inputs = keras.Input((2, 2, 4))
    out = definitions(path)["grouped_convolution_block"](inputs, 1, 4, 1)
    lambdas = [layer for layer in keras.Model(inputs, out).layers if isinstance(layer, keras.layers.Lambda)]
    x = np.broadcast_to(np.arange(4, dtype="float32"), (1, 2, 2, 4)).copy()
    return [float(np.asarray(layer(x))[0, 0, 0, 0]) for layer in lambdas]


def test_fix_rewrites_the_seed_resnext_lambda_and_each_group_reads_its_own_slice(tmp_path):
    seed = tmp_path / "resnext50_seed.py"
    shutil.copy(FIXTURES / "resnext50_seed.py", seed)
    assert group_slices(seed) == [3.0, 3.0, 3.0, 3.0]  # as written: every group reads the last
    before = seed.read_text().splitlines()

    result = cli("--fix", "-q", str(seed))
    after = seed.read_text().splitlines()
    assert result.returncode == 0, result.stderr  # SC203 was the only finding, and it is fixed
    assert "Fixed 1 finding in 1 file" in result.stderr
    assert [i + 1 for i, (a, b) in enumerate(zip(before, after)) if a != b] == [32]
    assert after[31] == before[31].replace("lambda x:", "lambda x, c=c:")  # the comment stays
    assert group_slices(seed) == [0.0, 1.0, 2.0, 3.0]

    again = cli("--fix", "-q", str(seed))
    assert again.returncode == 0 and "Nothing to fix" in again.stderr
    assert seed.read_text().splitlines() == after


def test_diff_then_fix_on_small_modules(tmp_path):
    for name in ("lambda_late_binding.py", "accidents_broadcast_concat.py"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    originals = {p.name: p.read_text() for p in tmp_path.iterdir()}
    files = [str(tmp_path / "lambda_late_binding.py"), str(tmp_path / "accidents_broadcast_concat.py")]
    diff = cli("--diff", *files)
    assert diff.returncode == 1 and "Would fix 2 findings in 2 files" in diff.stderr
    assert (
        '+    stacked = layers.Concatenate(axis=-1, name="stacked_on_height")([up, attended])  # expect: SC204'
        in diff.stdout
    )
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == originals

    fixed = cli("--fix", "--format", "json", *files)
    import json

    remaining = [f["code"] for f in json.loads(fixed.stdout)["findings"]]
    assert "SC203" not in remaining and "SC204" not in remaining and fixed.returncode == 1  # SC201 is left
    recheck = check_paths([str(tmp_path / n) for n in originals], Options())
    assert not {"SC203", "SC204"} & {f.code for f in recheck.findings}


def test_suggest_rebuild_finds_conv_shortcut_true_for_seed_000_and_it_removes_the_mismatches(tmp_path):
    path = FIXTURES / "resnext50_all_identity.py"
    run = check_paths([str(path)], Options(suggest_rebuild=True))
    mismatches = [f for f in run.findings if f.code in ("SC101", "SC102")]
    assert [(f.code, f.line, f.count) for f in mismatches] == [("SC101", 51, 4), ("SC102", 51, 3)]
    for finding in mismatches:
        fix = finding.fixes[0]
        assert fix.kind == "rebuild" and not fix.safe
        assert fix.description == "conv_shortcut=True in stack()'s call of block (line 57): verified by rebuilding"
        assert [(e.line, e.replacement) for e in fix.edits] == [(57, "True")]

    copy = tmp_path / path.name
    copy.write_text(apply_fixes.apply_edits(path.read_text(), mismatches[0].fixes[0].edits))
    assert "block(x, filters, strides=strides, groups=groups, conv_shortcut=True)" in copy.read_text()
    assert [f.code for f in check_paths([str(copy)], Options()).findings] == ["SC203"]


def test_suggest_rebuild_keeps_only_the_flag_that_removes_the_mismatch():
    from conftest import DATA

    from shapecheck import check

    report = check(DATA / "rebuild_candidates.py", suggest_rebuild=True)
    rebuilds = {
        f.line: [fix.description for fix in f.fixes if fix.kind == "rebuild"]
        for f in report.findings
        if f.code == "SC101"
    }
    assert rebuilds == {
        11: ["project=True in build_model()'s call of block (line 21): verified by rebuilding"],
        16: [],  # use_bias=False was built and did not help: not suggested
    }
    first = next(f for f in report.findings if f.code == "SC101" and f.line == 11)
    assert first.fixes[0].kind == "rebuild"  # shown first, before the algebra's suggestions
    plain = check(DATA / "rebuild_candidates.py")
    assert all(fix.kind != "rebuild" for f in plain.findings for fix in f.fixes)  # opt-in only
