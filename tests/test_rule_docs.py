"""Every rule is documented in four parts, and `shapecheck rules` / `rule CODE` show it; its
Example and Use instead, put into whole modules (docs/rule_examples.py, shown on the rule's
page), are checked: the rule is reported on the first and not on the second."""

import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from shapecheck.rules import REGISTRY, all_rules
from shapecheck.rules.docs import rule_doc

sys.path.insert(0, str(ROOT / "docs"))
import rule_examples  # noqa: E402  (docs/rule_examples.py)

# codes are a public interface (docs/rules/, the JSON report and SARIF): a rename must be deliberate
CATALOGUE = {
    "SC101": "channel-mismatch",
    "SC102": "spatial-mismatch",
    "SC103": "rank-mismatch",
    "SC201": "silent-broadcast",
    "SC203": "lambda-late-binding",
    "SC204": "concat-spatial-axis",
    "SC205": "channels-first-input",
    "SC003": "opaque-layer",
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


def test_every_rule_has_an_example_template():
    assert set(rule_examples.TEMPLATES) == {r.code for r in all_rules()}
    for rule in all_rules():
        bad, good = rule_examples.modules(rule.code, *_doc(rule))
        compile(bad, f"{rule.code}_example.py", "exec")
        if good is not None:
            compile(good, f"{rule.code}_fixed.py", "exec")
        assert (good is None) == (rule_examples.split_instead(_doc(rule)[1])[1] == ""), rule.code


def _doc(rule):
    from shapecheck.rules.docs import rule_doc

    doc = rule_doc(rule)
    return doc.example, doc.instead


@pytest.mark.slow
def test_each_rules_example_is_reported_and_its_fix_is_not(tmp_path):
    """The lines of every rule page's Example and Use instead, in whole modules, checked in one run."""
    from shapecheck.options import Options
    from shapecheck.runner import check_paths

    paths = {}
    for rule in all_rules():
        bad, good = rule_examples.modules(rule.code, *_doc(rule))
        for kind, text in (("example", bad), ("fixed", good)):
            if text is not None:
                path = tmp_path / f"{rule.code.lower()}_{kind}.py"
                path.write_text(text)
                paths[str(path)] = (rule.code, kind)
    run = check_paths(list(paths), Options(warn_unused_ignores=True))
    codes = {path: set() for path in paths}
    for finding in run.findings:
        codes[str(Path(finding.path).resolve())].add(finding.code)
    assert not run.errors, run.errors
    wrong = [
        (code, kind, sorted(codes[path]))
        for path, (code, kind) in paths.items()
        if (code in codes[path]) != (kind == "example")
    ]
    assert not wrong, wrong
