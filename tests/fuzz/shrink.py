"""Delta reduction of a spec while a disagreement persists, and the shrunk case as a fixture."""

from __future__ import annotations

from typing import Callable, Iterator, Optional

from .spec import Spec, render

NOT_LOWERED = {"axis", "axes", "data_format", "padding", "keepdims"}


def _shift(t: int, removed: int, replacement: int) -> int:
    if t == removed:
        return replacement
    return t - 1 if t > removed else t


def drop_op(spec: Spec, i: int) -> Optional[Spec]:
    """Without op i; its readers read its first input instead."""
    op = spec.ops[i]
    if not op.inputs:
        return None
    out = spec.copy()
    k = spec.n_inputs
    removed = k + i
    replacement = op.inputs[0]
    del out.ops[i]
    for other in out.ops:
        other.inputs = [_shift(t, removed, replacement) for t in other.inputs]
    return out


def drop_input(spec: Spec, j: int) -> Optional[Spec]:
    """Without input j (its readers read input 0 instead; only for j > 0)."""
    if j == 0 or j >= spec.n_inputs:
        return None
    out = spec.copy()
    del out.inputs[j]
    for op in out.ops:
        op.inputs = [_shift(t, j, 0) for t in op.inputs]
    return out


def rewire(spec: Spec) -> Iterator[Spec]:
    """An op reading an earlier tensor instead (closer to the inputs)."""
    for i, op in enumerate(spec.ops):
        for slot, t in enumerate(op.inputs):
            for earlier in range(min(t, spec.n_inputs + i)):
                if earlier == t:
                    continue
                out = spec.copy()
                out.ops[i].inputs[slot] = earlier
                yield out
                break  # only the earliest: keep the search small


def lower(spec: Spec) -> Iterator[Spec]:
    """Smaller integer arguments (filters, kernels, strides, pool sizes, paddings)."""
    for i, op in enumerate(spec.ops):
        a = op.args
        for where in ("pos", "kw"):
            container = a.get(where)
            if not container:
                continue
            keys = range(len(container)) if isinstance(container, list) else list(container)
            for key in keys:
                if where == "kw" and key in NOT_LOWERED:
                    continue
                value = container[key]
                if isinstance(value, int) and not isinstance(value, bool) and value > 1:
                    for smaller in dict.fromkeys([1, value // 2]):
                        out = spec.copy()
                        out.ops[i].args[where][key] = smaller
                        yield out
        for key in ("filters", "units"):
            if isinstance(a.get(key), int) and a[key] > 1:
                out = spec.copy()
                out.ops[i].args[key] = 1
                yield out


def shrink(spec: Spec, fails: Callable[[Spec], bool], budget: int = 120) -> Spec:
    """The smallest spec found for which `fails` still holds (`fails(spec)` must hold)."""
    tries = 0

    def attempt(candidate: Optional[Spec]) -> bool:
        nonlocal tries
        if candidate is None or tries >= budget:
            return False
        tries += 1
        return fails(candidate)

    changed = True
    while changed and tries < budget:
        changed = False
        for i in reversed(range(len(spec.ops))):
            if i < len(spec.ops) and attempt(drop_op(spec, i)):
                spec, changed = drop_op(spec, i), True
        for j in reversed(range(1, spec.n_inputs)):
            if attempt(drop_input(spec, j)):
                spec, changed = drop_input(spec, j), True
        for candidate in list(rewire(spec)):
            if attempt(candidate):
                spec, changed = candidate, True
                break
        for candidate in list(lower(spec)):
            if attempt(candidate):
                spec, changed = candidate, True
                break
    return spec


def fixture_source(spec: Spec, expect: dict, note: str) -> str:
    """The builder module with `# expect:` lines: a ready fixture."""
    return render(spec, expect, doc=note).source
