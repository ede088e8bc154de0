"""Reads the `# expect: SC101*4, SC102` comments of a fixture into a Counter of (line, code)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z0-9*,\s]+)")
TOKEN = re.compile(r"(?P<code>SC\d{3})(?:\*(?P<count>\d+))?")


def expected_findings(path: Path) -> Counter:
    expected: Counter = Counter()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = EXPECT.search(line)
        if not match:
            continue
        tokens = [t for t in re.split(r"[,\s]+", match.group("codes").strip()) if t]
        for token in tokens:
            parsed = TOKEN.fullmatch(token)
            if parsed is None:
                raise ValueError(f"{path}:{number}: bad expectation {token!r}")
            expected[(number, parsed.group("code"))] += int(parsed.group("count") or 1)
    return expected
