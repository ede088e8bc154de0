"""SC001: a suppression comment that suppresses nothing (reported by the suppression stage,
with --warn-unused-ignores; registered here so that it has docs like every other code)."""

from __future__ import annotations

from typing import Iterator

from shapecheck.graph import Graph
from shapecheck.rules.base import Context, Finding, Rule, Severity, register


@register
class UnusedIgnore(Rule):
    """What it does: with `--warn-unused-ignores`, finds `# shapecheck: ignore[...]` comments
    that match no finding on their line.

    Why is this bad? A suppression outlives the problem it silenced; left in place it will
    also hide the next, different problem on that line.

    Example:
        x = Add()([y, shortcut])  # shapecheck: ignore[SC201]   (the shapes now agree)

    Use instead: delete the comment:
        x = Add()([y, shortcut])
    """

    code, name, severity = "SC001", "unused-ignore", Severity.WARNING

    def check_model(self, model: Graph, path: str, context: Context) -> Iterator[Finding]:
        return iter(())  # the findings come from shapecheck.suppress, which sees the comments
