"""Which files a run checks: paths given on the command line, folders searched.

A `.py` is checked when it, or anything it imports, imports keras or tensorflow (imports.py
decides, reading and never importing). One it cannot decide (it imports something not
installed here) is a target too, skipped with the reason, found in a folder or not; one that
cannot be read as Python is an error. Neither is ever passed over in silence.

Suffixes match whatever their case (`MODEL.KERAS`). Only regular files are read: a named
pipe or a device (or a symlink to one) named like a model is an error when named on the
command line and skipped, with the reason, when found in a folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from shapecheck import bounded
from shapecheck.load import source
from shapecheck.load.imports import Closure

SAVED_SUFFIXES = (".keras", ".h5", ".hdf5")
SOURCE_SUFFIXES = (".py", ".ipynb")  # run (a notebook cell by cell) when their imports reach Keras
MODEL_SUFFIXES = SOURCE_SUFFIXES + SAVED_SUFFIXES
SKIPPED_DIRS = {"__pycache__", "node_modules", "site-packages", "build", "dist"}
NO_MODEL_FILES = (
    "no model files here (*.py and *.ipynb that reach keras or tensorflow through their imports, *.keras, *.h5)"
)


@dataclass(frozen=True)
class Target:
    path: str
    explicit: bool  # named on the command line (not found in a folder)
    problem: str | None = None  # why it cannot be checked at all
    skip: str | None = None  # why it is not checked: no Keras in its imports, or nobody can tell
    undecided: bool = False  # skipped because its imports could not be followed ("cannot tell")
    reason: str | None = None  # why it is checked ("imports models.unet, which imports keras")
    position: Optional[tuple[int, int]] = None  # line and column of the problem, when it has one

    @property
    def checkable(self) -> bool:
        return not (self.problem or self.skip)


def discover(paths: list[str], closure: Optional[Closure] = None) -> list[Target]:
    closure = closure or Closure()
    targets: list[Target] = []
    for path in paths:
        if os.path.isdir(path):
            found = [t for t in (_classify(p, closure, False) for p in _search(path)) if t is not None]
            if not any(t.checkable for t in found):
                undecided = sum(t.undecided for t in found)
                extra = f" ({undecided} undecided)" if undecided else ""
                targets.append(Target(path, True, f"{path}: {NO_MODEL_FILES}{extra}"))
            targets.extend(found)
        elif os.path.exists(path):
            problem = _unsupported(path) or _irregular(path)
            target = Target(path, True, problem) if problem else _classify(path, closure, True)
            assert target is not None  # an explicit path always gets a Target
            targets.append(target)
        else:
            targets.append(Target(path, True, f"{path}: no such file or directory"))
    closure.save()
    return _unique(targets)


def _search(folder: str):
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for name in sorted(files):
            if has_suffix(name, MODEL_SUFFIXES):
                yield os.path.join(root, name)


def _classify(path: str, closure: Closure, explicit: bool) -> Optional[Target]:
    """A Target for `path`, or None for a folder's .py that certainly builds no Keras model."""
    irregular = bounded.irregular(path)
    if irregular:
        return Target(path, explicit, skip=f"not a regular file ({irregular}); not read")
    if not has_suffix(path, SOURCE_SUFFIXES):
        return Target(path, explicit)
    try:
        reach = closure.reach(path)
    except source.Unreadable as exc:
        return Target(path, explicit, str(exc), position=(exc.line, exc.column))
    except source.CheckError as exc:
        return Target(path, explicit, str(exc))
    except (RecursionError, MemoryError, ValueError) as exc:  # one path's trouble is that path's error
        return Target(path, explicit, f"{path}: cannot read its imports ({type(exc).__name__}); not checked")
    if reach.verdict == "keras":
        return Target(path, explicit, reason=reach.describe())
    if reach.verdict == "unknown":
        return Target(path, explicit, skip=reach.describe(), undecided=True)
    return Target(path, explicit, skip=reach.describe()) if explicit else None


def has_suffix(path: str, suffixes: tuple[str, ...]) -> bool:
    return path.lower().endswith(suffixes)


def is_saved(path: str) -> bool:
    """A saved model (.keras, .h5, .hdf5 or .json, any case) rather than a builder module."""
    return has_suffix(path, SAVED_SUFFIXES + (".json",))


def _irregular(path: str) -> str | None:
    irregular = bounded.irregular(path)
    return f"{path}: not a regular file ({irregular}); not read" if irregular else None


def _unsupported(path: str) -> str | None:
    if has_suffix(path, MODEL_SUFFIXES + (".json",)):
        return None
    return f"{path}: not a model file (expected .py, .ipynb, .keras, .h5 or .json)"


def _unique(targets: list[Target]) -> list[Target]:
    seen, out = set(), []
    for target in targets:
        key = os.path.realpath(target.path)
        if key not in seen:
            seen.add(key)
            out.append(target)
    return out
