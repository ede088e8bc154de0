"""One line per finding, `path:line:col: CODE message`, for logs and editors (ruff's concise)."""

from __future__ import annotations

from shapecheck.runner import RunReport
from shapecheck.rules import Finding


def finding_line(f: Finding) -> str:
    where = f"{f.path}:{f.line}:{f.column or 1}" if f.line else f.path
    layer = "" if f.line else f" [{f.model}/{f.layer}]"  # a saved file: the layer path is the location
    return f"{where}: {f.code} {f.message}{layer}"


def render(run: RunReport) -> str:
    return "\n".join(finding_line(f) for f in run.findings)
