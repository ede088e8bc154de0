"""Run every `$ shapecheck ...` example of the README again and put its real output in place.

    python docs/refresh_readme_examples.py          # rewrite README.md
    python docs/refresh_readme_examples.py --check  # exit 1 where an example's output changed

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
    result = subprocess.run([sys.executable, "-m", "shapecheck", *shlex.split(args)], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, "COLUMNS": "160"})
    lines = [line for line in (result.stdout + result.stderr).splitlines() if not line.startswith(("W0000", "I0000"))]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    changed = []

    def refresh(match: re.Match) -> str:
        if "\n...\n" in match.group("out"):
            return match.group(0)
        out = run(match.group("args"))
        if out != match.group("out"):
            changed.append(match.group("args"))
        return f"```\n$ shapecheck {match.group('args')}\n{out}```"

    new = BLOCK.sub(refresh, text)
    for args in changed:
        print(f"changed: shapecheck {args}")
    if "--check" in sys.argv:
        return 1 if changed else 0
    readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
