"""Rule facts live on the Rule class: outside rules/, no module names a rule's code but a
suggester's registration (`@suggester("SC101")`, as in ruff) and the config's example text.
Adding a rule touches its module and its suggesters."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from shapecheck.rules import all_rules

PACKAGE = Path(__file__).resolve().parent.parent / "shapecheck"
CODE = re.compile(r"^SC\d{3}$")


def _code_literals(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), str(path))
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "suggester":
            allowed.update(id(a) for a in node.args)
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and CODE.match(node.value)
        and id(node) not in allowed
    ]


def test_no_rule_code_is_written_outside_the_rules():
    found = {
        str(p.relative_to(PACKAGE)): lines
        for p in PACKAGE.rglob("*.py")
        if "rules" not in p.relative_to(PACKAGE).parts and (lines := _code_literals(p))
    }
    assert found == {}


def test_the_facts_agree_with_each_other():
    for rule in all_rules():
        assert rule.fix_check in ("declared", "across the sweep", "broadcast gone"), rule.code
        assert rule.marks in ("conflict", "channel", "spatial", "concat", "sizes"), rule.code
        if rule.fails_at_sizes:  # a merge that fails at some sizes: a claim about sizes, checked across the sweep
            assert rule.about_sizes and rule.fix_check == "across the sweep" and rule.verdict and rule.short, rule.code
        if rule.verdict is not None:
            assert rule.fails_at_sizes, rule.code


def test_the_check_sees_a_code_written_elsewhere(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('@suggester("SC101")\ndef f(site):\n    return site.finding.code == "SC102"\n')
    assert _code_literals(module) == [3]
