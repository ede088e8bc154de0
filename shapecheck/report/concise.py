"""One line per finding, `path:line:col: CODE message`, for logs and editors (ruff's concise),
and one per file that could not be checked or decided."""

from __future__ import annotations

from shapecheck.report.suggestions import fix_line
from shapecheck.results import RunReport
from shapecheck.rules import Finding


def finding_line(f: Finding) -> str:
    where = f.where
    layer = "" if f.line else f" [{f.model}/{f.layer}]"  # a saved file: the layer path is the location
    return f"{where}: {f.code} {f.message}{layer}"


def render(run: RunReport) -> str:
    """Per file: what could not be checked (`path:line:col: SyntaxError: ...`), what could not
    be decided, then the findings."""
    lines = []
    for file in run.files:
        if file.error:
            lines.append(file.error)
        if file.undecided:
            lines.append(f"{file.path}: skipped: {file.skip}")
        for f in file.findings:
            lines.append(finding_line(f))
            lines.extend(f"    {fix_line(fix)}" for fix in f.fixes)
        lines.extend(f"{file.path}: warning: {note}" for note in file.loud_notes)  # never a quiet partial
    return "\n".join(lines)
