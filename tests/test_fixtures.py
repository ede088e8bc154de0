"""Every fixture reports exactly what its `# expect:` lines say: nothing missing, nothing extra.
A notebook's expectations are at (cell, line)."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import FIXTURES
from expectations import expected_findings

FIXTURE_FILES = sorted(FIXTURES.rglob("*.py")) + sorted(FIXTURES.rglob("*.ipynb"))  # real/: public models; notebooks/


@pytest.mark.slow
@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_reports_exactly_its_expectations(fixture, checked):
    run = checked(str(fixture))
    expected = expected_findings(fixture)
    assert not run.errors, run.errors
    assert run.models, "the fixture must build at least one model"
    reported = Counter()
    for f in run.findings:  # a finding grouped over repeated calls of its line counts each call
        where = (f.cell, f.line) if fixture.suffix == ".ipynb" else (f.line,)
        reported[where + (f.code,)] += f.count
    missing = expected - reported
    extra = reported - expected
    assert not missing and not extra, f"missing {dict(missing)}, extra {dict(extra)}"
