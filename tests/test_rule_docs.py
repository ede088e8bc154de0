"""Every rule is documented in four parts, and `shapecheck rules` / `rule CODE` show it."""

import pytest

from conftest import run_cli
from shapecheck.rules import REGISTRY, all_rules
from shapecheck.rules.docs import rule_doc

# codes are a public interface (DESIGN.md): a rename must be deliberate
CATALOGUE = {
    "SC101": "channel-mismatch", "SC102": "spatial-mismatch", "SC103": "rank-mismatch",
    "SC201": "silent-broadcast", "SC203": "lambda-late-binding", "SC204": "concat-spatial-axis",
    "SC205": "channels-first-input", "SC003": "opaque-layer",
}


def test_codes_and_names_are_stable():
    assert {code: REGISTRY[code].name for code in CATALOGUE} == CATALOGUE


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_doc_has_all_four_parts(rule):
    doc = rule_doc(rule)
    assert doc.what and doc.why and doc.example and doc.instead
    assert "\n" in doc.example or "(" in doc.example  # code, not prose


def test_rules_lists_the_catalogue():
    result = run_cli("rules")
    assert result.returncode == 0
    listed = [line.split()[:2] for line in result.stdout.splitlines()]
    assert listed == [[r.code, r.name] for r in all_rules()]


def test_rule_prints_the_four_parts_with_code_indented():
    result = run_cli("rule", "sc203")
    assert result.returncode == 0
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead"):
        assert f"\n{heading}\n" in result.stdout
    assert "        x = Lambda(lambda x, c=c:" in result.stdout  # the loop body keeps its indentation


def test_unknown_rule_is_exit_2():
    result = run_cli("rule", "SC999")
    assert result.returncode == 2 and result.stderr.startswith("shapecheck: error: no rule 'SC999'")
