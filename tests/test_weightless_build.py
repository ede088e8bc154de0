"""Builder modules run with variables that have no values (capture/weights.py): the findings
must be those of the ordinary build, for every fixture, and a module that reads weight
values must still work (it is run again the ordinary way)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

pytestmark = pytest.mark.slow  # every test builds Keras models

DATA = Path(__file__).parent / "data"
FIXTURE_FILES = sorted(FIXTURES.rglob("*.py")) + sorted(FIXTURES.rglob("*.ipynb"))


def summary(run) -> tuple:
    """What a user sees: every finding (code, place, layer, shapes, count, fixes) and every merge's verdict."""
    findings = sorted(
        repr(
            (
                f.path,
                f.cell or 0,
                f.line or 0,
                f.code,
                f.layer,
                f.shapes,
                f.count,
                f.message,
                [fix.description for fix in f.fixes],
            )
        )
        for f in run.findings
    )
    merges = sorted(
        repr((m.name, node.name, node.input_shapes, node.output_shapes)) for m in run.models for _, node in m.walk()
    )
    return findings, merges, sorted(run.errors)


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings_are_those_of_the_ordinary_build(fixture, checked):
    fast = checked(str(fixture))
    ordinary = checked(str(fixture), build_weights=True)
    assert fast.models and summary(fast) == summary(ordinary)


def test_a_module_that_reads_weights_is_run_again_the_ordinary_way(checked, monkeypatch):
    from shapecheck.options import Options
    from shapecheck.runner import check_paths

    path = str(DATA / "reads_weights.py")
    isolated = checked(path)
    assert not isolated.errors
    assert [(f.code, f.layer) for f in isolated.findings] == [("SC101", "mismatch")]
    assert summary(isolated) == summary(checked(path, build_weights=True))
    monkeypatch.setenv("SHAPECHECK_DEBUG", "1")
    in_process = check_paths([path], Options(isolate=False))
    (note,) = [n for f in in_process.files for n in f.notes if "weight values" in n]
    assert "stem/kernel: numpy at line 14" in note and "run again with weights initialised" in note
    assert summary(in_process) == summary(isolated)


@pytest.mark.parametrize("fixture", ["unet_fixed.py", "real/kerasio_text_classification_transformer.py"])
def test_models_built_in_this_process_are_ordinary_keras_models_afterwards(fixture):
    """With isolate=False the models outlive the check: their variables get values at the end,
    those Keras made inside its own stateless scopes (a custom layer's sublayers) too."""
    import numpy as np

    from shapecheck.load.builder import load_builder_module

    loaded = load_builder_module(str(FIXTURES / fixture))
    model = loaded.graphs[0].source
    assert model.weights and all(v._value is not None for v in model.weights)
    weights = model.get_weights()
    assert all(np.isfinite(w).all() for w in weights) and weights[0].std() > 0  # its initializer's values, not zeros
    shape = tuple(d or 8 for d in model.input_shape[1:])
    out = model.predict(np.zeros((1,) + shape, model.inputs[0].dtype), verbose=0)
    assert np.asarray(out).shape[0] == 1
