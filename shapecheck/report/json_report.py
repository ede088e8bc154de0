"""The JSON document (a public interface: keep its keys stable). Its contract is the JSON Schema
shapecheck/report/schema/report.schema.json and docs/json.md; SCHEMA_VERSION is that schema's
version (semver: a new optional key is a minor version, a removed or retyped key a major one)."""

from __future__ import annotations

import json
from typing import Optional

from shapecheck import __version__
from shapecheck.graph import Graph
from shapecheck.report.suggestions import fix_dict
from shapecheck.results import FileReport, RunReport
from shapecheck.rules import Finding, Severity

SCHEMA_VERSION = "2.0.0"


def finding_dict(f: Finding) -> dict:
    return {
        "code": f.code,
        "name": f.name,
        "severity": f.severity.label,
        "message": f.message,
        "path": f.path,
        "cell": f.cell,
        "line": f.line,
        "column": f.column,
        "model": f.model,
        "layer": f.layer,
        "call_chain": [frame.short() for frame in f.call_chain],
        "call_args": [dict(frame.args) for frame in f.call_chain],
        "shapes": [list(s) for s in f.shapes],
        "count": f.count,
        "related": [
            {
                "kind": r.kind,
                "layer": r.layer,
                "path": r.path,
                "cell": r.cell,
                "line": r.line,
                "shapes": [list(s) for s in r.shapes],
                "call_chain": [frame.short() for frame in r.call_chain],
            }
            for r in f.related
        ],
        "fixes": [fix_dict(fix) for fix in f.fixes],
    }


def model_dict(graph: Graph, file: FileReport) -> dict:
    merges = []
    for _owner, node, verdict, why in file.merge_rows(graph):
        merges.append(
            {
                "layer": node.name,
                "op": node.op,
                "cell": node.location.cell if node.location else None,
                "line": node.line,
                "shapes": [list(s) for s in node.input_shapes],
                "verdict": verdict,
                "why": why,
                "recovered": node.recovered,
            }
        )
    return {
        "name": graph.name,
        "entry": graph.entry,
        "layers": graph.layer_count(),
        "inputs": [list(s) for s in graph.input_shapes],
        "partial": graph.partial,
        "merges": merges,
        "witnesses": witnesses_dict(file.witnessed.get(graph.name)),
    }


def witnesses_dict(keras) -> Optional[dict]:
    """What Keras said at the witness sizes (witnesses.py); None where no size was claimed."""
    if keras is None:
        return None
    return {
        "summary": keras.summary(),
        "sizes": [
            {"size": text, "keras_builds": built, "witnesses_failure_of": claim, "keras_refuses": list(refused)}
            for text, built, claim, refused in keras.rows
        ],
        "agreed": keras.agreed,
        "disputes": [{"about": about, "note": note} for about, note in keras.disputes.items()],
        "sampled_past_unfollowed_layers": keras.sampled,
        "unavailable": keras.unavailable,
    }


def file_dict(file: FileReport) -> dict:
    return {
        "path": file.path,
        "status": file.status,
        "error": file.error,
        "reason": file.skip or file.reason,
        "undecided": file.undecided,
        "notes": file.notes,
        "not_called": file.not_called,
        "not_swept": file.not_swept,
        "disputed": file.disputed,
        "models": [model_dict(g, file) for g in file.models],
    }


def summary_dict(run: RunReport) -> dict:
    return {
        "files": len(run.files),
        "models": len(run.models),
        "merges": run.merge_count,
        "errors": run.count(Severity.ERROR),
        "warnings": run.count(Severity.WARNING),
        "infos": run.count(Severity.INFO),
        "file_errors": len(run.errors),
        "not_swept": run.not_swept,
        "disputed": run.disputed,
        "unconfirmed": run.unconfirmed,
        "undecided": len(run.undecided),
        "no_model": len(run.no_model),
    }


def render(run: RunReport) -> str:
    document = {
        "shapecheck": __version__,
        "schema_version": SCHEMA_VERSION,
        "files": [file_dict(f) for f in run.files],
        "findings": [finding_dict(f) for f in run.findings],
        "summary": summary_dict(run),
    }
    return json.dumps(document, indent=2)
