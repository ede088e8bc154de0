"""tests/tf_guard.py itself: a test that is not marked slow fails when it imports TensorFlow,
in the test process or in a Python process it started; a slow one does not. No TensorFlow is
imported here: the inner tests only look the package up (what the guard watches), or put a
stand-in into sys.modules of the inner pytest process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

INNER = """
import importlib.util, subprocess, sys, types

import pytest

LOOK_UP = [sys.executable, "-c", "import importlib.util; importlib.util.find_spec('tensorflow')"]


def test_a_child_looks_up_tensorflow():
    subprocess.run(LOOK_UP, check=True)


@pytest.mark.slow
def test_a_slow_child_looks_up_tensorflow():
    subprocess.run(LOOK_UP, check=True)


def test_a_child_that_does_not():
    subprocess.run([sys.executable, "-c", "import json"], check=True)


def test_imported_here():
    sys.modules["tensorflow"] = types.ModuleType("tensorflow")  # this inner process only
"""

COLLECTED = """
import sys, types

sys.modules["tensorflow"] = types.ModuleType("tensorflow")  # when the module is collected: this inner process only


def test_nothing():
    pass
"""

CONFTEST = f"""
import sys
sys.path.insert(0, {str(ROOT / "tests")!r})
from tf_guard import *  # noqa: F401, F403


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: slow")
"""


def inner_pytest(tmp_path, tests: str, *options: str) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(tests))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *options, "test_inner.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("options", [("-p", "no:xdist"), ("-n", "2")], ids=["one process", "xdist"])
def test_the_guard_fails_only_the_tests_not_marked_slow_that_import_tensorflow(tmp_path, options):
    result = inner_pytest(tmp_path, INNER, *options)
    outcomes = {
        line.split(" ", 1)[0] + " " + line.split(" ", 2)[1].split("::")[-1]
        for line in result.stdout.splitlines()
        if line.startswith(("PASSED ", "ERROR "))
    }
    assert outcomes == {
        "PASSED test_a_child_looks_up_tensorflow",
        "ERROR test_a_child_looks_up_tensorflow",
        "PASSED test_a_slow_child_looks_up_tensorflow",
        "PASSED test_a_child_that_does_not",
        "PASSED test_imported_here",
        "ERROR test_imported_here",
    }, result.stdout[-3000:] + result.stderr[-3000:]
    assert "started a Python process that imported tensorflow but is not marked slow" in result.stdout
    assert "imported tensorflow in the test process" in result.stdout
    assert "Error in sitecustomize" not in result.stdout + result.stderr  # two guards on the path, nested
    assert result.returncode == 1


@pytest.mark.parametrize("options", [("-p", "no:xdist"), ("-n", "2")], ids=["one process", "xdist"])
def test_a_test_module_that_imports_tensorflow_when_collected_fails_the_run(tmp_path, options):
    result = inner_pytest(tmp_path, COLLECTED, *options)
    assert "ERROR collecting the tests imported tensorflow" in result.stdout, result.stdout[-3000:]
    assert "1 passed" in result.stdout and result.returncode == 1


def test_a_sitecustomize_further_on_the_path_still_runs(tmp_path):
    import os

    import tf_guard

    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w').close()\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tf_guard.LOG.parent), str(other)])}
    result = subprocess.run(
        [sys.executable, "-c", "import sys; print(type(sys.meta_path[0]).__name__, sys.meta_path[0].__name__)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.split() == ["type", "_TensorFlowWatch"], result
    assert (tmp_path / "ran").exists()
