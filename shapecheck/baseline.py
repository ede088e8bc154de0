"""Baselines: adopt the gate on a repository with existing findings and fail only on new ones.

`shapecheck snapshot PATH... --baseline FILE` records today's findings; `--baseline FILE` on a
later run drops the findings it records. A finding is known by (path, code, model, layer),
not by line, so editing the file above a known finding does not make it new; each recorded
finding absorbs one current finding (two new mismatches in a model with one known are one new).
"""

from __future__ import annotations

import json
import os
from collections import Counter

from shapecheck import __version__, bounded
from shapecheck.errors import CheckError
from shapecheck.rules import Finding

FORMAT = 1


def key(path: str, code: str, model: str, layer: str) -> tuple:
    return (os.path.normpath(path).replace(os.sep, "/"), code, model, layer)


def write(findings: list[Finding], path: str) -> None:
    entries = [
        {"path": k[0], "code": k[1], "model": k[2], "layer": k[3], "message": f.message}
        for f in findings
        for k in [key(f.path, f.code, f.model, f.layer)]
    ]
    document = {"shapecheck": __version__, "format": FORMAT, "findings": entries}
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)  # never a half-written baseline


def read(path: str) -> Counter:
    try:
        document = bounded.parse_json(
            bounded.read_file(path, bounded.MAX_CONFIG_BYTES, "a baseline"), path, "the baseline"
        )
        entries = document["findings"]  # type: ignore[index]  # a wrong shape is a TypeError: not a baseline
        return Counter(key(e["path"], e["code"], e["model"], e["layer"]) for e in entries)
    except CheckError as exc:
        if not os.path.exists(path):
            raise CheckError(f"--baseline {path}: no such file (create it with `shapecheck snapshot`)") from None
        raise CheckError(f"--baseline {exc}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckError(f"--baseline {path}: not a shapecheck baseline ({type(exc).__name__})") from None


def new_findings(findings: list[Finding], known: Counter) -> list[Finding]:
    remaining = Counter(known)
    fresh = []
    for f in findings:
        k = key(f.path, f.code, f.model, f.layer)
        if remaining[k] > 0:
            remaining[k] -= 1
        else:
            fresh.append(f)
    return fresh
