"""Running many seeds: coverage, disagreements, shrinking."""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import contextlib  # noqa: E402
import warnings  # noqa: E402

import keras  # noqa: E402

from shapecheck.capture import session  # noqa: E402,F401 - imports Keras quietly, once
from shapecheck.capture import weights as _weights  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)

from shapecheck.size_range import SizeRange  # noqa: E402

from .compare import Outcome, check_spec  # noqa: E402
from .generate import generate  # noqa: E402
from .known import EXCLUSIONS  # noqa: E402
from .spec import Spec  # noqa: E402


@dataclass
class Coverage:
    graphs: int = 0
    invalid: int = 0
    rows: int = 0
    kinds: Counter = field(default_factory=Counter)  # graphs with each layer / op kind
    merges: Counter = field(default_factory=Counter)  # graphs with each merge kind
    traits: Counter = field(default_factory=Counter)  # failing sizes, two inputs, 1-D/2-D/3-D, ...
    excluded: Counter = field(default_factory=Counter)
    disagreements: int = 0
    seconds: float = 0.0

    def add(self, outcome: Outcome) -> None:
        spec = outcome.spec
        self.graphs += 1
        if outcome.invalid:
            self.invalid += 1
            self.traits["invalid (a non-merge layer refuses the declared size)"] += 1
            return
        self.rows += outcome.rows
        for label in {op.label for op in spec.ops if not op.is_merge}:
            self.kinds[label] += 1
        for label in {op.label for op in spec.ops if op.is_merge}:
            self.merges[label] += 1
        first = spec.inputs[0]
        n = len(first.shape) - 1
        traits = {f"{n}-D input", first.layout}
        traits.add("None sizes" if any(d is None for d in first.shape) else "declared sizes")
        if spec.n_inputs > 1:
            traits.add("two inputs")
        if outcome.failing_sizes:
            traits.add("merges failing at some swept sizes (Keras)")
        if outcome.declared_failure:
            traits.add("a merge failing at the declared size (Keras)")
        if outcome.unchecked:
            traits.add("merges not swept (SC002)")
        for op in spec.ops:
            if op.kind in ("merge", "binop", "opmerge") and spec.n_inputs:
                pass
        if any(op.kind in ("merge", "binop", "opmerge") for op in spec.ops):
            traits.add("plain merges")
        for trait in traits:
            self.traits[trait] += 1
        for name in outcome.excluded:
            self.excluded[name] += 1
        self.disagreements += bool(outcome.disagreements)

    def text(self) -> str:
        def block(title, counter):
            items = ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
            return f"  {title}: {items or '-'}"

        lines = [
            f"fuzz: {self.graphs} graphs ({self.invalid} invalid at the declared size), {self.rows} sized builds "
            f"compared, {self.disagreements} with disagreements, {self.seconds:.0f} s",
            block("layers and ops", self.kinds),
            block("merges", self.merges),
            block("graphs", self.traits),
        ]
        if self.excluded:
            lines.append(block("known exclusions (tests/fuzz/KNOWN.md)", self.excluded))
        return "\n".join(lines)


@contextlib.contextmanager
def _disposable():
    """As in a supervised child while one spec is checked: the models built are thrown away
    afterwards, so their variables never get values and no garbage collection runs per
    model. Restored afterwards: the fuzzer shares its process with the rest of the suite."""
    before = _weights.DISPOSABLE
    _weights.DISPOSABLE = True
    try:
        yield
    finally:
        _weights.DISPOSABLE = before
        keras.backend.clear_session(free_memory=False)


def check_seed(seed: int, sizes: SizeRange, hunt: bool) -> Outcome:
    spec = generate(seed)
    with _disposable():
        return check_spec(spec, sizes, hunt, EXCLUSIONS)


def run_seeds(
    seeds: Iterable[int],
    sizes: SizeRange = SizeRange(1, 64),
    hunt: bool = False,
    on_outcome: Optional[Callable[[Outcome], None]] = None,
    deadline: Optional[float] = None,
) -> Coverage:
    coverage = Coverage()
    start = time.monotonic()
    for seed in seeds:
        if deadline is not None and time.monotonic() > deadline:
            break
        outcome = check_seed(seed, sizes, hunt)
        coverage.add(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    coverage.seconds = time.monotonic() - start
    return coverage


def first_kind(outcome: Outcome) -> Optional[str]:
    return outcome.disagreements[0].kind if outcome.disagreements else None


def still_fails(spec: Spec, kind: str, sizes: SizeRange, hunt: bool) -> bool:
    try:
        with _disposable():
            out = check_spec(spec, sizes, hunt, EXCLUSIONS)
    except Exception:  # noqa: BLE001 - a spec the shrinker broke
        return False
    return any(d.kind == kind for d in out.disagreements)


def check_spec_outcome(spec: Spec, sizes: SizeRange, hunt: bool) -> Outcome:
    with _disposable():
        return check_spec(spec, sizes, hunt, EXCLUSIONS)
