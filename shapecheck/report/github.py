"""GitHub Actions workflow commands: one annotation per finding on the pull request's diff.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

from shapecheck.runner import RunReport
from shapecheck.rules import Finding, Severity

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    props = [f"file={_property(f.path)}"]
    if f.line:
        props += [f"line={f.line}", f"col={f.column or 1}"]
    props.append(f"title={_property(f'{f.code} {f.name}')}")
    return f"::{LEVEL[f.severity]} {','.join(props)}::{_data(f.message)}"


def render(run: RunReport) -> str:
    lines = [annotation(f) for f in run.findings]
    lines += [f"::error title=shapecheck::{_data(error)}" for error in run.errors]
    return "\n".join(lines)
