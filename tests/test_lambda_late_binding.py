"""SC203 is about behaviour: show with a forward pass that the flagged Lambdas really all
read the last group, and that the fixed ones do not."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA

pytestmark = pytest.mark.slow
SMALL = DATA / "late_binding_small.py"


def forward(bind_now: bool) -> np.ndarray:
    import importlib.util

    spec = importlib.util.spec_from_file_location("late_binding_small", SMALL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model(bind_now=bind_now)
    x = np.broadcast_to(np.arange(4, dtype="float32"), (1, 2, 2, 4)).copy()  # channel c holds c
    return np.asarray(model(x))[0, 0, 0]


def test_late_bound_lambdas_all_read_the_last_group():
    assert forward(bind_now=False).tolist() == [3.0, 3.0, 3.0, 3.0]
    assert forward(bind_now=True).tolist() == [0.0, 1.0, 2.0, 3.0]


def test_sc203_says_how_many_layers_and_the_value_they_see(checked):
    (finding,) = [f for f in checked(str(SMALL)).findings if f.code == "SC203"]
    assert finding.line == 13
    assert finding.message.startswith("3 of 4 Lambda layers created here close over c")
    assert "they all see c=3" in finding.message


def test_lambda_that_binds_its_value_is_not_flagged(checked):
    run = checked(str(DATA / "late_binding_fixed.py"))
    assert run.models and run.findings == []
