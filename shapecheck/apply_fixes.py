"""`--fix` and `--diff`: apply the safe text edits of the findings' suggestions.

Only `Fix.safe` edits are applied (exact on the user's line: SC203's `c=c` defaults, SC204's
literal axis). Each file is re-read and compared with the digest its edits were computed
on: a file changed since is not written. Writes go through a temporary file in the same
folder and `os.replace`, keeping the permissions. Notebooks and saved models are never
written. Nothing here runs unless the command line asks for it.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from typing import Iterable, Optional

from shapecheck.cells import is_notebook
from shapecheck.errors import CheckError
from shapecheck.load.discover import is_saved
from shapecheck.rules.base import Finding, Fix, TextEdit


@dataclass
class FilePlan:
    """The edits for one file and what they make of it."""

    path: str
    fixed: list[Finding] = field(default_factory=list)
    edits: list[TextEdit] = field(default_factory=list)
    old: str = ""
    new: str = ""
    encoding: str = "utf-8"
    refused: Optional[str] = None  # why the file is not rewritten (one line)
    note: Optional[str] = None  # why it is not rewritten when that is no error (a notebook)


def safe_fix(finding: Finding) -> Optional[Fix]:
    """The first suggestion --fix may apply to the finding."""
    return next((fix for fix in finding.fixes if fix.safe and fix.edits), None)


def plan(findings: Iterable[Finding]) -> list[FilePlan]:
    """One plan per file with safe edits, in the order the files first appear."""
    plans: dict[str, FilePlan] = {}
    for finding in findings:
        fix = safe_fix(finding)
        if fix is None:
            continue
        paths = {edit.path for edit in fix.edits}
        if len(paths) != 1:
            continue  # one fix, one file: a fix over several files is applied by hand
        target = plans.setdefault(os.path.realpath(paths.pop()), FilePlan(next(iter(fix.edits)).path))
        if _overlaps(target.edits, fix.edits):
            continue
        target.fixed.append(finding)
        target.edits.extend(e for e in fix.edits if e not in target.edits)
    for target in plans.values():
        _prepare(target)
    return list(plans.values())


def _prepare(target: FilePlan) -> None:
    """Read the file and apply the edits in memory; or say why it is not rewritten (then
    the plan fixes nothing)."""
    target.note, target.refused = _not_rewritable(target)
    if not (target.note or target.refused):
        target.new = apply_edits(target.old, target.edits)
        if not _parses(target.new):
            target.refused = f"{target.path}: the edits would not leave valid Python; not written"
    if target.note or target.refused:
        target.fixed, target.edits, target.old, target.new = [], [], "", ""


def _parses(text: str) -> bool:
    import ast

    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _not_rewritable(target: FilePlan) -> tuple[Optional[str], Optional[str]]:
    """(note, refusal): a notebook is a note; a saved file, an unreadable file or one that
    changed since it was checked is a refusal."""
    path = target.path
    if is_notebook(path):
        return f"{path}: notebooks are not rewritten by --fix or --diff; apply the fix: lines by hand", None
    if is_saved(path) or not path.endswith(".py"):
        return None, f"{path}: not a Python source file; never rewritten"
    try:
        target.old, target.encoding, digest = _read(path)
    except CheckError as exc:
        return None, f"{exc}; not written"
    if not all(edit.digest for edit in target.edits):
        return None, f"{path}: an edit does not say which text it was made for; not written"
    if any(edit.digest != digest for edit in target.edits):
        return None, f"{path}: changed on disk since it was checked; not written (check it again)"
    return None, None


def _read(path: str) -> tuple[str, str, str]:
    """(text, encoding, sha256 of the bytes)."""
    import io
    import tokenize

    from shapecheck import bounded
    from shapecheck.fixes._source import file_digest
    from shapecheck.load.source import decode

    raw = bounded.read_file(path, bounded.MAX_SOURCE_BYTES, "a Python module")
    text = decode(raw, path)
    encoding = tokenize.detect_encoding(io.BytesIO(raw).readline)[0]
    return text, encoding, file_digest(raw)


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """`text` with every edit applied (positions refer to `text`; edits must not overlap)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    out = text
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        start, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        out = out[:start] + edit.replacement + out[end:]
    return out


def _overlaps(existing: list[TextEdit], new: Iterable[TextEdit]) -> bool:
    def span(e: TextEdit) -> tuple:
        return (e.line, e.column), (e.end_line, e.end_column)

    for edit in new:
        if edit in existing:
            continue
        (a0, a1) = span(edit)
        for other in existing:
            (b0, b1) = span(other)
            if a0 < b1 and b0 < a1 or a0 == b0:
                return True
    return False


def unified_diff(target: FilePlan) -> str:
    return "".join(
        difflib.unified_diff(
            target.old.splitlines(keepends=True),
            target.new.splitlines(keepends=True),
            fromfile=_diff_name("a", target.path),
            tofile=_diff_name("b", target.path),
        )
    )


def _diff_name(side: str, path: str) -> str:
    """git's a/ and b/ prefixes for a relative path; an absolute one as it is."""
    return path if os.path.isabs(path) else f"{side}/{path}"


def write(target: FilePlan) -> Optional[str]:
    """Write the plan's text in place, atomically, if the file is still what was checked;
    else (or on an OSError) the one-line reason it was not written."""
    try:
        current = _read(target.path)
    except CheckError as exc:
        return f"{exc}; not written"
    if not target.edits or current[0] != target.old:
        return f"{target.path}: changed on disk since it was checked; not written (check it again)"
    real = os.path.realpath(target.path)
    folder = os.path.dirname(real)
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
        data = target.new.encode(target.encoding)
        handle, temporary = tempfile.mkstemp(prefix=".shapecheck-", suffix=".py.tmp", dir=folder)
    except (OSError, UnicodeEncodeError) as exc:
        return f"{target.path}: not written ({getattr(exc, 'strerror', None) or exc})"
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, real)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return f"{target.path}: not written ({exc.strerror or exc})"
    return None


@dataclass
class Outcome:
    """What --fix or --diff did to a run."""

    diff: str = ""
    fixed: int = 0  # findings
    files: int = 0
    problems: list[str] = field(default_factory=list)  # files not written: exit 2
    notes: list[str] = field(default_factory=list)

    def summary(self, written: bool) -> str:
        if not self.fixed:
            return "Nothing to fix (no finding has an edit that --fix may apply)"
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        findings = f"{self.fixed} finding{'s' if self.fixed != 1 else ''}"
        return f"{'Fixed' if written else 'Would fix'} {findings} in {files}"


def fix_run(run, write_files: bool) -> Outcome:
    """Plan the safe edits of every file of `run`; write them (`write_files`) or only diff
    them. Findings fixed in a written file are taken out of the run: what remains decides
    the exit code."""
    outcome = Outcome()
    fixed: set[int] = set()
    for target in plan(run.findings):
        if target.note:
            outcome.notes.append(target.note)
        if target.refused:
            outcome.problems.append(target.refused)
        if not target.fixed or target.new == target.old:
            continue
        outcome.diff += unified_diff(target)
        problem = write(target) if write_files else None
        if problem:
            outcome.problems.append(problem)
            continue
        outcome.fixed += len(target.fixed)
        outcome.files += 1
        fixed.update(id(f) for f in target.fixed)
    if write_files:
        for file in run.files:
            file.findings = [f for f in file.findings if id(f) not in fixed]
    return outcome
