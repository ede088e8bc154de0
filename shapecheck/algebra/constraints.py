"""Put a set of failing sizes into words: "must be a multiple of 16", "fails for odd H",
"needs H >= 32", "H and W must be ≥ 9 and multiples of 8". Pure numpy; the sweep hands it
one axis (or all axes at once) at a time."""

from __future__ import annotations

from typing import Optional

import numpy as np

MAX_PERIOD = 512


def passing_value(sizes: np.ndarray, accepted: np.ndarray, failing: np.ndarray) -> Optional[int]:
    """The only accepted size that passes, when exactly one does among several tried."""
    tried = sizes[accepted]
    good = tried[~failing[accepted]]
    if len(good) == 1 and len(tried) > 2:
        return int(good[0])
    return None


def describe(name: str, sizes: np.ndarray, accepted: np.ndarray, failing: np.ndarray) -> Optional[str]:
    """The rule that separates failing from passing sizes among the accepted ones, or None
    when nothing fails. `name` is the axis ("H", "W", "H and W"). Sizes below the smallest
    accepted one leave some layer empty; where that bound matters it is stated too."""
    tried = sizes[accepted]
    bad = failing[accepted]
    if not bad.any():
        return None
    if bad.all():
        return f"fails at every size the model accepts ({_span(tried)})"
    floor = int(tried.min()) if tried.min() > sizes.min() else None
    rule = _periodic(tried, bad)
    if rule is None:  # a lower bound, then a period above it
        good_min = tried[~bad].min()
        above = tried >= good_min
        if bad[above].any():
            rule = _periodic(tried[above], bad[above])
            floor = int(good_min) if rule else floor
    if rule is not None:
        m, passing, failing_residues = rule
        stated = sizes[np.isin(sizes % m, passing)]
        if floor is not None and not (stated.min() < floor):
            floor = None  # the period alone already excludes everything below the bound
        return _residue_words(name, m, passing, failing_residues, floor)
    good = tried[~bad]
    high = _above_first_failure(name, tried, bad)
    if high is not None:
        return high
    if tried[bad].max() < good.min():
        return f"needs {name} ≥ {good.min()}"
    if tried[bad].min() > good.max():
        return f"needs {name} ≤ {good.max()}"
    return f"fails at {int(bad.sum())} of {len(tried)} sizes tried"


def _above_first_failure(name: str, tried: np.ndarray, bad: np.ndarray) -> Optional[str]:
    """A period that holds from the first failing size up, every smaller size passing (a size
    1 that broadcasts where 3, 5, 7, ... fail): that rule, and from where it holds."""
    first = tried[bad].min()
    upper = tried >= first
    if first == tried.min() or (~bad[upper]).sum() == 0:
        return None
    rule = _periodic(tried[upper], bad[upper])
    if rule is None:
        return None
    return f"{_residue_words(name, *rule, None)} (from {first} up; smaller sizes pass)"


def _span(values: np.ndarray) -> str:
    return f"{values.min()}..{values.max()}" if len(values) > 1 else str(values[0])


def _periodic(tried: np.ndarray, bad: np.ndarray) -> Optional[tuple[int, list[int], list[int]]]:
    """The smallest period m (seen at least twice over) whose residues decide pass/fail."""
    if len(tried) < 4:
        return None
    span = int(tried.max() - tried.min()) + 1
    for m in range(2, min(MAX_PERIOD, span // 2) + 1):
        residues = tried % m
        fail_at = np.bincount(residues[bad], minlength=m) > 0
        pass_at = np.bincount(residues[~bad], minlength=m) > 0
        if (fail_at & pass_at).any():
            continue
        return m, [int(r) for r in np.flatnonzero(pass_at)], [int(r) for r in np.flatnonzero(fail_at)]
    return None


def _residue_words(name: str, m: int, passing: list[int], failing: list[int], floor: Optional[int]) -> str:
    plural = " and " in name
    at_least = f"≥ {floor} and " if floor is not None else ""
    if m == 2 and floor is None:
        return f"fails for odd {name}" if passing == [0] else f"fails for even {name}"
    if passing == [0]:
        multiple = f"multiples of {m}" if plural else f"a multiple of {m}"
        return f"{name} must be {at_least}{multiple}"
    if len(passing) == 1:
        return f"{name} must be {at_least}{m}k + {passing[0]}"
    bound = f"needs {name} ≥ {floor}; " if floor is not None else ""
    if len(failing) == 1:
        return f"{bound}fails when {name} = {m}k + {failing[0]}"
    return f"{bound}fails when {name} mod {m} is {_runs(failing)}"


def _runs(values: list[int]) -> str:
    """[1, 2, 3, 8, 9] -> '1..3 or 8..9'."""
    runs: list[str] = []
    start: Optional[int] = values[0]
    for prev, cur in zip(values, values[1:] + [None]):
        if cur != prev + 1 if cur is not None else True:
            runs.append(str(start) if start == prev else f"{start}..{prev}")
            start = cur
    shown = runs[:6] + (["..."] if len(runs) > 6 else [])
    return " or ".join(shown)
