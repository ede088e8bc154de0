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


def test_notebook_expectations_are_at_cell_and_line(tmp_path):
    import json

    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# expect: SC999 is not read in markdown"]},
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": ["a = 1\n", "b = 2  # expect: SC101*2"],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "x = 1  # expect: SC203\n",
        },
    ]
    notebook = tmp_path / "m.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert expected_findings(notebook) == Counter({(2, 2, "SC101"): 2, (3, 1, "SC203"): 1})
