"""The mypy gate: `python tools/mypy_gate.py` runs mypy (configured in pyproject.toml) and
fails on any error not in the baseline, and on a baseline entry that no longer occurs, so
the baseline only shrinks and new code is clean. `--update` rewrites the baseline (to be
used only when entries are fixed: the diff shows it).

An entry is the file, the error code and the message, without the line number, so an edit
above an old error does not make it "new"; a count keeps repeated messages apart.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tools" / "mypy-baseline.txt"
ERROR = re.compile(r"^(?P<file>[^:]+):\d+(?::\d+)?: error: (?P<message>.*?)(?:\s+\[(?P<code>[\w-]+)\])?$")


def current() -> Counter:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-error-summary",
            "--hide-error-context",
            "--no-pretty",
            "--show-error-codes",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode not in (0, 1) or "error: " in result.stderr:
        sys.exit(f"mypy could not run: {(result.stderr or result.stdout).strip()[:500]}")
    entries: Counter = Counter()
    for line in result.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            entries[f"{match['file']}: [{match['code'] or 'misc'}] {match['message']}"] += 1
    return entries


def baseline() -> Counter:
    if not BASELINE.exists():
        return Counter()
    return Counter(line for line in BASELINE.read_text().splitlines() if line.strip() and not line.startswith("#"))


def main(argv: list[str]) -> int:
    now = current()
    if "--update" in argv:
        header = "# mypy errors left from before the gate: this file only shrinks (tools/mypy_gate.py)\n"
        BASELINE.write_text(header + "".join(f"{e}\n" for e in sorted(now.elements())))
        print(f"baseline: {sum(now.values())} entries")
        return 0
    known = baseline()
    new, fixed = now - known, known - now
    for entry in sorted(new.elements()):
        print(f"new mypy error: {entry}")
    for entry in sorted(fixed.elements()):
        print(f"fixed, remove it from {BASELINE.relative_to(ROOT)}: {entry}")
    if new or fixed:
        return 1
    print(f"mypy: no new errors ({sum(now.values())} left in the baseline)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
