"""Where a check's time goes, by phase (run the module, build the IR, rules, sweep, fixes).

Phases are wall-clock sums in this process; a supervised child sends its own back on the
FileReport (`timings`). `--debug` prints them, and benchmarks/bench_builder.py summarises them.
"""

from __future__ import annotations

import contextlib
import time
from typing import Iterator

_TOTALS: dict[str, float] = {}


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        _TOTALS[name] = _TOTALS.get(name, 0.0) + time.perf_counter() - start


def take() -> dict[str, float]:
    """The phases timed since the last call (and start afresh)."""
    out = dict(_TOTALS)
    _TOTALS.clear()
    return out


INSIDE_RULES = ("sweep", "witness")  # run inside the rules phase: shown within it


def describe(timings: dict[str, float]) -> str:
    """'module 1.21 s, graph 0.03 s, rules 0.40 s (sweep 0.10 s, witness 0.25 s), ...'."""
    parts = []
    for name, seconds in timings.items():
        if name in INSIDE_RULES:
            continue
        text = f"{name} {seconds:.2f} s"
        inner = [f"{n} {timings[n]:.2f} s" for n in INSIDE_RULES if n in timings]
        if name == "rules" and inner:
            text += f" ({', '.join(inner)})"
        parts.append(text)
    return ", ".join(parts)
