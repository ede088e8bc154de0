"""Shared fixtures. Checking a builder module imports TensorFlow (~3 s) and builds the
model: one process, results cached per path for the whole session (`checked`), and the
command run in this process where the process boundary is not the point (`cli`; `run_cli`
starts a fresh one). Tests marked slow are those that import TensorFlow (tests/tf_guard.py
fails the others that do); pytest-xdist's groups keep what shares a build on one worker."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Python processes the tests start import this checkout, not an installed shapecheck (which
# may be another checkout's editable install): they inherit PYTHONPATH; a test that gives a
# child an environment of its own passes it on with checkout_env()
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])

# every test not marked slow imports no TensorFlow, here or in a child process (tests/tf_guard.py)
from tf_guard import *  # noqa: E402, F401, F403  (its pytest hooks, found by name in this module)

FIXTURES = ROOT / "fixtures"
DATA = Path(__file__).resolve().parent / "data"

# tests that share what is expensive to make, kept on one pytest-xdist worker (`--dist loadgroup`):
# a session fixture, or a module fixture, that they all use
GROUPS = {
    "tests/test_saved_models.py": "saved_fixtures",  # every fixture built and saved three ways
    "tests/test_isolation.py": "hostile_run",
}

os.environ.setdefault("COLUMNS", "160")
# the import cache of every run in the tests (subprocesses inherit it): never the user's own
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="shapecheck-tests-cache-")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """The tests of one fixture file (parametrized by `fixture`) in one xdist group: its
    `checked` builds (a session cache, one per worker) are then made once."""
    for item in items:
        fixture = getattr(getattr(item, "callspec", None), "params", {}).get("fixture")
        path = item.nodeid.split("::")[0]
        if path in GROUPS:
            group = GROUPS[path]
        elif fixture is not None:
            group = f"fixture:{Path(fixture).name}"
        else:
            continue
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def checked():
    """check(path, **options) -> RunReport, cached: every fixture is built once per session."""
    from shapecheck.options import Options
    from shapecheck.runner import check_paths

    cache = {}

    def run(*paths: str, **options):
        key = (paths, tuple(sorted((k, _hashable(v)) for k, v in options.items())))
        if key not in cache:
            cache[key] = check_paths(list(paths), Options(**options))
        return cache[key]

    return run


def _hashable(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return tuple(value) if isinstance(value, list) else value


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real console entry in a fresh process (what a user or CI sees). Its own Python
    imports TensorFlow for a builder module (and for a saved file whose fixes Keras checks):
    use `cli` where the process boundary is not what the test is about."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "shapecheck", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The console entry's `shapecheck.cli.main` in this process, in the repository's folder
    as run_cli, with typer's CliRunner streams for stdout and stderr (not terminals: as in a
    pipe): the exit code, stdout and stderr that run_cli would give. Only entry.py's early
    start of the zygote is skipped. Builder modules still run in supervised children, forked
    from this process's zygote, which imported TensorFlow once for the whole session and
    keeps the folder and environment of the run that started it: a test that runs a module
    in another folder, or that needs its environment in the module's process, uses run_cli."""
    from typer.testing import CliRunner

    from shapecheck import cli as command_line

    saved_environ, saved_argv, saved_folder = dict(os.environ), sys.argv, os.getcwd()
    code = 0
    try:
        os.chdir(ROOT)
        with CliRunner().isolation(env=env) as (stdout, stderr, _):
            sys.argv = ["shapecheck", *args]
            try:
                command_line.main()
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    finally:
        os.chdir(saved_folder)
        sys.argv = saved_argv
        os.environ.clear()  # --debug sets SHAPECHECK_DEBUG for the rest of its process: not of the tests'
        os.environ.update(saved_environ)
    return subprocess.CompletedProcess(["shapecheck", *args], code, out, err)


def checkout_env(env: dict) -> dict:
    """An environment made from scratch for a child process (a hook, a workflow step), with
    the PYTHONPATH that makes its Python import this checkout."""
    return {**env, "PYTHONPATH": os.environ["PYTHONPATH"]}


def imported_shapecheck(env: dict, cwd: Path, python: str | None = None) -> Path:
    """The folder of the shapecheck package that `python` (default: the first on env's PATH,
    the interpreter of the `shapecheck` console script a hook or a workflow step runs there)
    imports with `env` in `cwd`."""
    import shutil

    python = python or shutil.which("python3", path=env["PATH"]) or shutil.which("python", path=env["PATH"])
    result = subprocess.run(
        [python, "-c", "import shapecheck; print(shapecheck.__file__)"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip()).resolve().parent


def finding_lines(stdout: str) -> list[str]:
    """`--format concise`: one line per finding, each followed by its indented `fix:` lines."""
    lines = stdout.splitlines()
    assert all(line.startswith("    fix: ") for line in lines if line[:1].isspace()), lines
    return [line for line in lines if not line[:1].isspace()]


@pytest.fixture(autouse=True)
def _no_leaked_disposable_mode():
    """A test that leaves the supervised child's `weights.DISPOSABLE` on in this shared process
    makes every later in-process build keep variables without values (the tests of ordinary
    builds then fail far from the cause): fail the test that leaked it instead."""
    yield
    weights = sys.modules.get("shapecheck.capture.weights")
    assert weights is None or not weights.DISPOSABLE, "this test left shapecheck.capture.weights.DISPOSABLE on"
