"""GitHub Actions workflow commands: one annotation per finding on the pull request's diff.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

from shapecheck.report.positions import file_region
from shapecheck.report.suggestions import fix_line
from shapecheck.results import FileReport, RunReport
from shapecheck.rules import Finding, Severity

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    """In a notebook: at the line of the .ipynb file's text that holds the cell's source line
    (see positions.py), with 'cell N:L' in the title."""
    props = [f"file={_property(f.path)}"]
    if f.line:
        line, column = file_region(f.path, f.line, f.column, f.cell)
        props += [f"line={line}", f"col={column}"]
    cell = f" (cell {f.cell}:{f.line})" if f.cell is not None else ""
    props.append(f"title={_property(f'{f.code} {f.name}{cell}')}")
    message = "\n".join([f.message] + [fix_line(fix) for fix in f.fixes])
    return f"::{LEVEL[f.severity]} {','.join(props)}::{_data(message)}"


def _file_properties(file: FileReport) -> str:
    props = [f"file={_property(file.path)}"]
    if file.position:
        props += [f"line={file.position[0]}", f"col={file.position[1]}"]
    return ",".join(props)


def render(run: RunReport) -> str:
    lines = [annotation(f) for f in run.findings]
    for file in run.files:
        if file.error:
            lines.append(f"::error {_file_properties(file)},title=shapecheck::{_data(file.error)}")
        elif file.undecided:
            assert file.skip is not None  # an undecided file is skipped, with the reason
            lines.append(f"::warning {_file_properties(file)},title=shapecheck%3A not checked::{_data(file.skip)}")
        for note in file.loud_notes:  # Keras disagreed with the algebra, or could not be asked
            lines.append(f"::warning {_file_properties(file)},title=shapecheck%3A sizes::{_data(note)}")
    return "\n".join(lines)
