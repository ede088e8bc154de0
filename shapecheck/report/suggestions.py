"""A suggested fix in words, the same in every report: 'fix: <edit> (verified at 224×224)'."""

from __future__ import annotations

from shapecheck.rules.base import Fix


def fix_words(fix: Fix) -> str:
    built = f"; Keras builds it at {', '.join(fix.keras_built)}" if fix.keras_built else ""
    verified = f" (verified at {', '.join(str(v) for v in fix.verified_at)}{built})" if fix.verified_at else ""
    return f"{fix.description}{verified}"


def fix_line(fix: Fix) -> str:
    return f"fix: {fix_words(fix)}"


def fix_dict(fix: Fix) -> dict:
    """JSON: what to change, where, at which sizes it was checked, and the exact edits if any."""
    return {
        "description": fix.description,
        "kind": fix.kind,
        "path": fix.path,
        "line": fix.line,
        "cell": fix.cell,
        "verified_at": [str(v) for v in fix.verified_at],
        "keras_built": list(fix.keras_built),
        "edits": [
            {
                "path": e.path,
                "cell": e.cell,
                "line": e.line,
                "column": e.column,
                "end_line": e.end_line,
                "end_column": e.end_column,
                "replacement": e.replacement,
            }
            for e in fix.edits
        ],
        "safe": fix.safe,
    }
