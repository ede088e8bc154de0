"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps): one rule entry per code
with the rule docs as help, one result per finding with its physical location."""

from __future__ import annotations

import json
import os
from pathlib import Path

from shapecheck import __version__
from shapecheck.report.positions import file_region
from shapecheck.report.suggestions import fix_words
from shapecheck.results import FileReport, RunReport
from shapecheck.rules import Finding, Severity, all_rules
from shapecheck.rules.docs import render_rule, rule_doc

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/shapecheck/shapecheck"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(rule) -> dict:
    doc = rule_doc(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.what},
        "help": {"text": render_rule(rule)},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"tags": ["keras", "shapes"]},
    }


def _uri(path: str) -> str:
    """Relative to the working directory (the repository root in CI), '/'-separated."""
    relative = os.path.relpath(os.path.abspath(path))
    return Path(relative).as_posix() if not relative.startswith("..") else Path(os.path.abspath(path)).as_uri()


def _artifact(path: str) -> dict:
    location: dict = {"uri": _uri(path), "uriBaseId": "%SRCROOT%"}
    if location["uri"].startswith("file:"):
        del location["uriBaseId"]
    return location


def _notification(file: FileReport) -> dict:
    """What could not be checked (error) or decided (warning), at the file (and line)."""
    physical: dict = {"artifactLocation": _artifact(file.path)}
    if file.position:
        physical["region"] = {"startLine": file.position[0], "startColumn": file.position[1]}
    text = file.error or f"{file.path}: skipped: {file.skip}"
    return {
        "level": "error" if file.error else "warning",
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
    }


def _result(f: Finding, index: dict[str, int]) -> dict:
    """In a notebook the region is the line of the .ipynb file's JSON text that holds the
    cell's source line (positions.py); the cell and its line are in `properties` and the message."""
    location: dict = {"artifactLocation": _artifact(f.path)}
    if f.line:
        line, column = file_region(f.path, f.line, f.column, f.cell)
        location["region"] = {"startLine": line, "startColumn": column}
    message = f"cell {f.cell}:{f.line}: {f.message}" if f.cell is not None else f.message
    result: dict = {
        "ruleId": f.code,
        "level": LEVEL[f.severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": location,
                "logicalLocations": [{"fullyQualifiedName": f"{f.model}/{f.layer}", "kind": "member"}],
            }
        ],
        "partialFingerprints": {"shapecheck/v1": f"{f.code}:{f.model}/{f.layer}"},
    }
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    related = [_related_location(r, i) for i, r in enumerate(f.related, start=1)]
    if related:
        result["relatedLocations"] = related
    if f.cell is not None:
        result["properties"] = {"cell": f.cell, "cellLine": f.line, "cellColumn": f.column or 1}
    fixes = [_fix(fix) for fix in f.fixes if fix.edits and all(e.cell is None for e in fix.edits)]
    if fixes:
        result["fixes"] = fixes
    return result


def _fix(fix) -> dict:
    """SARIF 2.1.0 §3.55: the edits as replacements, grouped per file."""
    changes: dict[str, list] = {}
    for e in fix.edits:
        region = {"startLine": e.line, "startColumn": e.column, "endLine": e.end_line, "endColumn": e.end_column}
        changes.setdefault(e.path, []).append({"deletedRegion": region, "insertedContent": {"text": e.replacement}})
    return {
        "description": {"text": fix_words(fix)},
        "artifactChanges": [
            {"artifactLocation": _artifact(path), "replacements": replacements}
            for path, replacements in changes.items()
        ],
    }


def _related_location(r, number: int) -> dict:
    """A repeat of the finding's line (another call) or a consequence elsewhere."""
    physical: dict = {"artifactLocation": {"uri": _uri(r.path), "uriBaseId": "%SRCROOT%"}}
    if physical["artifactLocation"]["uri"].startswith("file:"):
        del physical["artifactLocation"]["uriBaseId"]
    if r.line:
        physical["region"] = {"startLine": file_region(r.path, r.line, 1, r.cell)[0]}
    what = "follows from this finding" if r.kind == "consequence" else "the same finding, another call"
    cell = f" (cell {r.cell}:{r.line})" if r.cell is not None else ""
    return {"id": number, "physicalLocation": physical, "message": {"text": f"{r.layer}{cell}: {what}"}}


def document(run: RunReport) -> dict:
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    notifications = [_notification(file) for file in run.files if file.error or file.undecided]
    notifications += [
        {
            "level": "warning",
            "message": {"text": f"{file.path}: {note}"},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(file.path)}}],
        }
        for file in run.files
        for note in file.loud_notes
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "shapecheck",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
                "invocations": [{"executionSuccessful": not run.errors, "toolExecutionNotifications": notifications}],
                "results": [_result(f, index) for f in run.findings],
            }
        ],
    }


def render(run: RunReport) -> str:
    return json.dumps(document(run), indent=2)
