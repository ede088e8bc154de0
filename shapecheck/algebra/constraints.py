"""Put a set of failing sizes into words: "must be a multiple of 16", "fails for odd H",
"needs H >= 32". Pure numpy; the sweep hands it one axis at a time."""

from __future__ import annotations

from typing import Optional

import numpy as np

MAX_PERIOD = 512


def describe(name: str, sizes: np.ndarray, accepted: np.ndarray, failing: np.ndarray) -> Optional[str]:
    """The rule that separates failing from passing sizes among the accepted ones, or None
    when nothing fails. `name` is the axis ("H", "W", "H and W")."""
    tried = sizes[accepted]
    bad = failing[accepted]
    if not bad.any():
        return None
    if bad.all():
        return f"fails at every size the model accepts ({_span(tried)})"
    periodic = _periodic(name, tried, bad)
    if periodic:
        return periodic
    good = tried[~bad]
    if tried[bad].max() < good.min():
        return f"needs {name} ≥ {good.min()}"
    if tried[bad].min() > good.max():
        return f"needs {name} ≤ {good.max()}"
    return f"fails at {int(bad.sum())} of {len(tried)} sizes tried"


def _span(values: np.ndarray) -> str:
    return f"{values.min()}..{values.max()}" if len(values) > 1 else str(values[0])


def _periodic(name: str, tried: np.ndarray, bad: np.ndarray) -> Optional[str]:
    """The smallest period m (seen at least twice over) whose residues decide pass/fail."""
    span = int(tried.max() - tried.min()) + 1
    for m in range(2, min(MAX_PERIOD, span // 2) + 1):
        residues = tried % m
        fail_at = np.bincount(residues[bad], minlength=m) > 0
        pass_at = np.bincount(residues[~bad], minlength=m) > 0
        if (fail_at & pass_at).any():
            continue
        passing = [int(r) for r in np.flatnonzero(pass_at)]
        failing = [int(r) for r in np.flatnonzero(fail_at)]
        return _residue_words(name, m, passing, failing)
    return None


def _residue_words(name: str, m: int, passing: list[int], failing: list[int]) -> str:
    plural = "s" if " and " in name else ""
    if m == 2:
        return f"fails for odd {name}" if passing == [0] else f"fails for even {name}"
    if passing == [0]:
        return f"{name} must be multiple{plural} of {m}" if plural else f"{name} must be a multiple of {m}"
    if len(passing) == 1:
        return f"{name} must be {m}k + {passing[0]}"
    if len(failing) == 1:
        return f"fails when {name} = {m}k + {failing[0]}"
    return f"fails when {name} mod {m} is {_runs(failing)}"


def _runs(values: list[int]) -> str:
    """[1, 2, 3, 8, 9] -> '1..3 or 8..9'."""
    runs, start = [], values[0]
    for prev, cur in zip(values, values[1:] + [None]):
        if cur != prev + 1 if cur is not None else True:
            runs.append(str(start) if start == prev else f"{start}..{prev}")
            start = cur
    shown = runs[:6] + (["..."] if len(runs) > 6 else [])
    return " or ".join(shown)
