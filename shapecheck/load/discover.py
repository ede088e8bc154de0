"""Which files a run checks: paths given on the command line, folders searched."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

SAVED_SUFFIXES = (".keras", ".h5", ".hdf5")
MODEL_SUFFIXES = (".py",) + SAVED_SUFFIXES
SKIPPED_DIRS = {"__pycache__", "node_modules", "site-packages", "build", "dist"}
KERAS_IMPORT = re.compile(r"^\s*(?:from|import)\s+(?:keras|tensorflow|tf_keras)\b", re.MULTILINE)


@dataclass(frozen=True)
class Target:
    path: str
    explicit: bool  # named on the command line (not found in a folder)
    problem: str | None = None  # why it cannot be checked at all
    skip: str | None = None  # why it is not worth checking (a .py that imports no Keras)


def discover(paths: list[str]) -> list[Target]:
    targets: list[Target] = []
    for path in paths:
        if os.path.isdir(path):
            found = list(_search(path))
            if not found:
                targets.append(Target(path, True, f"{path}: no model files here (*.py importing keras, *.keras, *.h5)"))
            targets.extend(Target(p, False) for p in found)
        elif os.path.exists(path):
            skip = None
            if path.endswith(".py") and not imports_keras(path):
                skip = "imports neither keras nor tensorflow (read, not run)"
            targets.append(Target(path, True, _unsupported(path), skip))
        else:
            targets.append(Target(path, True, f"{path}: no such file or directory"))
    return _unique(targets)


def _search(folder: str):
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.endswith(SAVED_SUFFIXES) or (name.endswith(".py") and imports_keras(path)):
                yield path


def imports_keras(path: str) -> bool:
    """Read the source (never import it): does the file import keras or tensorflow?"""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return KERAS_IMPORT.search(handle.read()) is not None
    except OSError:
        return False


def _unsupported(path: str) -> str | None:
    if path.endswith(MODEL_SUFFIXES) or path.endswith(".json"):
        return None
    return f"{path}: not a model file (expected .py, .keras, .h5 or .json)"


def _unique(targets: list[Target]) -> list[Target]:
    seen, out = set(), []
    for target in targets:
        key = os.path.realpath(target.path)
        if key not in seen:
            seen.add(key)
            out.append(target)
    return out
