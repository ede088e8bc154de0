"""The house's gates: CI runs them, and the repository's own pre-commit hooks run the same
tools at the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pins() -> dict[str, str]:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    return {m[1]: m[2] for m in (re.match(r"^([\w-]+)==([\w.]+)$", r) for r in extra) if m}


def test_ci_runs_every_gate_before_the_tests():
    script = (ROOT / ".ci" / "run").read_text()
    steps = ["ruff check .", "ruff format --check .", "python tools/mypy_gate.py", "python -m pytest"]
    positions = [script.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), dict(zip(steps, positions))


def test_the_repositorys_hooks_use_the_pinned_ruff():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    (ruff,) = [r for r in config["repos"] if r["repo"].endswith("ruff-pre-commit")]
    assert ruff["rev"] == "v" + _pins()["ruff"]
    local = {hook["entry"] for r in config["repos"] if r["repo"] == "local" for hook in r["hooks"]}
    assert "python tools/mypy_gate.py" in local and any("tests/test_layers.py" in e for e in local)


def test_the_mypy_baseline_is_read_without_line_numbers(tmp_path, monkeypatch):
    """An edit above an old error does not make it new: entries carry no line number."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("mypy_gate", ROOT / "tools" / "mypy_gate.py")
    gate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gate)
    match = gate.ERROR.match('shapecheck/x.py:12: error: Item "None" has no attribute "kind"  [union-attr]')
    assert (match["file"], match["code"]) == ("shapecheck/x.py", "union-attr")
    for line in gate.BASELINE.read_text().splitlines():
        assert line.startswith("#") or not re.match(r"^[^:]+:\d+", line), line
