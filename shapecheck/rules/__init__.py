"""The rule catalogue. Importing this package registers every rule."""

from shapecheck.rules.base import REGISTRY, Context, Finding, NodeSite, Related, Rule, Severity, group_repeats
from shapecheck.rules import accidents, inputs, lambdas, meta, mismatch, opaque, sizes  # noqa: F401  (registering imports)

__all__ = ["REGISTRY", "Context", "Finding", "NodeSite", "Related", "Rule", "Severity", "all_rules", "group_repeats"]


def all_rules() -> list[Rule]:
    return [REGISTRY[code] for code in sorted(REGISTRY)]
