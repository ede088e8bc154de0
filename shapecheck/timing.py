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


def describe(timings: dict[str, float]) -> str:
    """'module 1.21 s, graph 0.03 s, rules 0.10 s (sweep 0.10 s), ...' (the sweep runs inside the rules)."""
    parts = []
    for name, seconds in timings.items():
        if name == "sweep":
            continue
        text = f"{name} {seconds:.2f} s"
        if name == "rules" and "sweep" in timings:
            text += f" (sweep {timings['sweep']:.2f} s)"
        parts.append(text)
    return ", ".join(parts)
