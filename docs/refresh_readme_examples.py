"""Run every `$ shapecheck ...` example of the README and of the documentation pages
(docs/*.md) again and put its real output in place.

    python docs/refresh_readme_examples.py          # rewrite README.md and docs/*.md
    python docs/refresh_readme_examples.py --check  # exit 1 where an example's output changed
    python docs/refresh_readme_examples.py docs/sweep.md   # only these files

An example is a fenced block whose first line is `$ shapecheck ARGS` (run from the
repository's root, COLUMNS=160); the block's other lines are what it printed. Blocks that
show a shortened output (a line `...`) are left as they are.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```\n\$ shapecheck (?P<args>[^\n]*)\n(?P<out>.*?)```", re.S)


def run(args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "shapecheck", *shlex.split(args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "160"},
    )
    lines = [line for line in (result.stdout + result.stderr).splitlines() if not line.startswith(("W0000", "I0000"))]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def documents(args: list[str]) -> list[Path]:
    """The files named on the command line, or README.md and every page of docs/."""
    named = [Path(a).resolve() for a in args if not a.startswith("--")]
    return named or [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def refresh_file(path: Path, check: bool) -> list[str]:
    """Refresh one file's examples (unless check); the examples whose output changed."""
    text = path.read_text(encoding="utf-8")
    changed = []

    def refresh(match: re.Match) -> str:
        if "\n...\n" in match.group("out"):
            return match.group(0)
        out = run(match.group("args"))
        if out != match.group("out"):
            changed.append(match.group("args"))
        return f"```\n$ shapecheck {match.group('args')}\n{out}```"

    new = BLOCK.sub(refresh, text)
    if not check and new != text:
        path.write_text(new, encoding="utf-8")
    return changed


def main() -> int:
    check = "--check" in sys.argv
    changed = []
    for path in documents(sys.argv[1:]):
        for args in refresh_file(path, check):
            changed.append(args)
            print(f"changed: {path.relative_to(ROOT)}: shapecheck {args}")
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
