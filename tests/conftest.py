"""Shared fixtures. Checking a builder module imports TensorFlow (~3 s) and builds the
model: one process, results cached per path for the whole session."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DATA = Path(__file__).resolve().parent / "data"

os.environ.setdefault("COLUMNS", "160")
# the import cache of every run in the tests (subprocesses inherit it): never the user's own
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="shapecheck-tests-cache-")


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
    """The real console entry in a fresh process (what a user or CI sees)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "shapecheck", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


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
