"""The rule catalogue. Importing this package registers every rule."""

from shapecheck.rules.base import REGISTRY, Finding, MergeSite, Rule, Severity
from shapecheck.rules import mismatch  # noqa: F401  (registers SC101-SC103)

__all__ = ["REGISTRY", "Finding", "MergeSite", "Rule", "Severity", "all_rules"]


def all_rules() -> list[Rule]:
    return [REGISTRY[code] for code in sorted(REGISTRY)]
