"""The expectation parser itself (the fixture test is only as good as it)."""

from collections import Counter

import pytest

from expectations import expected_findings


def test_counts_codes_and_repeats(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("a = 1\nx = Add()([a, b])  # expect: SC101*4, SC102*3\ny = 2  # expect: SC103\n")
    assert expected_findings(source) == Counter({(2, "SC101"): 4, (2, "SC102"): 3, (3, "SC103"): 1})


def test_rejects_a_malformed_expectation(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("x = 1  # expect: SC1O1\n")
    with pytest.raises(ValueError):
        expected_findings(source)
