"""Rule documentation, read from each rule's docstring (ruff's four parts)."""

from __future__ import annotations

import inspect
import re
import textwrap
from dataclasses import dataclass

from shapecheck.rules.base import Rule

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")
_HEADING = re.compile(r"^(What it does|Why is this bad\?|Example|Use instead):?[ \t]*", re.MULTILINE)


@dataclass(frozen=True)
class RuleDoc:
    what: str
    why: str
    example: str
    instead: str

    @property
    def summary(self) -> str:
        """The first sentence of 'What it does'."""
        return self.what.split(". ")[0].rstrip(".").replace("\n", " ") + "."


def sections(rule: Rule) -> dict[str, str]:
    """The docstring's four parts as written (line breaks, lists and indentation kept)."""
    text = inspect.cleandoc(type(rule).__doc__ or "")
    parts = dict.fromkeys(SECTIONS, "")
    matches = list(_HEADING.finditer(text))
    for match, following in zip(matches, matches[1:] + [None]):
        end = following.start() if following else len(text)
        parts[match.group(1)] = text[match.end() : end].strip("\n")
    return parts


def rule_doc(rule: Rule) -> RuleDoc:
    parts = sections(rule)
    return RuleDoc(
        what=_capitalized(_flow(parts["What it does"])),
        why=_capitalized(_flow(parts["Why is this bad?"])),
        example=parts["Example"],
        instead=_capitalized(parts["Use instead"]),
    )


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _flow(text: str) -> str:
    """Join a wrapped paragraph into one line per paragraph."""
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n"))


def render_rule(rule: Rule) -> str:
    doc = rule_doc(rule)
    instead_text, _, instead_code = doc.instead.partition("\n")
    return "\n".join(
        [
            f"{rule.code} {rule.name} ({rule.severity.label})",
            "",
            "What it does",
            f"  {doc.what}",
            "",
            "Why is this bad?",
            f"  {doc.why}",
            "",
            "Example",
            _indent(doc.example),
            "",
            "Use instead",
            f"  {instead_text.strip()}" if instead_code else "",
            _indent(instead_code) if instead_code else _indent(doc.instead),
        ]
    )


def _indent(block: str) -> str:
    return textwrap.indent(textwrap.dedent(block).strip("\n"), "    ")
