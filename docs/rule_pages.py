"""mkdocs hook: one page per rule, generated from the rule's own docstring.

`mkdocs build` (mkdocs.yml: `hooks: [docs/rule_pages.py]`) adds `rules/SCxxx.md` for every rule
in the registry, puts them in the navigation under Rules, and fills the rules index's table.
The same text is what `shapecheck rule CODE` prints (shapecheck/rules/docs.py), and each
page's two modules are the ones tests/test_rule_docs.py checks.

    python docs/rule_pages.py OUT_DIR    # write the generated pages to OUT_DIR, to read them
"""

from __future__ import annotations

import inspect
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import rule_examples  # noqa: E402  (docs/rule_examples.py)

from shapecheck.rules import all_rules  # noqa: E402
from shapecheck.rules.docs import rule_doc, sections  # noqa: E402

MARKER = "<!-- rules-table"
FAMILIES = {
    "SC0": "The check itself",
    "SC1": "Mismatches that fail",
    "SC2": "Accidents that build",
    "SC3": "What a model needs",
}


def _prose(text: str) -> str:
    """A docstring part as Markdown: its paragraphs and lists as written, the first letter capitalized."""
    text = textwrap.dedent(text).strip("\n")
    return text[:1].upper() + text[1:]


def summary(rule) -> str:
    """The first sentence of 'What it does' (of its first paragraph, where a list follows)."""
    first = " ".join(_prose(sections(rule)["What it does"]).split("\n\n")[0].split())
    sentence = first.split(". ")[0].rstrip(".:;")
    return sentence + "."


def rule_page(rule) -> str:
    doc = rule_doc(rule)
    parts = sections(rule)
    prose, code = rule_examples.split_instead(doc.instead)
    bad, good = rule_examples.modules(rule.code, doc.example, doc.instead)
    source = Path(inspect.getfile(type(rule))).relative_to(HERE.parent).as_posix()
    lines = [
        f"# {rule.code} {rule.name}",
        "",
        f"Severity: **{rule.severity.label}**. Derived from the docstring of `{type(rule).__name__}` in",
        f"`{source}`; `shapecheck rule {rule.code}` prints the same text.",
        "",
        "## What it does",
        "",
        _prose(parts["What it does"]),
        "",
        "## Why is this bad?",
        "",
        _prose(parts["Why is this bad?"]),
        "",
        "## Example",
        "",
        "```python",
        _dedent(doc.example),
        "```",
        "",
        "## Use instead",
        "",
        prose,
    ]
    if code:
        lines += ["", "```python", code, "```"]
    lines += [
        "",
        "## The example, checked",
        "",
        "`tests/test_rule_docs.py` puts the lines above into whole modules and checks them with shapecheck:",
        f"{rule.code} is reported on the first"
        + (" and not on the second." if good else "; this rule's advice is not code, so there is no second."),
        "",
        f"The example ({rule.code} is reported):",
        "",
        "```python",
        bad.rstrip("\n"),
        "```",
    ]
    if good:
        lines += ["", f"The fix ({rule.code} is not reported):", "", "```python", good.rstrip("\n"), "```"]
    lines += ["", "[All rules](index.md)", ""]
    return "\n".join(lines)


def rules_table() -> str:
    lines = []
    for prefix, title in FAMILIES.items():
        rules = [r for r in all_rules() if r.code.startswith(prefix)]
        if not rules:
            continue
        lines += [f"## {title} ({prefix}xx)", "", "| code | name | severity | what it does |", "|---|---|---|---|"]
        lines += [f"| [{r.code}]({r.code}.md) | {r.name} | {r.severity.label} | {summary(r)} |" for r in rules]
        lines.append("")
    return "\n".join(lines)


def pages() -> dict[str, str]:
    """Generated page path (under docs/) -> its Markdown."""
    return {f"rules/{rule.code}.md": rule_page(rule) for rule in all_rules()}


def _dedent(block: str) -> str:
    return textwrap.dedent(block).strip("\n")


# -- mkdocs events ----------------------------------------------------------------------------------
def on_config(config):
    """Rules in the navigation: the index, then every rule's page."""
    for entry in config["nav"] or []:
        if isinstance(entry, dict) and "Rules" in entry:
            entry["Rules"] = ["rules/index.md"] + [{f"{r.code} {r.name}": f"rules/{r.code}.md"} for r in all_rules()]
    return config


def on_files(files, config):
    from mkdocs.structure.files import File

    for path, text in pages().items():
        files.append(File.generated(config, path, content=text))
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri == "rules/index.md":
        start = markdown.index(MARKER)
        end = markdown.index("-->", start) + 3
        return markdown[:start] + rules_table() + markdown[end:]
    return markdown


if __name__ == "__main__":
    out = Path(sys.argv[1])
    for path, text in pages().items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text, encoding="utf-8")
        print(out / path)
