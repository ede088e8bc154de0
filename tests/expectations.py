"""Reads the `# expect: SC101*4, SC102` comments of a fixture into a Counter of (line, code);
in a notebook (.ipynb) of (cell, line, code), the cell numbered as the notebook shows it (the
first cell of the file, markdown or code, is 1) and the line counted within the cell. The
notebook's JSON is read here directly, not through shapecheck's reader, so that the two are
checked against each other."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z0-9*,\s]+)")
TOKEN = re.compile(r"(?P<code>SC\d{3}|ERROR)(?:\*(?P<count>\d+))?")  # ERROR: the file's error is at this line


def expected_findings(path: Path) -> Counter:
    if path.suffix == ".ipynb":
        return _notebook_expectations(path)
    return _expectations(path.read_text(encoding="utf-8"), path, ())


def _notebook_expectations(path: Path) -> Counter:
    expected: Counter = Counter()
    for number, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"], start=1):
        if cell["cell_type"] == "code":
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            expected += _expectations(source, path, (number,))
    return expected


def _expectations(text: str, path: Path, prefix: tuple) -> Counter:
    expected: Counter = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        match = EXPECT.search(line)
        if not match:
            continue
        tokens = [t for t in re.split(r"[,\s]+", match.group("codes").strip()) if t]
        for token in tokens:
            parsed = TOKEN.fullmatch(token)
            if parsed is None:
                raise ValueError(f"{path}:{number}: bad expectation {token!r}")
            expected[prefix + (number, parsed.group("code"))] += int(parsed.group("count") or 1)
    return expected
