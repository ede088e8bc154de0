"""CI budget of the differential fuzzer: a fixed range of seeds, every generated model
checked by shapecheck and built by Keras at sampled sizes; every disagreement is listed
with its shrunk spec and fixture source; the coverage is printed (run with -s to see it)
and written to tests/output/fuzz-coverage.txt."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SEEDS = range(0, int(os.environ.get("SHAPECHECK_FUZZ_GRAPHS", "340")))
JOBS = min(2, os.cpu_count() or 1)
OUTPUT = Path(__file__).resolve().parent.parent / "output"


def test_fuzz_budget_has_no_disagreements():
    pytest.importorskip("keras")  # here, not when the file is collected: every run would import TensorFlow
    from .hunt import outcomes, shrink_outcome
    from .run import Coverage
    from .shrink import fixture_source

    start = time.monotonic()
    coverage = Coverage()
    failing = []
    for outcome in outcomes(SEEDS, hunt=False, jobs=JOBS):
        coverage.add(outcome)
        if outcome.disagreements:
            failing.append(outcome)
    coverage.seconds = time.monotonic() - start
    text = coverage.text()
    print("\n" + text)
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "fuzz-coverage.txt").write_text(text + "\n", encoding="utf-8")
    compared = coverage.graphs - coverage.invalid - sum(coverage.excluded.values())
    assert compared >= 300, f"only {compared} graphs compared:\n{text}"
    report = []
    for outcome in sorted(failing, key=lambda o: o.spec.seed)[:5]:
        small, small_outcome = shrink_outcome(outcome, hunt=False)
        if not small_outcome.disagreements:
            small, small_outcome = outcome.spec, outcome
        report.append(f"seed {outcome.spec.seed}: " + "; ".join(str(d) for d in outcome.disagreements[:3]))
        report.append(
            f"shrunk: {small!r}\n" + fixture_source(small, small_outcome.expectations(), f"seed {outcome.spec.seed}")
        )
    assert not failing, f"{len(failing)} graphs disagree with Keras:\n" + "\n".join(report)
