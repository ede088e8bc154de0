"""The rule catalogue. Importing this package registers every rule."""

from shapecheck.rules import accidents, inputs, lambdas, mismatch, opaque, sizes, unused_ignore  # noqa: F401  (registering imports)
from shapecheck.rules.base import (
    REGISTRY,
    Context,
    Finding,
    Fix,
    NodeSite,
    Related,
    Rule,
    Severity,
    TextEdit,
    group_repeats,
)

__all__ = [
    "REGISTRY",
    "Context",
    "Finding",
    "Fix",
    "NodeSite",
    "Related",
    "Rule",
    "Severity",
    "TextEdit",
    "all_rules",
    "group_repeats",
]


def all_rules() -> list[Rule]:
    return [REGISTRY[code] for code in sorted(REGISTRY)]
